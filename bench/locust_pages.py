"""Locust file of bench/bench_pages.py: every user GETs one page (BENCH_PATH) with a session
cookie (BENCH_SESSION), back to back, and the exact response times (ms) after a warm-up
(BENCH_WARMUP seconds) are written as JSON to BENCH_OUT when locust quits. Locust's own
percentiles are rounded (to whole milliseconds, and coarser above 100 ms); the bench wants
the baseline's few milliseconds exactly, so it keeps its own list."""

from __future__ import annotations

import json
import os
import time

from locust import FastHttpUser, constant, events, task

PATH = os.environ.get("BENCH_PATH", "/")
SESSION = os.environ.get("BENCH_SESSION", "")
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
OUT = os.environ.get("BENCH_OUT", "")

STARTED = time.monotonic()
TIMES: list[float] = []
FAILURES: list[str] = []


@events.request.add_listener
def record(request_type, name, response_time, response_length, exception, **kwargs):
    if exception is not None:
        FAILURES.append(f"{name}: {exception}"[:300])
    elif time.monotonic() - STARTED >= WARMUP:
        TIMES.append(response_time)


@events.quitting.add_listener
def dump(environment, **kwargs):
    if OUT:
        with open(OUT, "w") as f:
            json.dump({"times": TIMES, "failures": FAILURES[:20], "failed": len(FAILURES)}, f)


class PageUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        with self.client.get(
            PATH,
            headers={"Cookie": f"sessionid={SESSION}"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
