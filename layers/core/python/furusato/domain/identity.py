"""Identity verification (rules 7-9): a signed assertion from the identity provider (the national
digital authentication app, OIDC-style) gives the four basic facts. Only the result and those
facts are kept; an individual number (個人番号) is never accepted, stored or logged."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from furusato.domain.errors import DomainError
from furusato.domain.profile import contains_individual_number

LEEWAY_S = 60  # clock skew tolerated on exp / nbf / iat
ALGORITHMS = ("RS256", "ES256")
# Claim names that would carry an individual number, whatever their value.
_FORBIDDEN_CLAIMS = re.compile(r"individual|my_?number|kojin|mynumber", re.IGNORECASE)
_GENDERS = {
    "male": "male",
    "female": "female",
    "other": "other",
    "男": "male",
    "男性": "male",
    "女": "female",
    "女性": "female",
    "その他": "other",
    "1": "male",  # codes used by Japanese public systems
    "2": "female",
    "3": "other",
}


class InvalidAssertion(DomainError):
    status = 400
    code = "INVALID_ASSERTION"


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str
    audience: str
    # kid -> public key (PEM or a pyjwt key object), from the provider's JWKS.
    keys: dict[str, Any]


@dataclass(frozen=True)
class VerifiedFacts:
    issuer: str
    subject: str
    name: str
    address: str
    birth_date: date
    gender: str
    # Single use and binding to an account (checked by the capability against the store): the
    # nonce the server issued for this attempt, the assertion's id, and when it expires.
    nonce: str | None = None
    jti: str | None = None
    expires_at: float = 0.0

    @property
    def identity_key(self) -> str:
        """One verified identity binds to one account (rule 8): a stable, non-reversible key of
        the provider's subject, so the binding item holds no identifier of the provider."""
        return hashlib.sha256(f"{self.issuer}\n{self.subject}".encode()).hexdigest()


# The protocol's own values: times, and identifiers the provider or this system mints at random
# (a uuid's hex, a nonce). They may hold 12 digits in a row by chance, and none of them is kept
# as text (the jti is stored only as a digest), so they are not searched for a number.
_OPAQUE_CLAIMS = frozenset({"iat", "exp", "nbf", "auth_time", "jti", "nonce", "at_hash", "c_hash", "sid"})


def _claims_carry_individual_number(claims: dict[str, Any]) -> bool:
    return any(
        _carries_individual_number(value, str(name))
        for name, value in claims.items()
        if name not in _OPAQUE_CLAIMS
    )


def _carries_individual_number(value: Any, name: str = "") -> bool:
    if name and _FORBIDDEN_CLAIMS.search(name):
        return True
    if isinstance(value, dict):
        return any(_carries_individual_number(v, str(k)) for k, v in value.items())
    if isinstance(value, list):
        return any(_carries_individual_number(v) for v in value)
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return len(str(abs(value))) == 12
    if isinstance(value, str):
        return contains_individual_number(value)
    return False


def verify_assertion(token: str, provider: ProviderConfig, now: datetime) -> VerifiedFacts:
    """Signature (by kid), issuer, audience, exp, nbf; then the four facts. Every failure is
    INVALID_ASSERTION with a reason that never quotes the token."""
    import jwt  # only identity verification pays for the crypto import

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidAssertion("the assertion is malformed", details={"assertion": "malformed"}) from exc
    key = provider.keys.get(str(header.get("kid")))
    if key is None or header.get("alg") not in ALGORITHMS:
        raise InvalidAssertion(
            "the assertion is signed by an unknown key", details={"assertion": "unknown key"}
        )
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=list(ALGORITHMS),
            audience=provider.audience,
            issuer=provider.issuer,
            # Times are checked below against the business clock (frozen in tests).
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "require": ["exp", "sub"],
            },
        )
    except jwt.InvalidAudienceError as exc:
        raise InvalidAssertion(
            "the assertion is for another audience", details={"assertion": "audience"}
        ) from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidAssertion(
            "the assertion is from another issuer", details={"assertion": "issuer"}
        ) from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidAssertion(
            "the assertion's signature is invalid", details={"assertion": "signature"}
        ) from exc
    except jwt.PyJWTError as exc:
        raise InvalidAssertion("the assertion is invalid", details={"assertion": "invalid"}) from exc
    instant = now.timestamp()
    if float(claims["exp"]) + LEEWAY_S < instant:
        raise InvalidAssertion("the assertion has expired", details={"assertion": "expired"})
    if "nbf" in claims and float(claims["nbf"]) - LEEWAY_S > instant:
        raise InvalidAssertion("the assertion is not valid yet", details={"assertion": "not yet valid"})
    if _claims_carry_individual_number(claims):
        # Refused whole: the number must not reach storage or logs, even in part.
        raise InvalidAssertion(
            "the assertion carries an individual number, which this system never accepts",
            details={"assertion": "individual number"},
        )
    return _facts(claims, provider.issuer)


def _facts(claims: dict[str, Any], issuer: str) -> VerifiedFacts:
    missing = [c for c in ("name", "address", "birthdate", "gender") if not claims.get(c)]
    if missing:
        raise InvalidAssertion("the assertion lacks basic facts", details={"missing": missing})
    address = claims["address"]
    if isinstance(address, dict):  # OIDC address claim
        address = address.get("formatted") or ""
    try:
        birth = date.fromisoformat(str(claims["birthdate"]))
    except ValueError as exc:
        raise InvalidAssertion("birthdate is not a date", details={"birthdate": "YYYY-MM-DD"}) from exc
    gender = _GENDERS.get(unicodedata.normalize("NFKC", str(claims["gender"])).strip().lower())
    if gender is None:
        raise InvalidAssertion("gender is not understood", details={"gender": "unknown value"})
    return VerifiedFacts(
        issuer=issuer,
        subject=str(claims["sub"]),
        name=" ".join(str(claims["name"]).split()),
        address=str(address).strip(),
        birth_date=birth,
        gender=gender,
        nonce=str(claims["nonce"]) if claims.get("nonce") else None,
        jti=str(claims["jti"]) if claims.get("jti") else None,
        expires_at=float(claims["exp"]),
    )
