"""Matching tests. ``build_pool`` makes small engine pools by hand (no database)."""

from __future__ import annotations

from typing import Any

import numpy as np

from matching.pool import FORMAT_EITHER, Pool


def build_pool(n: int, m: int, **given: Any) -> Pool:
    """A pool of n mentees and m mentors where every pair is fine unless a test says
    otherwise: mentees level 1, mentors level 3, different departments (0 and 1), one
    location and time zone, format "either", mentees seek topic 0 which mentors offer, all
    speak language 0, capacity 1. Per-person attributes may be given as scalars or lists."""
    topics = given.pop("topics", 3)
    languages = given.pop("languages", 2)
    sought = np.zeros((n, topics), dtype=bool)
    offered = np.zeros((m, topics), dtype=bool)
    if topics:
        sought[:, 0] = True
        offered[:, 0] = True
    spoken_a = np.zeros((n, languages), dtype=bool)
    spoken_b = np.zeros((m, languages), dtype=bool)
    if languages:
        spoken_a[:, 0] = True
        spoken_b[:, 0] = True
    fields: dict[str, Any] = {
        "mentee_ids": np.arange(n) + 100,
        "mentor_ids": np.arange(m) + 200,
        "mentee_person": np.arange(n),
        "mentor_person": np.arange(m) + 1000,
        "capacity": 1,
        "mentee_level": 1.0,
        "mentor_level": 3.0,
        "mentee_department": 0,
        "mentor_department": 1,
        "mentee_location": 0,
        "mentor_location": 0,
        "mentee_utc_offset": 0.0,
        "mentor_utc_offset": 0.0,
        "mentee_format": FORMAT_EITHER,
        "mentor_format": FORMAT_EITHER,
        "mentee_sought": sought,
        "mentor_offered": offered,
        "mentee_languages": spoken_a,
        "mentor_languages": spoken_b,
    }
    fields.update(given)
    for name, value in fields.items():
        if name.startswith(("mentee_", "mentor_", "capacity")):
            size = n if name.startswith("mentee_") else m
            fields[name] = np.full(size, value) if np.ndim(value) == 0 else np.asarray(value)
    return Pool(**fields)
