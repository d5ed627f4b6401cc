import pytest

from furusato.domain.errors import InvalidInput
from furusato.domain.survey import (
    STANDARD_QUESTIONS,
    SurveyIncomplete,
    full_survey,
    parse_own_questions,
    validate_answers,
)

OWN = parse_own_questions(
    [
        {"id": "visits", "label": "訪問回数", "type": "number", "required": True},
        {
            "id": "season",
            "label": "好きな季節",
            "type": "single_choice",
            "options": ["春", "夏"],
            "required": False,
        },
        {"id": "memo", "label": "ひとこと", "type": "text", "required": False},
    ]
)
SURVEY = full_survey(OWN)


def test_standard_questions_come_first_and_relationship_is_required() -> None:
    assert [q.id for q in SURVEY[:2]] == ["relationship", "interests"]
    assert STANDARD_QUESTIONS[0].required and STANDARD_QUESTIONS[0].source == "standard"
    assert all(q.source == "own" for q in OWN)


def test_valid_answers_are_normalised() -> None:
    answers = validate_answers(
        SURVEY, {"relationship": ["出身地", "出身地", "観光・訪問"], "visits": 2, "memo": "  よろしく "}
    )
    assert answers == {"relationship": ["出身地", "観光・訪問"], "visits": 2, "memo": "よろしく"}


def test_missing_required_answers_are_listed() -> None:
    with pytest.raises(SurveyIncomplete) as err:
        validate_answers(SURVEY, {"season": "春"})
    assert err.value.details == {"missing": ["relationship", "visits"]}
    assert err.value.code == "SURVEY_INCOMPLETE"


def test_empty_list_does_not_answer_a_required_question() -> None:
    with pytest.raises(SurveyIncomplete):
        validate_answers(SURVEY, {"relationship": [], "visits": 1})


def test_partial_answers_allowed_when_not_requiring_all() -> None:
    assert validate_answers(SURVEY, {"season": "夏"}, require_all=False) == {"season": "夏"}


@pytest.mark.parametrize(
    ("qid", "value"),
    [
        ("relationship", "出身地"),  # multi needs a list
        ("relationship", ["月"]),  # not an option
        ("season", "冬"),
        ("season", ["春"]),
        ("visits", "3"),  # numbers are JSON numbers
        ("visits", True),
        ("memo", 5),
        ("memo", "x" * 1001),
        ("unknown", "x"),
    ],
)
def test_answers_of_the_wrong_type_name_the_field(qid: str, value: object) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_answers(SURVEY, {"relationship": ["出身地"], "visits": 1, qid: value})
    assert f"survey_answers.{qid}" in err.value.details


@pytest.mark.parametrize(
    "question",
    [
        {"id": "relationship", "label": "x", "type": "text", "required": False},  # reserved
        {"id": "Bad-Id", "label": "x", "type": "text", "required": False},
        {"id": "c", "label": "x", "type": "single_choice", "required": False},  # no options
        {"id": "c", "label": "x", "type": "single_choice", "options": ["a", "a"], "required": False},
        {"id": "c", "label": "x", "type": "text", "options": ["a"], "required": False},
        {"id": "c", "label": "x", "type": "multi_choice", "options": [" "], "required": False},
    ],
)
def test_bad_own_questions_are_refused(question: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        parse_own_questions([question])


def test_duplicate_question_ids_are_refused() -> None:
    q = {"id": "a", "label": "x", "type": "text", "required": False}
    with pytest.raises(InvalidInput):
        parse_own_questions([q, q])
