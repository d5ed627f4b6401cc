"""Content a government publishes to its registrants (rule 20): kinds, status, targeting.

Targeting is evaluated for each reader when they read: content is stored once per government,
never copied to every registrant. A target is the AND of the kinds of condition it gives; an
empty target reaches every registrant of the government.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from furusato.domain.errors import InvalidInput
from furusato.domain.lg_code import is_valid_prefecture_code
from furusato.domain.survey import Question

Kind = Literal["news", "event", "recruitment", "disaster", "support"]
KINDS: tuple[str, ...] = ("news", "event", "recruitment", "disaster", "support")
Status = Literal["draft", "scheduled", "published", "expired"]
PLANS: tuple[str, ...] = ("basic", "premium")
MAX_ACCEPTED_ANSWERS = 50


@dataclass(frozen=True)
class Target:
    """None for a kind of condition means "not limited by it"."""

    plans: tuple[str, ...] | None = None
    survey: Mapping[str, tuple[Any, ...]] | None = None
    residence_prefecture_codes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Reader:
    """What targeting looks at, for one person and one government."""

    plan: str
    survey_answers: Mapping[str, Any] = field(default_factory=dict)
    residence_prefecture_code: str | None = None


def reader_of(
    plan: str, status: str, survey_answers: Mapping[str, Any], residence_lg_code: str | None
) -> Reader:
    """The reader a registration makes. A premium application still under review reads as basic."""
    return Reader(
        plan=plan if status == "active" else "basic",
        survey_answers=survey_answers,
        residence_prefecture_code=residence_lg_code[:2] if residence_lg_code else None,
    )


def parse_target(raw: Mapping[str, Any] | None, survey: tuple[Question, ...]) -> Target:
    """Check a target against the government's survey (standard and own questions): a condition
    on an unknown question or an option the question does not have could never match."""
    raw = raw or {}
    bad: dict[str, str] = {}
    plans = raw.get("plans")
    if plans is not None:
        if not plans or any(p not in PLANS for p in plans):
            bad["target.plans"] = "one or more of: basic, premium"
        plans = tuple(dict.fromkeys(plans))
    prefectures = raw.get("residence_prefecture_codes")
    if prefectures is not None:
        if not prefectures or any(
            not isinstance(p, str) or not is_valid_prefecture_code(p) for p in prefectures
        ):
            bad["target.residence_prefecture_codes"] = 'one or more codes "01" to "47"'
        prefectures = tuple(dict.fromkeys(prefectures))
    survey_target: dict[str, tuple[Any, ...]] | None = None
    conditions = raw.get("survey")
    if conditions is not None:
        by_id = {q.id: q for q in survey}
        survey_target = {}
        for qid, accepted in conditions.items():
            where = f"target.survey.{qid}"
            question = by_id.get(qid)
            if question is None:
                bad[where] = "not a question of this government's survey"
                continue
            problem = _accepted_problem(question, accepted)
            if problem:
                bad[where] = problem
                continue
            survey_target[qid] = tuple(dict.fromkeys(accepted))
    if bad:
        raise InvalidInput("invalid target", details=bad)
    return Target(plans=plans, survey=survey_target, residence_prefecture_codes=prefectures)


def _accepted_problem(question: Question, accepted: Any) -> str | None:
    if not isinstance(accepted, list) or not 1 <= len(accepted) <= MAX_ACCEPTED_ANSWERS:
        return f"a list of 1 to {MAX_ACCEPTED_ANSWERS} accepted answers"
    if question.type in ("single_choice", "multi_choice"):
        if any(a not in question.options for a in accepted):
            return "accepted answers must be options of the question"
    elif question.type == "text":
        if any(not isinstance(a, str) or not a.strip() for a in accepted):
            return "accepted answers must be non-blank text"
    elif any(isinstance(a, bool) or not isinstance(a, int | float) or not math.isfinite(a) for a in accepted):
        return "accepted answers must be numbers"
    return None


def _answer_matches(answer: Any, accepted: tuple[Any, ...]) -> bool:
    if answer is None:
        return False
    if isinstance(answer, list):  # multi_choice: any chosen option is enough
        return any(a in accepted for a in answer)
    if isinstance(answer, str):
        return answer.strip() in accepted
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        return any(isinstance(a, int | float) and not isinstance(a, bool) and a == answer for a in accepted)
    return False


def targets(target: Target, reader: Reader) -> bool:
    """AND across the kinds of condition given; within a kind, any accepted value matches."""
    if target.plans is not None and reader.plan not in target.plans:
        return False
    if target.residence_prefecture_codes is not None and (
        reader.residence_prefecture_code not in target.residence_prefecture_codes
    ):
        return False
    if target.survey is not None:
        for qid, accepted in target.survey.items():
            if not _answer_matches(reader.survey_answers.get(qid), accepted):
                return False
    return True


@dataclass(frozen=True)
class Content:
    content_id: str
    lg_code: str
    lg_name: str
    kind: Kind
    title: str
    body: str
    body_html: str
    target: Target
    publish_at: datetime | None  # what staff asked for; None: at once
    published_at: datetime | None  # when it reaches the feed; None while a draft
    expires_at: datetime | None
    draft: bool
    created_at: str
    updated_at: str

    def status(self, now: datetime) -> Status:
        if self.draft or self.published_at is None:
            return "draft"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.published_at > now:
            return "scheduled"
        return "published"

    def visible(self, now: datetime) -> bool:
        return self.status(now) == "published"


def check_times(kind: str, publish_at: datetime | None, expires_at: datetime | None, now: datetime) -> None:
    """Expiry after publication; a disaster notice goes out at once (it cannot wait for a date)."""
    start = publish_at if publish_at is not None and publish_at > now else now
    if expires_at is not None and expires_at <= start:
        raise InvalidInput(
            "expires before it is published", details={"expires_at": "after publish_at and now"}
        )
    if kind == "disaster" and publish_at is not None and publish_at > now:
        raise InvalidInput(
            "a disaster notice is published at once", details={"publish_at": "not in the future for disaster"}
        )


def published_at(draft: bool, publish_at: datetime | None, now: datetime) -> datetime | None:
    """The instant content enters the feed: the date staff set when it is still ahead, otherwise
    now. A date in the past never back-dates it, so an item published while a reader pages through
    the feed sorts above the pages already read and cannot appear twice."""
    if draft:
        return None
    if publish_at is not None and publish_at > now:
        return publish_at
    return now
