"""The person and their registrations as the registrant (`GET /v1/me`, the registration PUT)
and the government's staff (lists, one registration, review decisions, stay days) see them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from furusato import clock
from furusato.domain.lg import LocalGovernment
from furusato.domain.profile import Profile
from furusato.domain.registration import Progress, Registration, progress
from furusato.store.people import Identity, PersonRecord


def profile_view(profile: Profile) -> dict[str, Any]:
    code = profile.postal_code
    return {
        "name": profile.name,
        "birth_date": profile.birth_date.isoformat(),
        "gender": profile.gender,
        "postal_code": f"{code[:3]}-{code[3:]}" if code else None,
        "address": profile.address,
        "residence_lg_code": profile.residence_lg_code,
    }


def progress_view(current: Progress) -> dict[str, Any]:
    return {
        "activities_counted": current.activities_counted,
        "activities_required": current.activities_required,
        "stay_days": current.stay_days,
        "long_stay_days": current.long_stay_days,
        "window_start": current.window_start.isoformat(),
        "window_end": current.window_end.isoformat(),
    }


def _registration_fields(reg: Registration) -> dict[str, Any]:
    """What the registrant and staff both see of a registration."""
    return {
        "registration_id": reg.registration_id,
        "lg_code": reg.lg_code,
        "plan": reg.plan,
        "status": reg.status,
        "own_residence": reg.own_residence,
        "auto_created": reg.auto_created,
        "registered_at": reg.registered_at,
        "auto_upgrade": reg.auto_upgrade,
        "premium": (
            # Rule 16: the flag stored on the registration, the one source of truth that the
            # card, staff lists and statistics show too (docs/premium.md).
            {"valid_until": reg.premium_valid_until, "long_term_stayer": reg.long_term_stayer}
            if reg.plan == "premium"
            else None
        ),
    }


def registration_view(reg: Registration, lg: LocalGovernment | None, record: PersonRecord) -> dict[str, Any]:
    """A registration as its registrant sees it: with the reason of a decision and progress."""
    today = clock.today()
    current = progress(lg, record.participations, today, record.stays.get(reg.lg_code, ())) if lg else None
    return {
        **_registration_fields(reg),
        "decision_reason": reg.decision_reason,
        "progress": progress_view(current) if current else None,
    }


def identity_view(identity: Identity | None) -> dict[str, Any]:
    if identity is None:
        return {"verified": False, "verified_at": None, "minor": None, "guardian_consent": None}
    return {
        "verified": True,
        "verified_at": identity.verified_at,
        "minor": identity.minor,
        "guardian_consent": identity.guardian_consent,
    }


def nonce_view(nonce: str, expires_at: datetime) -> dict[str, Any]:
    """A verification attempt's nonce, for the identity provider's assertion to carry back."""
    return {"nonce": nonce, "expires_at": clock.iso(expires_at)}


def data_export_view(
    sub: str, profile: dict[str, Any] | None, sections: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Everything held about the person (`GET /v1/me/data`): the profile item and each section's
    items as stored, without internal keys; the identity result as the profile item holds it."""
    identity: dict[str, Any] = {"verified": False}
    if profile is not None:
        identity = {
            "verified": bool(profile.get("identity_verified_at")),
            "verified_at": profile.get("identity_verified_at"),
            "minor": profile.get("identity_minor"),
            "guardian_consent": profile.get("guardian_consent"),
        }
    return {"sub": sub, "profile": profile, "identity": identity, **sections}


def me_view(record: PersonRecord, governments: dict[str, LocalGovernment]) -> dict[str, Any]:
    return {
        "sub": record.sub,
        "profile": profile_view(record.profile) if record.profile else None,
        "identity": identity_view(record.identity),
        "registrations": [
            registration_view(reg, governments.get(code), record)
            for code, reg in sorted(record.registrations.items())
        ],
    }


def staff_registration_view(reg: Registration) -> dict[str, Any]:
    """A registration as staff see it (the list, and one registration): with its survey answers."""
    return {**_registration_fields(reg), "survey_answers": reg.survey_answers}


def registration_detail_view(reg: Registration, documents: list[dict[str, Any]]) -> dict[str, Any]:
    """One registration as staff see it, with the documents handed in with its application
    (their short-lived links signed by the capability)."""
    return {**staff_registration_view(reg), "documents": documents}


def review_view(decided: Registration, decision: str) -> dict[str, Any]:
    """A coordinator's decision on a premium application, as the registration stands after it."""
    return {
        "registration_id": decided.registration_id,
        "lg_code": decided.lg_code,
        "plan": decided.plan,
        "status": decided.status,
        "decision": decision,
        "decision_reason": decided.decision_reason,
        "premium": {"valid_until": decided.premium_valid_until} if decided.plan == "premium" else None,
    }


def stays_view(registration_id: str, days: list[date], current: Progress) -> dict[str, Any]:
    return {
        "registration_id": registration_id,
        "days": [d.isoformat() for d in days],
        "stay_days": current.stay_days,
        "long_term_stayer": current.stay_days >= current.long_stay_days,
    }


def card_view(
    member_token: str, expires_at: str, active: list[Registration], governments: dict[str, LocalGovernment]
) -> dict[str, Any]:
    """The member code staff scan, valid until `expires_at`, and one card per active registration."""
    return {
        "member_token": member_token,
        "member_token_expires_at": expires_at,
        "cards": [
            {
                "lg_code": r.lg_code,
                "name": governments[r.lg_code].name if r.lg_code in governments else None,
                "plan": r.plan,
                # Rule 16: the registration's stored flag, as everywhere (docs/premium.md).
                "long_term_stayer": r.plan == "premium" and r.long_term_stayer,
                "valid_until": r.premium_valid_until if r.plan == "premium" else None,
            }
            for r in active
        ],
    }
