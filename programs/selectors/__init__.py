"""Non-trivial reads: ``programs.selectors.cohort`` (dashboards) and
``programs.selectors.participant`` (a person's own programs and to-dos)."""
