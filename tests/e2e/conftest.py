"""End-to-end tests in Debian's Chromium, driven by Playwright against pytest-django's live server.

Playwright's own browser download does not work on these machines: the browser is
/usr/bin/chromium (installed by `make test`). A failing test leaves a screenshot in
test-artifacts/.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

import pytest

from tests.conftest import totp_code

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are ordinary blocking calls, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" and report.failed:
        # The `page` fixture's page, and every page opened with `new_page` (another user's).
        pages = {"": item.funcargs.get("page"), **getattr(item, "extra_pages", {})}
        for name, page in pages.items():
            if page is not None and not page.is_closed():
                ARTIFACTS.mkdir(exist_ok=True)
                suffix = f"-{name}" if name else ""
                # A page that cannot be captured (its browser crashed) must not hide the failure.
                with contextlib.suppress(Exception):
                    page.screenshot(
                        path=str(ARTIFACTS / f"{item.name}{suffix}.png"), full_page=True
                    )
    return report


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    # A CSP violation or a script error is a bug, even when the page still looks right.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()


@pytest.fixture
def new_page(request, browser, live_server):
    """Open another person's page, in a context of its own (own cookies): ``new_page("bob")``.

    Like ``page`` it collects console errors in ``console_errors``; a failing test leaves a
    screenshot of it in test-artifacts/ (named after the test and the page), and its context
    is closed afterwards.
    """
    contexts = []
    request.node.extra_pages = {}

    def open_page(name: str, *, width: int = 1280, height: int = 900, **context_args):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": width, "height": height}, **context_args
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.console_errors = errors
        request.node.extra_pages[name] = page
        return page

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, user, password: str = "correct horse battery") -> None:
    """Sign in through the real form, answering the TOTP step when the user has one."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)
    if "/2fa/authenticate" in page.url:
        # A code is good for its 30-second step only (no tolerance): one read in the last
        # seconds of a step can reach the server in the next and be refused.
        left = 30 - time.time() % 30
        if left < 3:
            time.sleep(left + 0.2)
        page.locator("input[name=code]").fill(totp_code(user.totp_secret))
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/2fa/" not in url)
