"""Request and response shapes of the contract (docs/api.md), see api/schema.py."""

from __future__ import annotations

from furusato.api.schema import Bool, Date, FreeMap, Instant, Int, List, Obj, Str
from furusato.domain.ids import LG_CODE

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
GENDERS = ("male", "female", "other", "no_answer")
QUESTION_TYPES = ("single_choice", "multi_choice", "text", "number")

# ---- requests -------------------------------------------------------------------------------

PROFILE_IN = Obj(
    "ProfileIn",
    {
        "name": Str(min_length=1, max_length=100),
        "birth_date": Date(),
        "gender": Str(choices=GENDERS),
        "postal_code": Str(
            min_length=7, max_length=16, description="e.g. 160-0022; 〒 and full-width digits accepted"
        ),
        "address": Str(min_length=1, max_length=200),
    },
)

REGISTRATION_IN = Obj(
    "RegistrationIn",
    {
        "plan": Str(choices=("basic", "premium")),
        "survey_answers": FreeMap(
            required=False, nullable=True, description="question id -> answer (see the government's survey)"
        ),
        "document_keys": List(
            Str(pattern=r"upl_[0-9a-z]{26}"),
            max_items=10,
            default=None,
            description="with plan premium: upload keys (POST /v1/me/uploads, purpose review_document) "
            "handed in with the application; the government's coordinators read them",
        ),
        "auto_upgrade": Bool(
            required=False,
            nullable=True,
            description="become premium automatically at the scan that meets the requirement "
            "(where the government auto-approves); omitted: unchanged (false on a new registration)",
        ),
    },
)

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

STAFF_IN = Obj(
    "StaffIn",
    {
        "email": Str(max_length=254, pattern=r"[^@\s]+@[^@\s]+\.[^@\s]+"),
        "staff_role": Str(choices=("admin", "coordinator", "viewer")),
    },
)

PAGING = {
    "limit": Int(ge=1, le=MAX_LIMIT, default=DEFAULT_LIMIT),
    "cursor": Str(max_length=2048, default=None, free_text=False),
}
PAGING_QUERY = Obj("Paging", PAGING)

DIRECTORY_QUERY = Obj(
    "DirectoryQuery",
    {
        "prefecture_code": Str(pattern=r"[0-9]{2}", default=None),
        "kind": Str(choices=("prefecture", "municipality"), default=None),
        "q": Str(max_length=50, default=None),
        **PAGING,
    },
)

STAFF_REGISTRATIONS_QUERY = Obj(
    "StaffRegistrationsQuery",
    {
        "plan": Str(choices=("basic", "premium"), default=None),
        "status": Str(choices=("active", "pending_review", "lapsed", "withdrawn"), default=None),
        **PAGING,
    },
)

GUARDIAN_CONSENT = Obj(
    "GuardianConsent",
    {
        "guardian_name": Str(min_length=1, max_length=100),
        "relationship": Str(min_length=1, max_length=50, description="e.g. 父, 母, 後見人"),
        "consented_at": Instant(),
    },
)
IDENTITY_IN = Obj(
    "IdentityVerificationIn",
    {
        "assertion": Str(
            min_length=20,
            max_length=16_000,
            free_text=False,
            description="the identity provider's signed JWT",
        ),
        "guardian_consent": Obj(
            "GuardianConsentOrNull", GUARDIAN_CONSENT.fields, required=False, nullable=True
        ),
    },
)
REVIEW_IN = Obj(
    "ReviewIn",
    {
        "decision": Str(choices=("approve", "reject")),
        "reason": Str(min_length=1, max_length=1000, multiline=True, description="shown to the person"),
    },
)
STAYS_IN = Obj(
    "StaysIn",
    {
        "registration_id": Str(min_length=1, max_length=64, free_text=False),
        "days": List(Date(), min_items=1, max_items=366),
        "note": Str(max_length=500, default=None, nullable=True, multiline=True),
    },
)

# ---- responses (documentation of what the handlers return) ---------------------------------

NEXT_CURSOR = Str(nullable=True, max_length=2048, description="opaque; null on the last page")


def page_of(name: str, item: Obj) -> Obj:
    return Obj(name, {"items": List(item, max_items=MAX_LIMIT), "next_cursor": NEXT_CURSOR})


