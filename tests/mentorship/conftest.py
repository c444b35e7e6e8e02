from __future__ import annotations

import pytest

from tests.mentorship import kinds


@pytest.fixture(autouse=True)
def ping_kind(settings):
    """The test kind's templates, and its scan emptied before each test."""
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [
        {**engine, "DIRS": [*engine["DIRS"], kinds.TEMPLATES]},
        *settings.TEMPLATES[1:],
    ]
    kinds.DUE.clear()
    kinds.STALE.clear()
    yield kinds
    kinds.DUE.clear()
    kinds.STALE.clear()
