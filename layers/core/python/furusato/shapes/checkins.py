"""Request and response shapes of the check-in function (organizations, activities, check-in,
participations, card): validation at runtime and the OpenAPI document (api/schema.py)."""

from __future__ import annotations

from furusato.api.schema import Bool, Date, FreeMap, Instant, Int, List, Obj, Str
from furusato.domain.activity import CHECKIN_MODES
from furusato.domain.checkin_status import STATUSES
from furusato.domain.ids import LG_CODE
from furusato.shapes.common import PAGING, UNSET, page_of
from furusato.shapes.registrations import PROGRESS

ORG_KINDS = ("neighborhood_association", "npo", "dmo", "chamber_of_commerce", "company", "school", "other")
DESIGNATIONS = ("per_activity", "all_activities")
NONCE = r"[A-Za-z0-9_-]{8,64}"
ID = r"[a-z]{3,4}_[0-9a-z]{26}"


# ---- requests -------------------------------------------------------------------------------

ORGANIZATION_IN = Obj(
    "OrganizationIn",
    {
        "name": Str(min_length=1, max_length=100),
        "kind": Str(choices=ORG_KINDS),
        "designation": Str(choices=DESIGNATIONS),
    },
)
ORGANIZATION_PATCH = Obj(
    "OrganizationPatch",
    {
        "name": Str(min_length=1, max_length=100, default=UNSET),
        "kind": Str(choices=ORG_KINDS, default=UNSET),
        "designation": Str(choices=DESIGNATIONS, default=UNSET),
    },
)

_ACTIVITY_FIELDS = {
    "name": Str(min_length=1, max_length=200),
    "starts_at": Instant(),
    "ends_at": Instant(),
    "place": Str(min_length=1, max_length=200),
    "conditions": Str(max_length=2000, nullable=True, default=None, multiline=True),
    "capacity": Int(ge=1, le=100_000, nullable=True, default=None),
    "designated": Bool(
        nullable=True, default=None, description="omitted: from the organization's designation, else false"
    ),
    "checkin_mode": Str(choices=CHECKIN_MODES, default="static_qr"),
}
ACTIVITY_IN = Obj(
    "ActivityIn",
    {
        **_ACTIVITY_FIELDS,
        "organization_id": Str(
            pattern=ID, nullable=True, default=None, description="organization staff: their own (or omitted)"
        ),
    },
)
ACTIVITY_PATCH = Obj(
    "ActivityPatch",
    {
        "name": Str(min_length=1, max_length=200, default=UNSET),
        "starts_at": Instant(default=UNSET),
        "ends_at": Instant(default=UNSET),
        "place": Str(min_length=1, max_length=200, default=UNSET),
        "conditions": Str(max_length=2000, nullable=True, default=UNSET, multiline=True),
        "capacity": Int(ge=1, le=100_000, nullable=True, default=UNSET),
        "designated": Bool(default=UNSET),
        "checkin_mode": Str(choices=CHECKIN_MODES, default=UNSET),
    },
)
CANCEL_IN = Obj(
    "ActivityCancelIn", {"reason": Str(max_length=500, nullable=True, default=None, multiline=True)}
)

CHECKIN_IN = Obj(
    "CheckinIn",
    {
        "token": Str(
            min_length=1,
            max_length=512,
            free_text=False,
            description="what the QR code holds: the token, or the whole URL `…/checkin#<token>`",
        ),
        "nonce": Str(pattern=NONCE, description="a fresh random value per scan, from the app"),
        "scanned_at": Instant(
            nullable=True, default=None, description="offline scans of static QR codes only, within 72 hours"
        ),
    },
)
STAFF_CHECKIN_IN = Obj(
    "StaffCheckinIn",
    {
        "member_token": Str(
            min_length=1,
            max_length=256,
            free_text=False,
            description="the code of the registrant's card",
        ),
        "nonce": Str(pattern=NONCE),
    },
)

