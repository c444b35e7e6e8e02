"""Goal and cohort kinds: goals due, milestones overdue, progress, celebrations, cohort
milestones, and the program admins' weekly digest."""

from __future__ import annotations
