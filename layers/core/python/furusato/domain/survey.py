"""Registration survey: the standard relationship questions plus a government's own (rule 4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from furusato.domain.errors import DomainError, InvalidInput
from furusato.domain.text import MAX_NUMBER, plain_number

QuestionType = Literal["single_choice", "multi_choice", "text", "number"]
QUESTION_TYPES: tuple[str, ...] = ("single_choice", "multi_choice", "text", "number")
CHOICE_TYPES: tuple[str, ...] = ("single_choice", "multi_choice")  # the types that have options

MAX_OWN_QUESTIONS = 30
MAX_OPTIONS = 50
MAX_TEXT_ANSWER = 1000
_QUESTION_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class Question:
    id: str
    label: str
    type: QuestionType
    required: bool
    options: tuple[str, ...] = ()
    source: Literal["standard", "own"] = "own"


# How the person is related to the place (rule 4), and what they are interested in.
RELATIONSHIP_OPTIONS = (
    "出身地",  # birthplace
    "過去に居住",  # former residence
    "家族・親族が居住",  # family
    "通勤・通学",  # work or study
    "ふるさと納税",  # furusato nozei donor
    "観光・訪問",  # visitor
    "その他",  # other
)
INTEREST_OPTIONS = (
    "農林漁業",
    "地域行事・祭り",
    "環境保全・清掃",
    "除雪・防災",
    "観光・交流",
    "子育て・教育",
    "福祉・医療",
    "移住・二地域居住",
    "その他",
)

STANDARD_QUESTIONS: tuple[Question, ...] = (
    Question("relationship", "この地域とのご関係", "multi_choice", True, RELATIONSHIP_OPTIONS, "standard"),
    Question("interests", "関心のある分野", "multi_choice", False, INTEREST_OPTIONS, "standard"),
)
STANDARD_IDS = frozenset(q.id for q in STANDARD_QUESTIONS)


class SurveyIncomplete(DomainError):
    status = 400
    code = "SURVEY_INCOMPLETE"


def parse_own_questions(raw: list[dict[str, Any]]) -> tuple[Question, ...]:
    """Validate a government's own questions as staff submit them."""
    if len(raw) > MAX_OWN_QUESTIONS:
        raise InvalidInput("too many questions", details={"questions": f"at most {MAX_OWN_QUESTIONS}"})
    seen: set[str] = set()
    out: list[Question] = []
    for i, item in enumerate(raw):
        where = f"questions[{i}]"
        qid = item["id"]
        if not _QUESTION_ID.fullmatch(qid):
            raise InvalidInput("bad question id", details={f"{where}.id": "lowercase letters, digits, _"})
        if qid in STANDARD_IDS:
            raise InvalidInput("reserved id", details={f"{where}.id": "used by a standard question"})
        if qid in seen:
            raise InvalidInput("duplicate id", details={f"{where}.id": "duplicate"})
        seen.add(qid)
        qtype = item["type"]
        options = tuple(item.get("options") or ())
        if qtype in CHOICE_TYPES:
            if not options or len(options) > MAX_OPTIONS or len(set(options)) != len(options):
                raise InvalidInput(
                    "bad options", details={f"{where}.options": f"1 to {MAX_OPTIONS} distinct options"}
                )
            if any(not o.strip() for o in options):
                raise InvalidInput("bad options", details={f"{where}.options": "options cannot be blank"})
        elif options:
            raise InvalidInput(
                "options not allowed", details={f"{where}.options": f"not allowed for {qtype}"}
            )
        out.append(Question(qid, item["label"], qtype, bool(item["required"]), options, "own"))
    return tuple(out)


def full_survey(own: tuple[Question, ...]) -> tuple[Question, ...]:
    return STANDARD_QUESTIONS + own


def validate_answers(
    questions: tuple[Question, ...], answers: dict[str, Any], *, require_all: bool = True
) -> dict[str, Any]:
    """Check answers by type; with `require_all`, every required question must be answered.

    Returns the answers normalised (multi-choice answers de-duplicated in order).
    """
    by_id = {q.id: q for q in questions}
    bad: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for qid, value in answers.items():
        question = by_id.get(qid)
        if question is None:
            bad[f"survey_answers.{qid}"] = "unknown question"
            continue
        problem, normalised = _check_answer(question, value)
        if problem:
            bad[f"survey_answers.{qid}"] = problem
        else:
            clean[qid] = normalised
    if bad:
        raise InvalidInput("invalid survey answers", details=bad)
    if require_all:
        missing = [q.id for q in questions if q.required and _is_blank(clean.get(q.id))]
        if missing:
            raise SurveyIncomplete("required questions are not answered", details={"missing": missing})
    return clean


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _check_answer(question: Question, value: Any) -> tuple[str | None, Any]:
    if question.type == "single_choice":
        if not isinstance(value, str) or value not in question.options:
            return "one of the question's options", None
        return None, value
    if question.type == "multi_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "a list of the question's options", None
        # Capped before anything else: a list can never usefully be longer than the options.
        if len(value) > MAX_OPTIONS:
            return f"at most {MAX_OPTIONS} choices", None
        unknown = [v for v in value if v not in question.options]
        if unknown:
            return "a list of the question's options", None
        return None, list(dict.fromkeys(value))
    if question.type == "text":
        if not isinstance(value, str):
            return "text", None
        if len(value) > MAX_TEXT_ANSWER:
            return f"at most {MAX_TEXT_ANSWER} characters", None
        return None, value.strip()
    # number: JSON numbers only; booleans are not numbers here.
    if not plain_number(value):
        return f"a number between -{MAX_NUMBER} and {MAX_NUMBER}", None
    return None, value