PARTICIPATION_DECISION_IN = Obj(
    "ParticipationDecisionIn",
    {
        "decision": Str(
            choices=("confirm", "reject"),
            description="confirm: the person was there (the participation counts from now); "
            "reject: it never counts",
        )
    },
)

# ---- queries --------------------------------------------------------------------------------

_RANGE = {
    "from": Date(default=None, description="first JST date (inclusive)"),
    "to": Date(default=None, description="last JST date (inclusive)"),
}
PUBLIC_ACTIVITIES_QUERY = Obj("PublicActivitiesQuery", {**_RANGE, **PAGING})
STAFF_ACTIVITIES_QUERY = Obj(
    "StaffActivitiesQuery",
    {**_RANGE, "status": Str(choices=("scheduled", "cancelled"), default=None), **PAGING},
)
QR_QUERY = Obj("QrQuery", {"format": Str(choices=("pdf", "png", "svg", "json"), default="png")})
PARTICIPANTS_QUERY = Obj(
    "ParticipantsQuery",
    {"format": Str(choices=("json", "xlsx"), default="json", description="xlsx: the whole roster"), **PAGING},
)
MY_PARTICIPATIONS_QUERY = Obj(
    "MyParticipationsQuery", {"lg_code": Str(pattern=LG_CODE, default=None), **_RANGE, **PAGING}
)

# ---- responses ------------------------------------------------------------------------------

