"""A local SMTP server that keeps what it receives: for development, tests and benchmarks.

It speaks enough SMTP for Django's backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
A message counts as delivered only once the server has answered 250 to its DATA, as with a
real mail server. ``hold`` (a cleared Event) makes the server take a sender's RCPT and then wait
without answering until it is set: a sender stuck mid-conversation, to test one killed there.

    python -m mentorship.mailsink --port 1025 --maildir .data/mail
"""

from __future__ import annotations

import argparse
import email
import email.policy
import socketserver
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Sink:
    messages: list[Received] = field(default_factory=list)
    maildir: Path | None = None
    hold: threading.Event | None = None  # set: answer RCPT; clear: keep the sender waiting
    conversation_started: threading.Event = field(default_factory=threading.Event)
    quiet: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliver(self, received: Received) -> None:
        with self.lock:
            self.messages.append(received)
            n = len(self.messages)
        if self.maildir is not None:
            self.maildir.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            (self.maildir / f"{stamp}-{n:06d}.eml").write_bytes(received.data)
        if not self.quiet:
            msg = received.message
            print(f"[mail sink] to {', '.join(received.recipients)}: {msg['Subject']}", flush=True)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server
    # Replies are small writes: without this, Nagle's algorithm and the client's delayed ACK
    # hold each one for ~40 ms.
    disable_nagle_algorithm = True

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        sink = self.server.sink
        sender, recipients = "", []
        self.reply("220 mailsink ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                if verb == "EHLO":
                    self.reply("250-mailsink\r\n250 8BITMIME")
                else:
                    self.reply("250 mailsink")
            elif verb == "MAIL":
                sender, recipients = command.partition(":")[2].strip().strip("<>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                recipients.append(command.partition(":")[2].strip().strip("<>"))
                sink.conversation_started.set()
                if sink.hold is not None:
                    while not sink.hold.wait(0.1):
                        if self.server.closing:
                            return
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while True:
                    chunk = self.rfile.readline()
                    if not chunk:
                        return  # the sender went away mid-message: nothing delivered
                    if chunk in (b".\r\n", b".\n"):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                sink.deliver(Received(sender, list(recipients), b"".join(lines)))
                self.reply("250 OK queued")
            elif verb == "RSET":
                sender, recipients = "", []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    closing = False
    sink: Sink


class MailSink:
    """Run the sink on a thread: ``with MailSink() as sink: ... sink.port, sink.messages``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **sink_options):
        self.sink = Sink(**sink_options)
        self.server = _Server((host, port), _Handler)
        self.server.sink = self.sink
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def messages(self) -> list[Received]:
        with self.sink.lock:
            return list(self.sink.messages)

    def __enter__(self) -> MailSink:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.closing = True
        self.server.shutdown()
        self.server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, default=None)
    parser.add_argument("--quiet", action="store_true", help="no line per message")
    args = parser.parse_args()
    with MailSink(args.host, args.port, maildir=args.maildir, quiet=args.quiet) as sink:
        print(f"[mail sink] listening on {args.host}:{sink.port}", flush=True)
        sink.thread.join()


if __name__ == "__main__":
    main()