HEALTH = Obj("Health", {"status": Str(choices=("ok",))})
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
PROFILE = Obj("Profile", {**PROFILE_IN.fields, "residence_lg_code": Str(pattern=LG_CODE)})
PROGRESS = Obj(
    "Progress",
    {
        "activities_counted": Int(ge=0),
        "activities_required": Int(ge=3),
        "stay_days": Int(ge=0),
        "long_stay_days": Int(ge=1),
        "window_start": Date(),
        "window_end": Date(),
    },
)
PREMIUM = Obj("Premium", {"valid_until": Date(nullable=True), "long_term_stayer": Bool()}, nullable=True)
REGISTRATION = Obj(
    "Registration",
    {
        "registration_id": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "plan": Str(choices=("basic", "premium")),
        "status": Str(choices=("active", "pending_review", "lapsed", "withdrawn")),
        "own_residence": Bool(),
        "auto_created": Bool(),
        "registered_at": Instant(),
        "auto_upgrade": Bool(),
        "premium": PREMIUM,
        "decision_reason": Str(nullable=True, description="a coordinator's reason or why premium ended"),
        "progress": PROGRESS,
    },
)
REGISTRATION_PUT = Obj(
    "RegistrationResult",
    {
        **REGISTRATION.fields,
        "also_registered": List(Str(pattern=LG_CODE), description="automatic prefecture registrations"),
    },
)
STAFF_REGISTRATION = Obj(
    "StaffRegistration",
    {
        **{k: v for k, v in REGISTRATION.fields.items() if k not in ("progress", "decision_reason")},
        "survey_answers": FreeMap(),
    },
)
IDENTITY = Obj(
    "Identity",
    {
        "verified": Bool(),
        "verified_at": Instant(nullable=True),
        "minor": Bool(nullable=True),
        "guardian_consent": FreeMap(nullable=True),
    },
)
ME = Obj(
    "Me",
    {
        "sub": Str(),
        "profile": Obj("ProfileOrNull", PROFILE.fields, nullable=True),
        "identity": IDENTITY,
        "registrations": List(REGISTRATION),
    },
)
STAFF_USER = Obj(
    "StaffUser",
    {
        "staff_id": Str(),
        "email": Str(nullable=True),
        "staff_role": Str(choices=("admin", "coordinator", "viewer", "org")),
        "org_id": Str(nullable=True),
        "lg_code": Str(pattern=LG_CODE),
        "status": Str(choices=("active", "removed")),
        "created_at": Instant(),
    },
)

NOTIFICATION = Obj(
    "Notification",
    {
        "notification_id": Str(),
        "kind": Str(
            choices=(
                "renewal_due",
                "renewed",
                "upgraded",
                "upgrade_refused",
                "downgraded",
                "review_decided",
                "lapse_warning",
                "lapsed",
                "support_decided",
                "content",
                "consultation_reply",
                "upload_rejected",
            )
        ),
        "title": Str(),
        "body": Str(max_length=5000),
        "lg_code": Str(nullable=True),
        "created_at": Instant(),
        "read": Bool(),
    },
)
STAYS = Obj(
    "StaysResult",
    {
        "registration_id": Str(),
        "days": List(Date(), max_items=366),
        "stay_days": Int(ge=0),
        "long_term_stayer": Bool(),
    },
)


# ---- staff accounts, the audit trail, data rights ------------------------------------------

STAFF_INVITE_IN = Obj(
    "StaffInviteIn",
    {
        "email": STAFF_IN.fields["email"],
        # Never admin: only the operator creates an admin.
        "staff_role": Str(choices=("coordinator", "viewer", "org")),
        "org_id": Str(min_length=1, max_length=64, default=None),
    },
)
AUDIT_PERIOD = {"from": Date(default=None), "to": Date(default=None)}
AUDIT_QUERY = Obj("AuditQuery", {**AUDIT_PERIOD, **PAGING})
OPERATOR_AUDIT_QUERY = Obj("OperatorAuditQuery", {"lg_code": Str(pattern=LG_CODE), **AUDIT_PERIOD, **PAGING})
AUDIT_RECORD = Obj(
    "AuditRecord",
    {
        "at": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "actor": Str(),
        "staff_role": Str(nullable=True),
        "action": Str(),
        "resource": Str(),
        "purpose": Str(),
        "records": Int(nullable=True),
    },
)
MY_DATA = Obj(
    "MyData",
    {
        "sub": Str(),
        "profile": FreeMap(nullable=True),
        "identity": FreeMap(),
        "registrations": List(FreeMap(), max_items=2000),
        "participations": List(FreeMap(), max_items=100_000),
        "stays": List(FreeMap(), max_items=100_000),
        "support_applications": List(FreeMap(), max_items=100_000),
        "consultations": List(FreeMap(), max_items=100_000),
        "notifications": List(FreeMap(), max_items=100_000),
        "uploads": List(FreeMap(), max_items=100_000),
    },
)
