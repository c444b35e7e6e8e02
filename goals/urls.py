"""The pair's workspace. Each part keeps its routes in its own module, under one namespace."""

from __future__ import annotations

from goals import urls_goals, urls_meetings, urls_pair

app_name = "goals"

urlpatterns = [*urls_pair.urlpatterns, *urls_goals.urlpatterns, *urls_meetings.urlpatterns]
