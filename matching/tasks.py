from __future__ import annotations

from celery import shared_task

from matching import services


@shared_task(soft_time_limit=600, time_limit=660)
def run_matching(run_id: int) -> bool:
    """Match a large pool off the web request; the board polls until the run is done."""
    from matching.models import MatchRun

    claimed = MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.RUNNING, stats={}).update(
        stats={"started": True}
    )
    if not claimed:
        return False  # a redelivered task: another worker has this run
    run = MatchRun.objects.select_related("cohort__program", "started_by").get(pk=run_id)
    services.match_run_execute(cohort=run.cohort, user=run.started_by, run=run, thorough=True)
    return True
