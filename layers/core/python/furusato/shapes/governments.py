"""Local governments: the directory, onboarding, the introduction page, the survey, premium settings."""

from __future__ import annotations

from furusato.api.schema import Bool, FreeMap, Instant, Int, List, Obj, Str
from furusato.domain.ids import LG_CODE
from furusato.shapes.common import PAGING

QUESTION_TYPES = ("single_choice", "multi_choice", "text", "number")

SETTINGS_FIELDS = {
    "min_activities": Int(ge=3, le=100),
    "window": Str(choices=("rolling_365d", "fiscal_year")),
    "long_stay_days": Int(ge=1, le=366),
    "auto_approval": Bool(),
    "inactivity_months": Int(ge=1, le=120),
    "count_municipal_activities": Bool(),
}
SETTINGS_IN = Obj("SettingsIn", SETTINGS_FIELDS)

SECTION_IN = Obj(
    "PageSectionIn",
    {
        "heading": Str(min_length=1, max_length=200),
        "body": Str(max_length=5000, default="", multiline=True),
        "image_key": Str(
            pattern=r"upl_[0-9a-z]{26}",
            default=None,
            nullable=True,
            description="upload_key from POST /page/images, once uploaded",
        ),
        "image_alt": Str(max_length=200, default=None, nullable=True, description="text for screen readers"),
    },
)
PAGE_IN = Obj(
    "PageIn",
    {
        "title": Str(min_length=1, max_length=200),
        "body": Str(min_length=0, max_length=20_000, multiline=True),
        "sections": List(SECTION_IN, max_items=20, required=False, nullable=True),
    },
)
PAGE_IMAGE_TYPES = ("image/jpeg", "image/png")
PAGE_IMAGE_IN = Obj(
    "PageImageIn",
    {
        "content_type": Str(choices=PAGE_IMAGE_TYPES),
        "size": Int(ge=1, le=5 * 1024 * 1024, description="bytes; the policy refuses any other size"),
    },
)

QUESTION = Obj(
    "Question",
    {
        "id": Str(min_length=1, max_length=40, pattern=r"[a-z][a-z0-9_]*"),
        "label": Str(min_length=1, max_length=200),
        "type": Str(choices=QUESTION_TYPES),
        "options": List(Str(min_length=1, max_length=200), max_items=50, required=False, nullable=True),
        "required": Bool(),
    },
)
SURVEY = Obj("Survey", {"questions": List(QUESTION, max_items=30)})

ONBOARD_IN = Obj(
    "OnboardIn",
    {
        "lg_code": Str(pattern=LG_CODE),
        "name": Str(min_length=1, max_length=100),
        "kind": Str(choices=("prefecture", "municipality")),
        "prefecture_code": Str(pattern=r"[0-9]{2}"),
    },
)

DIRECTORY_QUERY = Obj(
    "DirectoryQuery",
    {
        "prefecture_code": Str(pattern=r"[0-9]{2}", default=None),
        "kind": Str(choices=("prefecture", "municipality"), default=None),
        "q": Str(max_length=50, default=None),
        **PAGING,
    },
)

LG_SUMMARY = Obj(
    "LocalGovernmentSummary",
    {
        "lg_code": Str(pattern=LG_CODE),
        "name": Str(),
        "kind": Str(choices=("prefecture", "municipality")),
        "prefecture_code": Str(pattern=r"[0-9]{2}"),
    },
)
LG_ONBOARDED = Obj("OnboardedLocalGovernment", {**LG_SUMMARY.fields, "onboarded_at": Instant()})
PAGE_SECTION = Obj(
    "PageSection",
    {
        "heading": Str(),
        "body": Str(max_length=5000),
        "image": Obj(
            "PageImage",
            {
                "upload_key": Str(),
                "content_type": Str(choices=PAGE_IMAGE_TYPES),
                "alt": Str(nullable=True),
                "url": Str(max_length=4096, description="short-lived (5 minutes)"),
            },
            nullable=True,
        ),
    },
)
PAGE = Obj(
    "Page",
    {
        "title": Str(),
        "body": Str(max_length=20_000),
        "updated_at": Instant(nullable=True),
        "sections": List(PAGE_SECTION, max_items=20),
    },
)
PAGE_IMAGE_UPLOAD = Obj(
    "PageImageUpload",
    {
        "upload_key": Str(pattern=r"upl_[0-9a-z]{26}", description="name it as a section's image_key"),
        "content_type": Str(choices=PAGE_IMAGE_TYPES),
        "size": Int(ge=1),
        "upload": Obj(
            "PageImageForm",
            {
                "url": Str(max_length=2048, description="POST a multipart/form-data form here"),
                "fields": FreeMap(max_keys=20, description="form fields to send as they are, before `file`"),
                "method": Str(choices=("POST",)),
            },
        ),
        "expires_at": Instant(description="the upload must start before this instant"),
    },
)
SURVEY_QUESTION = Obj(
    "SurveyQuestion",
    {**QUESTION.fields, "source": Str(choices=("standard", "own"))},
)
LG_DETAIL = Obj(
    "LocalGovernment",
    {
        **LG_SUMMARY.fields,
        "page": PAGE,
        "survey": List(SURVEY_QUESTION),
        "premium_requirements": Obj(
            "PremiumRequirements",
            {
                "min_activities": Int(ge=3),
                "window": Str(choices=("rolling_365d", "fiscal_year")),
                "long_stay_days": Int(ge=1),
                "auto_approval": Bool(),
            },
        ),
    },
)
SETTINGS = Obj("Settings", SETTINGS_FIELDS)
