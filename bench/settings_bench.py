"""Settings for bench/bench_pages.py: the production settings (DEBUG off, set by environment)
plus the baseline pages of bench/urls_bench.py and a static root of the benchmark's own, so
its collectstatic never touches the one a deployment serves from."""

from __future__ import annotations

from mentorship.settings import *  # noqa: F403
from mentorship.settings import BASE_DIR

ROOT_URLCONF = "bench.urls_bench"
STATIC_ROOT = BASE_DIR / ".data" / "bench-static"
