"""A sweep run as its invocation answers it (the scheduler's log, the next hand-off's caller and
the function's metrics read it)."""

from __future__ import annotations

from typing import Any

from furusato.store.sweeps import SweepRun


def run_view(run: SweepRun, status: str) -> dict[str, Any]:
    """`status`: what this invocation did (completed, handed_off, already_completed); the counts
    are cumulative over the run's hand-offs."""
    pos = run.position
    return {
        "sweep": run.name,
        "scheduled_time": run.run_id,
        "status": status,
        "days": {"from": pos.get("from"), "to": pos.get("to")},
        "position": {"day": pos.get("day"), "step": pos.get("step")},
        "handoffs": pos.get("handoffs", 0),
        "counts": dict(sorted((pos.get("counts") or {}).items())),
    }


def missing_run_view(sweep: str, scheduled_time: str) -> dict[str, Any]:
    """A hand-off whose run record is gone: nothing to go on with."""
    return {"sweep": sweep, "scheduled_time": scheduled_time, "status": "nothing_to_resume"}
