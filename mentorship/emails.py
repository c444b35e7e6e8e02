"""Email rendering: every email is a subject / text / HTML template triplet.

``templates/<prefix>_subject.txt``, ``<prefix>_body.txt`` and ``<prefix>_body.html``.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import engines
from django.template.loader import render_to_string


def render_text(template_name: str, context: dict) -> str:
    """A plain-text template, never HTML-escaped: an apostrophe in a goal's title must reach a
    subject line as an apostrophe, not &#x27;."""
    wrapper = engines["django"].from_string(
        "{% autoescape off %}{% include template_name %}{% endautoescape %}"
    )
    return wrapper.render({**context, "template_name": template_name})


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def send_templated_email(
    *,
    to: str,
    template_prefix: str,
    context: dict,
    attachments: Sequence[tuple[str, str | bytes, str]] = (),
    alternatives: Sequence[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
    footer: dict | None = None,
) -> None:
    """Render and send one email.

    ``attachments``: (filename, content, mimetype) files attached to the message.
    ``alternatives``: (content, mimetype) further versions of the body after the HTML one, e.g.
    ``(ics, "text/calendar; method=REQUEST")`` so mail clients show a calendar invitation.
    A mimetype may carry parameters (``; method=REQUEST``); they are kept in Content-Type.
    ``footer``: context for ``email/footer.txt`` / ``.html`` (why this email came and how to
    stop that kind), appended to both bodies; the outbox passes it for every notification.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_text(f"{template_prefix}_subject.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    text = render_text(f"{template_prefix}_body.txt", context)
    html = render_to_string(f"{template_prefix}_body.html", context)
    if footer is not None:
        footer = {**context, **footer}
        text = text.rstrip() + "\n\n" + render_text("email/footer.txt", footer)
        html_footer = render_to_string("email/footer.html", footer)
        html = (
            html.replace("</body>", html_footer + "</body>", 1)
            if "</body>" in html
            else html + html_footer
        )
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers)
    message.attach_alternative(html, "text/html")
    for content, mimetype in alternatives:
        message.attach_alternative(content, mimetype)
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
