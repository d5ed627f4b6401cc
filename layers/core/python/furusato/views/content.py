"""Content as the government's staff see it and as it appears in a registrant's feed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from furusato import clock
from furusato.domain.content import Content, Target


def _iso(instant: datetime | None) -> str | None:
    return clock.iso(instant) if instant else None


def target_view(target: Target) -> dict[str, Any]:
    """The kinds of condition the target gives; an absent one does not limit."""
    view: dict[str, Any] = {}
    if target.plans is not None:
        view["plans"] = list(target.plans)
    if target.survey is not None:
        view["survey"] = {qid: list(values) for qid, values in target.survey.items()}
    if target.residence_prefecture_codes is not None:
        view["residence_prefecture_codes"] = list(target.residence_prefecture_codes)
    return view


def staff_view(content: Content, now: datetime) -> dict[str, Any]:
    return {
        "content_id": content.content_id,
        "lg_code": content.lg_code,
        "kind": content.kind,
        "title": content.title,
        "body": content.body,
        "body_html": content.body_html,
        "target": target_view(content.target),
        # The instant it reaches (or reached) the feed; for a draft, the date asked for.
        "publish_at": _iso(content.published_at if not content.draft else content.publish_at),
        "expires_at": _iso(content.expires_at),
        "status": content.status(now),
        "draft": content.draft,
        "created_at": content.created_at,
        "updated_at": content.updated_at,
    }


def feed_view(content: Content) -> dict[str, Any]:
    return {
        "content_id": content.content_id,
        "lg_code": content.lg_code,
        "lg_name": content.lg_name,
        "kind": content.kind,
        "title": content.title,
        "body": content.body,
        "body_html": content.body_html,
        "published_at": _iso(content.published_at),
    }
