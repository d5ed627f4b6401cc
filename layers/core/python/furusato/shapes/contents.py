"""Request and response shapes of content, the feed and consultations."""

from __future__ import annotations

from furusato.api.schema import Bool, FreeMap, Instant, List, Obj, Str
from furusato.domain.consultation import MAX_MESSAGE, MAX_SUBJECT, STATUSES, TOPICS
from furusato.domain.content import KINDS, PLANS
from furusato.domain.ids import LG_CODE
from furusato.shapes.common import PAGING, UNSET, page_of

MAX_BODY = 20_000

TARGET = Obj(
    "ContentTarget",
    {
        "plans": List(Str(choices=PLANS), min_items=1, max_items=2, required=False, nullable=True),
        "survey": FreeMap(
            max_keys=30,
            required=False,
            nullable=True,
            description="question id (standard or own) -> accepted answers; any one matches",
        ),
        "residence_prefecture_codes": List(
            Str(pattern=r"[0-9]{2}"), min_items=1, max_items=47, required=False, nullable=True
        ),
    },
    description="AND of the conditions given; {} reaches every registrant of the government",
)

CONTENT_IN = Obj(
    "ContentIn",
    {
        "kind": Str(choices=KINDS),
        "title": Str(min_length=1, max_length=200),
        "body": Str(
            min_length=1, max_length=MAX_BODY, multiline=True, description="Markdown (a safe subset)"
        ),
        "target": Obj("ContentTargetIn", TARGET.fields, required=False, nullable=True),
        "publish_at": Instant(
            required=False, nullable=True, description="absent, null or past: at once; disaster: at once"
        ),
        "expires_at": Instant(required=False, nullable=True),
        "draft": Bool(default=False, description="a draft is not published until a PATCH sets false"),
    },
)
CONTENT_PATCH = Obj(
    "ContentPatch",
    {
        "kind": Str(choices=KINDS, default=UNSET),
        "title": Str(min_length=1, max_length=200, default=UNSET),
        "body": Str(min_length=1, max_length=MAX_BODY, default=UNSET, multiline=True),
        "target": Obj("ContentTargetPatch", TARGET.fields, default=UNSET, nullable=True),
        "publish_at": Instant(default=UNSET, nullable=True),
        "expires_at": Instant(default=UNSET, nullable=True),
        "draft": Bool(default=UNSET),
    },
)
CONTENT = Obj(
    "Content",
    {
        "content_id": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "kind": Str(choices=KINDS),
        "title": Str(),
        "body": Str(max_length=MAX_BODY),
        "body_html": Str(max_length=10 * MAX_BODY),
        "target": TARGET,
        "publish_at": Instant(nullable=True),
        "expires_at": Instant(nullable=True),
        "status": Str(choices=("draft", "scheduled", "published", "expired")),
        "draft": Bool(),
        "created_at": Instant(),
        "updated_at": Instant(),
    },
)
CONTENT_PAGE = page_of("ContentPage", CONTENT)
CONTENTS_QUERY = Obj("ContentsQuery", PAGING)

FEED_ITEM = Obj(
    "FeedItem",
    {
        "content_id": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "lg_name": Str(),
        "kind": Str(choices=KINDS),
        "title": Str(),
        "body": Str(max_length=MAX_BODY),
        "body_html": Str(max_length=10 * MAX_BODY),
        "published_at": Instant(),
    },
)
FEED_PAGE = page_of("FeedPage", FEED_ITEM)
FEED_QUERY = Obj("FeedQuery", PAGING)

# ---- consultations ------------------------------------------------------------------------

CONSULTATION_IN = Obj(
    "ConsultationIn",
    {
        "lg_code": Str(pattern=LG_CODE),
        "topic": Str(choices=TOPICS),
        "subject": Str(min_length=1, max_length=MAX_SUBJECT),
        "message": Str(min_length=1, max_length=MAX_MESSAGE, multiline=True),
    },
)
MESSAGE_IN = Obj("ConsultationMessageIn", {"body": Str(min_length=1, max_length=MAX_MESSAGE, multiline=True)})
MESSAGE = Obj(
    "ConsultationMessage",
    {"from": Str(choices=("registrant", "staff")), "body": Str(max_length=MAX_MESSAGE), "at": Str()},
)
CONSULTATION = Obj(
    "Consultation",
    {
        "consultation_id": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "topic": Str(choices=TOPICS),
        "subject": Str(max_length=MAX_SUBJECT),
        "status": Str(choices=STATUSES),
        "messages": List(MESSAGE, max_items=1000),
        "created_at": Instant(),
        "updated_at": Instant(),
    },
)
CONSULTATION_SUMMARY = Obj(
    "ConsultationSummary",
    {
        **{k: v for k, v in CONSULTATION.fields.items() if k != "messages"},
        "waiting_since": Str(description="open: the registrant's first unanswered message"),
    },
)
CONSULTATION_PAGE = page_of("ConsultationPage", CONSULTATION_SUMMARY)
STAFF_CONSULTATIONS_QUERY = Obj(
    "StaffConsultationsQuery", {"status": Str(choices=STATUSES, default=None), **PAGING}
)