ORGANIZATION = Obj(
    "Organization",
    {
        "org_id": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "name": Str(),
        "kind": Str(choices=ORG_KINDS),
        "designation": Str(choices=DESIGNATIONS),
        "created_at": Instant(),
        "updated_at": Instant(),
    },
)
_ACTIVITY_OUT = {
    "activity_id": Str(),
    "lg_code": Str(pattern=LG_CODE),
    "name": Str(),
    "starts_at": Instant(),
    "ends_at": Instant(),
    "place": Str(),
    "conditions": Str(nullable=True),
    "capacity": Int(nullable=True),
    "organization_id": Str(nullable=True),
    "designated": Bool(),
    "checkin_mode": Str(choices=CHECKIN_MODES),
    "status": Str(choices=("scheduled", "cancelled")),
}
ACTIVITY = Obj("Activity", _ACTIVITY_OUT)
STAFF_ACTIVITY = Obj(
    "StaffActivity",
    {
        **_ACTIVITY_OUT,
        "checkin_opens_at": Instant(),
        "checkin_closes_at": Instant(),
        "created_at": Instant(),
        "updated_at": Instant(),
        "cancelled_at": Instant(nullable=True),
        "cancel_reason": Str(nullable=True),
        "scan_failures": FreeMap(description="failed scans by error code"),
        "participant_count": Int(required=False, description="single-activity responses only"),
    },
)
QR_TOKEN = Obj("QrToken", {"token": Str(), "url": Str(), "valid_from": Instant(), "valid_until": Instant()})
LIVE_TOKEN = Obj(
    "LiveToken",
    {
        "token": Str(),
        "url": Str(),
        "valid_from": Instant(),
        "valid_until": Instant(description="accepted until then (its step plus one step of grace)"),
        "refresh_at": Instant(description="show the next code from then on"),
        "step_seconds": Int(),
    },
)
SOURCES = ("qr", "staff_scan", "backfill")
STATUS = Str(
    choices=STATUSES,
    description="unconfirmed: an offline scan of a printed code that arrived after the check-in "
    "window closed; it counts for nothing until staff confirm it from the roster (rejected: never)",
)
PARTICIPATION = Obj(
    "Participation",
    {
        "participation_id": Str(),
        "activity_id": Str(),
        "lg_code": Str(pattern=LG_CODE),
        "activity": Obj(
            "ParticipationActivity",
            {"name": Str(), "starts_at": Instant(), "ends_at": Instant(), "place": Str()},
        ),
        "designated": Bool(),
        "day": Date(),
        "source": Str(choices=SOURCES),
        "checkin_mode": Str(choices=CHECKIN_MODES),
        "checked_in_at": Instant(description="the instant of the scan"),
        "recorded_at": Instant(description="when the server recorded it"),
        "offline": Bool(),
        "status": STATUS,
    },
)
CHECKIN_RESULT = Obj(
    "CheckinResult",
    {
        "status": Str(choices=("recorded", "already_recorded")),
        "activity": ACTIVITY,
        "lg_code": Str(pattern=LG_CODE),
        "counted": Bool(description="counts toward premium with this government in the current window"),
        "activity_day": Date(description="the JST date the participation counts on (the activity's start)"),
        "upgraded": Obj(
            "CheckinUpgrade",
            {"lg_code": Str(pattern=LG_CODE), "valid_until": Date()},
            nullable=True,
            description="set when this scan made an opted-in registrant premium (auto_upgrade)",
        ),
        "progress": PROGRESS,
        "registered": Bool(description="false: the app may offer registration with lg_code"),
        "participation": PARTICIPATION,
    },
)
STAFF_CHECKIN_RESULT = Obj(
    "StaffCheckinResult",
    {
        "status": Str(choices=("recorded", "already_recorded")),
        "activity": ACTIVITY,
        "lg_code": Str(pattern=LG_CODE),
        "counted": Bool(),
        "activity_day": Date(description="the JST date the participation counts on (the activity's start)"),
        "registered": Bool(),
        "participation": Obj(
            "StaffCheckinParticipation",
            {"participation_id": Str(), "source": Str(choices=SOURCES), "checked_in_at": Instant()},
        ),
    },
)
PARTICIPANT = Obj(
    "Participant",
    {
        "participation_id": Str(),
        "kind": Str(
            choices=("registrant", "pending"),
            description="pending: a backfilled participant not yet matched to a registrant "
            "(name as written in the file); becomes a registrant row when matched",
        ),
        "name": Str(nullable=True),
        "registered": Bool(),
        "registration_id": Str(nullable=True),
        "source": Str(choices=SOURCES),
        "checkin_mode": Str(choices=CHECKIN_MODES),
        "checked_in_at": Instant(),
        "recorded_at": Instant(),
        "offline": Bool(),
        "status": STATUS,
        "decided_at": Instant(nullable=True, description="when staff confirmed or rejected it"),
    },
)
CARD = Obj(
    "Card",
    {
        "member_token": Str(description="show as a QR code for staff scans; short-lived"),
        "member_token_expires_at": Instant(),
        "cards": List(
            Obj(
                "RegistrationCard",
                {
                    "lg_code": Str(pattern=LG_CODE),
                    "name": Str(nullable=True),
                    "plan": Str(choices=("basic", "premium")),
                    "long_term_stayer": Bool(),
                    "valid_until": Date(nullable=True),
                },
            )
        ),
    },
)
ORGANIZATION_PAGE = page_of("OrganizationPage", ORGANIZATION)
ACTIVITY_PAGE = page_of("ActivityPage", ACTIVITY)
STAFF_ACTIVITY_PAGE = page_of("StaffActivityPage", STAFF_ACTIVITY)
PARTICIPANT_PAGE = page_of("ParticipantPage", PARTICIPANT)
PARTICIPATION_PAGE = page_of("ParticipationPage", PARTICIPATION)

ROSTER_EXPORT = Obj(
    "RosterExport",
    {
        "export_id": Str(description="exp_ + 26 characters"),
        "activity_id": Str(),
        "status": Str(choices=("queued", "running", "completed", "failed")),
        "rows_total": Int(ge=0, description="participants counted when the export was asked for"),
        "rows_written": Int(ge=0, description="progress: lines written so far"),
        "created_at": Instant(),
        "updated_at": Instant(),
        "failure_message": Str(nullable=True),
        "download_url": Str(nullable=True, description="once completed: a presigned GET, valid 15 minutes"),
        "download_expires_at": Instant(nullable=True),
    },
)
