"""A participation as its registrant sees it, the answer to a check-in (the registrant's and
the staff scan's), the lines of an activity's roster as staff see them, and a roster export
job."""

from __future__ import annotations

from typing import Any

from furusato.domain.checkin import CheckIn, ParticipationRecord, PendingParticipant
from furusato.store.exports import RosterExport
from furusato.views.activity import public_view
from furusato.views.registration import progress_view


def _evidence(p: ParticipationRecord) -> dict[str, Any]:
    """How and when presence was proven, and its standing: the registrant and staff see both."""
    return {
        "source": p.source,
        "checkin_mode": p.checkin_mode,
        "checked_in_at": p.checked_in_at,
        "recorded_at": p.recorded_at,
        "offline": p.offline,
        "status": p.status,
    }


def participation_view(p: ParticipationRecord) -> dict[str, Any]:
    return {
        "participation_id": p.participation_id,
        "activity_id": p.activity_id,
        "lg_code": p.lg_code,
        "activity": {
            "name": p.activity_name,
            "starts_at": p.activity_starts_at,
            "ends_at": p.activity_ends_at,
            "place": p.place,
        },
        "designated": p.designated,
        "day": p.day.isoformat(),
        **_evidence(p),
    }


def _scan_view(scan: CheckIn) -> dict[str, Any]:
    """What both the registrant and the staff member who scanned are told."""
    return {
        "status": "recorded" if scan.created else "already_recorded",
        "activity": public_view(scan.activity),
        "lg_code": scan.lg_code,
        "counted": scan.counted,
        "activity_day": scan.participation.day.isoformat(),
        "registered": scan.registered,
    }


def checkin_view(scan: CheckIn) -> dict[str, Any]:
    """The registrant's answer: the record, their progress and a premium it brought."""
    upgraded = scan.upgraded
    return {
        **_scan_view(scan),
        "upgraded": {"lg_code": upgraded.lg_code, "valid_until": upgraded.valid_until} if upgraded else None,
        "progress": progress_view(scan.progress),
        "participation": participation_view(scan.participation),
    }


def staff_checkin_view(scan: CheckIn) -> dict[str, Any]:
    """Staff see that the record exists, not the person's progress or other records."""
    p = scan.participation
    return {
        **_scan_view(scan),
        "participation": {
            "participation_id": p.participation_id,
            "source": p.source,
            "checked_in_at": p.checked_in_at,
        },
    }


def roster_line(p: ParticipationRecord, *, name: str | None, registration_id: str | None) -> dict[str, Any]:
    """A registrant's roster line; the name and registration are read when the roster is
    (withdrawn people have neither)."""
    return {
        "participation_id": p.participation_id,
        "kind": "registrant",
        "name": name,
        "registered": registration_id is not None,
        "registration_id": registration_id,
        **_evidence(p),
        "decided_at": p.decided_at,
    }


def pending_line(p: PendingParticipant) -> dict[str, Any]:
    """A backfilled participant not yet matched, by the name as written in the file."""
    return {
        "participation_id": p.participation_id,
        "kind": "pending",
        "name": p.name,
        "registered": False,
        "registration_id": None,
        "source": "backfill",
        "checkin_mode": "staff_scan",
        "checked_in_at": p.checked_in_at,
        "recorded_at": p.recorded_at,
        "offline": False,
        "status": "confirmed",  # written by staff from their own records
        "decided_at": None,
    }


def roster_export_view(job: RosterExport, download: tuple[str, str] | None) -> dict[str, Any]:
    """`download` is the short-lived link and its expiry once the job is completed: the
    capability signs it, so the view makes no storage call."""
    url, expires_at = download or (None, None)
    return {
        "export_id": job.export_id,
        "activity_id": job.activity_id,
        "status": job.status,
        "rows_total": job.rows_total,
        "rows_written": job.rows_written,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "failure_message": job.failure_message,
        "download_url": url,
        "download_expires_at": expires_at,
    }
