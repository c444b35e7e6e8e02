"""Screenshots of the running app as each role, in Debian's headless Chromium.

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8000 --out screenshots \
        --as hr=hr@demo.example:PASSWORD --page hr=/directory/ --page hr=/directory/import/ \
        --as participant=EMAIL:PASSWORD --page participant=/ --page participant=/directory/

Signs in through the real login form for each role (the local demo of `make run` has MFA off),
visits each page and saves ROLE-PATH.png, full page. Anonymous pages: --page anon=/accounts/login/.
Prints each file with the HTTP status it got, so a 404 where one is expected shows too.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from pathlib import Path

from playwright.sync_api import sync_playwright

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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="screenshots")
    parser.add_argument(
        "--as", dest="logins", action="append", default=[], help="ROLE=EMAIL:PASSWORD"
    )
    parser.add_argument("--page", dest="pages", action="append", default=[], help="ROLE=/path/")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--mobile", action="store_true", help="also take each page 390px wide")
    args = parser.parse_args()

    logins = {}
    for item in args.logins:
        role, _, cred = item.partition("=")
        email, _, password = cred.partition(":")
        logins[role] = (email, password)
    pages = defaultdict(list)
    for item in args.pages:
        role, _, path = item.partition("=")
        pages[role].append(path)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    widths = [args.width] + ([390] if args.mobile else [])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for role, paths in pages.items():
            for width in widths:
                context = browser.new_context(
                    base_url=args.base_url, viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                if role in logins:
                    email, password = logins[role]
                    page.goto("/accounts/login/")
                    page.locator("input[name=login]").fill(email)
                    page.locator("input[name=password]").fill(password)
                    page.locator("form button[type=submit]").first.click()
                    page.wait_for_load_state()
                for path in paths:
                    response = page.goto(path)
                    slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                    suffix = "" if width == args.width else f"-{width}"
                    name = out / f"{role}-{slug}{suffix}.png"
                    page.screenshot(path=str(name), full_page=True)
                    print(f"{name}  {response.status if response else '?'}  {page.url}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
