"""Content rules without AWS: targeting, status, dates, the Markdown sanitiser, consultations."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest

from furusato.clock import JST
from furusato.domain.consultation import check_text, status_after
from furusato.domain.content import (
    Content,
    Reader,
    Target,
    check_times,
    parse_target,
    published_at,
    targets,
)
from furusato.domain.errors import Conflict, InvalidInput
from furusato.domain.markdown import ALLOWED_TAGS, render
from furusato.domain.survey import full_survey, parse_own_questions

OWN = parse_own_questions(
    [
        {
            "id": "season",
            "label": "好きな季節",
            "type": "single_choice",
            "options": ["春", "夏"],
            "required": False,
        },
        {"id": "visits", "label": "訪問回数", "type": "number", "required": False},
        {"id": "memo", "label": "ひとこと", "type": "text", "required": False},
    ]
)
SURVEY = full_survey(OWN)
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=JST)


# --- targeting ------------------------------------------------------------------------------

TARGET = parse_target(
    {"plans": ["premium"], "survey": {"interests": ["農林漁業"]}, "residence_prefecture_codes": ["13"]},
    SURVEY,
)


@pytest.mark.parametrize(
    ("plan", "interests", "prefecture"),
    list(
        itertools.product(
            ("basic", "premium"), (["農林漁業", "その他"], ["その他"], None), ("13", "27", None)
        )
    ),
)
def test_truth_table_plan_survey_prefecture(
    plan: str, interests: list[str] | None, prefecture: str | None
) -> None:
    answers = {"interests": interests} if interests is not None else {}
    reader = Reader(plan=plan, survey_answers=answers, residence_prefecture_code=prefecture)
    expected = plan == "premium" and interests is not None and "農林漁業" in interests and prefecture == "13"
    assert targets(TARGET, reader) is expected
    # {} reaches everyone; each condition alone decides alone (AND of those given).
    assert targets(parse_target({}, SURVEY), reader) is True
    assert targets(Target(plans=("premium",)), reader) is (plan == "premium")
    assert targets(Target(residence_prefecture_codes=("13",)), reader) is (prefecture == "13")
    alone = Target(survey={"interests": ("農林漁業",)})
    assert targets(alone, reader) is (interests is not None and "農林漁業" in interests)


def test_own_questions_single_choice_number_and_text_match() -> None:
    target = parse_target({"survey": {"season": ["夏"], "visits": [3, 4], "memo": ["雪"]}}, SURVEY)
    match = Reader("basic", {"season": "夏", "visits": 3, "memo": " 雪 "})
    assert targets(target, match)
    assert not targets(target, Reader("basic", {"season": "春", "visits": 3, "memo": "雪"}))
    assert not targets(target, Reader("basic", {"season": "夏", "visits": 5, "memo": "雪"}))
    assert not targets(target, Reader("basic", {"season": "夏", "visits": 3}))


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"plans": ["gold"]}, "target.plans"),
        ({"plans": []}, "target.plans"),
        ({"survey": {"nope": ["x"]}}, "target.survey.nope"),
        ({"survey": {"season": ["秋"]}}, "target.survey.season"),
        ({"survey": {"season": []}}, "target.survey.season"),
        ({"survey": {"visits": ["3"]}}, "target.survey.visits"),
        ({"residence_prefecture_codes": ["48"]}, "target.residence_prefecture_codes"),
    ],
)
def test_targets_that_could_never_match_are_refused(raw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_target(raw, SURVEY)
    assert field in caught.value.details


# --- dates and status -----------------------------------------------------------------------


def _content(**overrides: object) -> Content:
    base: dict[str, object] = {
        "content_id": "cnt_1",
        "lg_code": "212172",
        "lg_name": "飛騨市",
        "kind": "news",
        "title": "t",
        "body": "b",
        "body_html": "<p>b</p>",
        "target": Target(),
        "publish_at": None,
        "published_at": NOW,
        "expires_at": None,
        "draft": False,
        "created_at": NOW.isoformat(),
        "updated_at": NOW.isoformat(),
    }
    return Content(**{**base, **overrides})  # type: ignore[arg-type]


def test_status_follows_the_clock() -> None:
    later = NOW + timedelta(days=1)
    assert _content(draft=True, published_at=None).status(NOW) == "draft"
    assert _content(published_at=later).status(NOW) == "scheduled"
    assert _content(published_at=later).status(later) == "published"
    assert _content(expires_at=later).status(NOW) == "published"
    assert _content(expires_at=later).status(later) == "expired"


def test_a_past_publish_date_never_back_dates_the_feed() -> None:
    assert published_at(False, NOW - timedelta(days=3), NOW) == NOW
    assert published_at(False, NOW + timedelta(hours=1), NOW) == NOW + timedelta(hours=1)
    assert published_at(True, NOW, NOW) is None


def test_expiry_after_publication_and_disaster_at_once() -> None:
    with pytest.raises(InvalidInput):
        check_times("news", NOW + timedelta(days=2), NOW + timedelta(days=1), NOW)
    with pytest.raises(InvalidInput):
        check_times("news", None, NOW - timedelta(minutes=1), NOW)
    with pytest.raises(InvalidInput) as caught:
        check_times("disaster", NOW + timedelta(hours=1), None, NOW)
    assert "publish_at" in caught.value.details
    check_times("disaster", NOW - timedelta(hours=1), NOW + timedelta(days=1), NOW)


# --- Markdown -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">x</a>',
        "<div onclick=alert(1)>raw</div><!-- comment -->",
        "<iframe src=https://evil.example></iframe>",
        "![x](https://evil.example/a.png)",
    ],
)
def test_markdown_is_neutralised(markdown: str) -> None:
    """Whatever the text says, the HTML holds only allowed elements, no event handler, no comment,
    and links only to http(s): the dangerous parts survive at most as escaped text."""
    html = render(markdown)
    parser = _Elements()
    parser.feed(html)
    assert parser.tags <= ALLOWED_TAGS, html
    assert not parser.comments, html
    for tag, name, value in parser.attributes:
        assert not name.startswith("on"), html
        if name == "href":
            assert value.startswith(("http://", "https://")), html
    assert "<script" not in html.lower() and "<img" not in html.lower()


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str, str]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def test_markdown_keeps_its_safe_subset() -> None:
    html = render("# 見出し\n\n**太字** [市のサイト](https://www.city.hida.gifu.jp/)\n\n- a\n- b")
    assert "<h1>見出し</h1>" in html and "<strong>太字</strong>" in html and "<li>a</li>" in html
    assert 'href="https://www.city.hida.gifu.jp/"' in html and 'rel="noopener noreferrer nofollow"' in html


# --- consultations --------------------------------------------------------------------------


def test_consultation_status_moves_and_closed_takes_nothing() -> None:
    assert status_after("open", "staff", 1) == "answered"
    assert status_after("answered", "registrant", 2) == "open"
    assert status_after("open", "registrant", 1) == "open"
    with pytest.raises(Conflict) as caught:
        status_after("closed", "registrant", 3)
    assert caught.value.code == "CONSULTATION_CLOSED"


def test_individual_numbers_and_blank_text_are_refused_in_every_message() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_text(subject="番号 1234 5678 9012 です", message="  ")
    assert caught.value.details == {
        "subject": "must not contain an individual number",
        "message": "must not be blank",
    }
    assert check_text(body=" 雪かきの日程 ") == {"body": "雪かきの日程"}
