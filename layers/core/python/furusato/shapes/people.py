"""The registrant: profile, identity verification, the `me` view, notifications, data rights."""

from __future__ import annotations

from furusato.api.schema import Bool, Date, FreeMap, Instant, List, Obj, Str
from furusato.domain.ids import LG_CODE
from furusato.domain.notifications import KINDS
from furusato.shapes.registrations import REGISTRATION

GENDERS = ("male", "female", "other", "no_answer")

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
PROFILE = Obj("Profile", {**PROFILE_IN.fields, "residence_lg_code": Str(pattern=LG_CODE)})
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
NOTIFICATION = Obj(
    "Notification",
    {
        "notification_id": Str(),
        "kind": Str(choices=KINDS),
        "title": Str(),
        "body": Str(max_length=5000),
        "lg_code": Str(nullable=True),
        "created_at": Instant(),
        "read": Bool(),
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
IDENTITY_NONCE = Obj(
    "IdentityNonce",
    {
        "nonce": Str(free_text=False, description="pass to the identity provider; its assertion carries it"),
        "expires_at": Str(description="the assertion must be presented before this instant"),
    },
)
