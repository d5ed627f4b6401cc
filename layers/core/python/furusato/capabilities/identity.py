"""Identity verification with the My Number Card (rules 7-9) and its effects on the profile."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from furusato import clock
from furusato.domain.errors import Conflict, DomainError, InvalidInput
from furusato.domain.identity import LEEWAY_S, verify_assertion
from furusato.domain.municipalities import lg_code_for_address
from furusato.domain.premium import is_minor
from furusato.domain.profile import Profile
from furusato.store import people
from furusato.views.registration import identity_view, nonce_view


class GuardianConsentRequired(DomainError):
    status = 400
    code = "GUARDIAN_CONSENT_REQUIRED"


# How long a verification attempt may take: the card reading in the provider's app and back.
NONCE_LIFETIME = timedelta(minutes=10)


def new_nonce(sub: str) -> dict[str, Any]:
    """A nonce for one verification attempt of this account: the app passes it to the identity
    provider, whose assertion must carry it back."""
    from furusato.store import identity_attempts

    nonce = secrets.token_urlsafe(24)
    expires_at = clock.now() + NONCE_LIFETIME
    identity_attempts.issue(sub, nonce, expires_at)
    return nonce_view(nonce, expires_at)


def verify(sub: str, assertion: str, guardian_consent: dict[str, Any] | None) -> dict[str, Any]:
    """Check the assertion, bind the identity to this account, and lock the four facts in the
    profile. A new verification replaces the facts; a new address moves the residence."""
    import jwt

    try:
        kid = jwt.get_unverified_header(assertion).get("kid")
    except jwt.PyJWTError:
        kid = None
    # Imported here: only verifications pay for them, not every request of the function.
    from furusato.capabilities import backfill, premium
    from furusato.store import identity_provider

    consented_at = (guardian_consent or {}).get("consented_at")
    if isinstance(consented_at, datetime) and consented_at > clock.now():
        # Rule 9 records when the guardian consented: a consent cannot come from the future.
        raise InvalidInput(
            "the guardian's consent cannot be dated in the future",
            details={"guardian_consent.consented_at": "not after now"},
        )
    now = clock.now()
    facts = verify_assertion(assertion, identity_provider.provider(kid), now)
    if not facts.nonce or not facts.jti:
        raise InvalidInput(
            "the assertion must carry the nonce issued by POST /v1/me/identity-verifications/nonce "
            "and an id (jti)",
            code="INVALID_ASSERTION",
            details={"assertion": "nonce and jti required"},
        )
    today = clock.today()
    minor = is_minor(facts.birth_date, today)
    if minor and not guardian_consent:
        raise GuardianConsentRequired(
            "under 18 on the day of verification: a guardian's consent is required",
            details={"guardian_consent": "required for a person under 18"},
        )
    residence = lg_code_for_address(facts.address)
    if residence is None:
        raise InvalidInput(
            "the verified address does not name a municipality",
            code="INVALID_ASSERTION",
            details={"address": "no municipality found"},
        )
    # Single use, and only by the account the nonce was issued to: an assertion released by one
    # account is refused on another, and the same assertion is refused the second time.
    from furusato.store import identity_attempts

    identity_attempts.consume(
        sub,
        facts.nonce,
        issuer=facts.issuer,
        jti=facts.jti,
        jti_expires_at=datetime.fromtimestamp(facts.expires_at + LEEWAY_S, tz=UTC),
        now=now,
    )
    record = people.load(sub)
    people.bind_identity(facts.identity_key, sub)
    previous = record.identity
    postal_code = record.profile.postal_code if record.profile else ""
    profile = Profile(
        name=facts.name,
        birth_date=facts.birth_date,
        gender=facts.gender,  # type: ignore[arg-type]
        postal_code=postal_code,
        address=facts.address,
        residence_lg_code=residence,
    )
    consent = None
    if minor and guardian_consent:
        consent = {
            "guardian_name": guardian_consent["guardian_name"].strip(),
            "relationship": guardian_consent["relationship"].strip(),
            "consented_at": clock.iso(guardian_consent["consented_at"])
            if isinstance(guardian_consent["consented_at"], datetime)
            else guardian_consent["consented_at"],
        }
    identity = people.Identity(
        verified_at=clock.iso(clock.now()),
        identity_key=facts.identity_key,
        minor=minor,
        guardian_consent=consent,
    )
    # Rule 5: a premium registration that becomes own residence falls back to basic at once.
    changed, downgraded = premium.residence_changes(record, residence)
    before = record.profile  # save() replaces it
    people.save(record, changed, profile=profile, identity=identity, touch=today)
    premium.tell_own_residence_downgrades(sub, downgraded)
    # Backfilled participations of someone with these facts now count for this person (rule 19).
    backfill.attach_pending(sub, profile, previous=before, verified=True)
    if previous is not None and previous.identity_key != facts.identity_key:
        # This account now carries another identity: the old one is free again.
        people.release_identity(previous.identity_key, sub)
    return identity_view(identity)


LOCKED_FIELDS = ("name", "birth_date", "gender", "address")


def check_unlocked(record: people.PersonRecord, profile: Profile) -> Profile:
    """After verification the four facts are locked (409 IDENTITY_LOCKED); the postal code may
    change but the residence stays the verified address's."""
    if record.identity is None or record.profile is None:
        return profile
    current = record.profile
    changed = [f for f in LOCKED_FIELDS if getattr(profile, f) != getattr(current, f)]
    if changed:
        raise Conflict(
            "these facts come from your verified identity and cannot be edited",
            code="IDENTITY_LOCKED",
            details={"fields": changed},
        )
    return replace(profile, residence_lg_code=current.residence_lg_code)
