"""The local stand-ins for the Cognito user pools and the API Gateway authorizers."""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from furusato import clock
from infra.local.tokens import (
    LocalIssuer,
    TokenRequest,
    TokenRequestError,
    Unauthenticated,
    authorizer_claims,
    bearer_token,
    parse_token_request,
)

BASE = "http://127.0.0.1:8000"
T0 = 1_800_000_000  # 2027-01-15T08:00:00Z


class FakeTime:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# One key for the module: generating RSA keys is the slow part.
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def time_now() -> FakeTime:
    return FakeTime(T0)


@pytest.fixture
def issuer(time_now: FakeTime) -> LocalIssuer:
    return LocalIssuer(BASE, now=time_now, private_key=_KEY)


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, payload, _ = token.split(".")

    def decode(part: str) -> dict[str, Any]:
        return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))

    return decode(head), decode(payload)


def _claims(issuer: LocalIssuer, token: str) -> dict[str, Any]:
    return _segments(token)[1]


def _refused(issuer: LocalIssuer, token: str, pool: str, reason: str) -> None:
    with pytest.raises(Unauthenticated, match=reason):
        issuer.verify(token, pool)  # type: ignore[arg-type]


# --- minting ----------------------------------------------------------------------------------


def test_registrant_token_is_shaped_like_a_cognito_id_token(issuer: LocalIssuer) -> None:
    minted = issuer.mint(TokenRequest("user-1", "registrant"))
    header, claims = _segments(minted.token)
    assert header == {"alg": "RS256", "kid": issuer.kid}
    assert claims["sub"] == "user-1"
    assert claims["iss"] == f"{BASE}/local/pools/registrants"
    assert claims["aud"] == issuer.pools["registrants"].client_id
    assert claims["token_use"] == "id"
    assert claims["iat"] == claims["auth_time"] == T0
    assert claims["exp"] == T0 + 3600 == minted.expires_at
    assert not any(name.startswith("custom:") for name in claims)
    assert "cognito:groups" not in claims
    assert issuer.verify(minted.token, "registrants")["sub"] == "user-1"
    assert datetime.fromisoformat(minted.to_dict()["expires_at"]).timestamp() == T0 + 3600


def test_staff_and_operator_tokens_come_from_the_staff_pool(issuer: LocalIssuer) -> None:
    staff = _claims(
        issuer, issuer.mint(TokenRequest("s-1", "staff", lg_code="212172", staff_role="admin")).token
    )
    assert staff["iss"] == f"{BASE}/local/pools/staff"
    assert staff["aud"] == issuer.pools["staff"].client_id
    assert staff["custom:lg_code"] == "212172" and staff["custom:staff_role"] == "admin"
    assert "custom:org_id" not in staff
    org = _claims(
        issuer,
        issuer.mint(TokenRequest("s-2", "staff", lg_code="212172", staff_role="org", org_id="org-9")).token,
    )
    assert org["custom:org_id"] == "org-9"
    operator = issuer.mint(TokenRequest("op-1", "operator")).token
    assert _claims(issuer, operator)["cognito:groups"] == ["operator"]
    assert issuer.verify(operator, "staff")["sub"] == "op-1"


def test_tokens_use_the_real_clock_not_business_time() -> None:
    real = LocalIssuer(BASE, private_key=_KEY)
    try:
        clock.freeze(datetime.fromisoformat("2020-01-01T00:00:00+09:00"))
        token = real.mint(TokenRequest("u", "registrant")).token
        clock.freeze(datetime.fromisoformat("2099-01-01T00:00:00+09:00"))
        assert real.verify(token, "registrants")["sub"] == "u"
    finally:
        clock.unfreeze()


# --- verifying --------------------------------------------------------------------------------


def test_expiry_uses_the_issuers_clock(issuer: LocalIssuer, time_now: FakeTime) -> None:
    token = issuer.mint(TokenRequest("u", "registrant")).token
    time_now.now = T0 + 3599
    issuer.verify(token, "registrants")
    time_now.now = T0 + 3600
    _refused(issuer, token, "registrants", "expired")


def test_wrong_pool_is_refused(issuer: LocalIssuer) -> None:
    registrant = issuer.mint(TokenRequest("u", "registrant")).token
    staff = issuer.mint(TokenRequest("s", "staff", lg_code="131041", staff_role="viewer")).token
    operator = issuer.mint(TokenRequest("o", "operator")).token
    _refused(issuer, registrant, "staff", "user pool")
    _refused(issuer, staff, "registrants", "user pool")
    _refused(issuer, operator, "registrants", "user pool")


def test_tampered_signature_is_refused(issuer: LocalIssuer) -> None:
    token = issuer.mint(TokenRequest("u", "registrant")).token
    head, payload, signature = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0xFF
    bad = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    _refused(issuer, f"{head}.{payload}.{bad}", "registrants", "signature")


def test_tampered_payload_is_refused(issuer: LocalIssuer) -> None:
    token = issuer.mint(TokenRequest("u", "registrant")).token
    head, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    _refused(issuer, f"{head}.{forged}.{signature}", "registrants", "signature")


def test_unknown_kid_is_refused(issuer: LocalIssuer) -> None:
    claims = _claims(issuer, issuer.mint(TokenRequest("u", "registrant")).token)
    _refused(issuer, issuer.sign(claims, kid="another-key"), "registrants", "unknown key")


def test_another_key_with_our_kid_is_refused(issuer: LocalIssuer) -> None:
    claims = _claims(issuer, issuer.mint(TokenRequest("u", "registrant")).token)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": issuer.kid})
    _refused(issuer, forged, "registrants", "signature")


def test_a_previous_runs_token_is_refused(issuer: LocalIssuer, time_now: FakeTime) -> None:
    # Each start makes a new kid: a token kept from yesterday's stack fails loudly.
    old = LocalIssuer(BASE, now=time_now, private_key=_KEY).mint(TokenRequest("u", "registrant")).token
    _refused(issuer, old, "registrants", "unknown key")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"aud": "someone-elses-client"}, "client"),
        ({"iss": "https://cognito-idp.ap-northeast-1.amazonaws.com/ap-northeast-1_x"}, "user pool"),
        ({"token_use": "access"}, "ID token"),
        ({"token_use": None}, "ID token"),
        ({"exp": None}, "expiry"),
        ({"exp": "1800003600"}, "expiry"),
        ({"sub": ""}, "subject"),
    ],
)
def test_claims_checks(issuer: LocalIssuer, change: dict[str, Any], reason: str) -> None:
    claims = _claims(issuer, issuer.mint(TokenRequest("u", "registrant")).token)
    for name, value in change.items():
        if value is None:
            claims.pop(name)
        else:
            claims[name] = value
    _refused(issuer, issuer.sign(claims), "registrants", reason)


def test_other_algorithms_are_refused(issuer: LocalIssuer) -> None:
    claims = _claims(issuer, issuer.mint(TokenRequest("u", "registrant")).token)
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": issuer.kid})
    _refused(issuer, unsigned, "registrants", "algorithm")
    hmac = jwt.encode(claims, "a-shared-secret-of-enough-length-for-hs256", algorithm="HS256")
    _refused(issuer, hmac, "registrants", "algorithm")


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "a.b", "eyJhbGciOiJSUzI1NiJ9.e30"])
def test_malformed_tokens_are_refused(issuer: LocalIssuer, token: str) -> None:
    with pytest.raises(Unauthenticated):
        issuer.verify(token, "registrants")


# --- the Authorization header and the claims API Gateway passes on --------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer  x.y.z ", "x.y.z"), ("x.y.z", "x.y.z")],
)
def test_bearer_token(header: str, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [None, "", "   ", "Bearer", "Bearer ", "Bearer a b", "Basic a b"])
def test_bearer_token_refuses(header: str | None) -> None:
    with pytest.raises(Unauthenticated):
        bearer_token(header)


def test_authorizer_claims_are_strings_as_a_rest_authorizer_passes_them(issuer: LocalIssuer) -> None:
    token = issuer.mint(TokenRequest("o", "operator")).token
    claims = authorizer_claims(issuer.verify(token, "staff"))
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["cognito:groups"] == "operator"
    assert claims["auth_time"] == str(T0)
    assert claims["exp"] == "Fri Jan 15 09:00:00 UTC 2027"
    assert re.fullmatch(r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}", claims["iat"])
    assert authorizer_claims({"cognito:groups": ["a", "b"], "email_verified": True}) == {
        "cognito:groups": "a,b",
        "email_verified": "true",
    }


# --- the /local/token body ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "bad"),
    [
        ([], {"body"}),
        ({"sub": "x", "role": "registrant", "email": "a@example.com"}, {"email"}),
        ({"sub": "", "role": "registrant"}, {"sub"}),
        ({"sub": "x" * 129, "role": "registrant"}, {"sub"}),
        ({"sub": 7, "role": "registrant"}, {"sub"}),
        ({"sub": "x", "role": "admin"}, {"role"}),
        ({"sub": "x"}, {"role"}),
        ({"sub": "x", "role": "staff", "staff_role": "admin"}, {"lg_code"}),
        ({"sub": "x", "role": "staff", "lg_code": "21217", "staff_role": "admin"}, {"lg_code"}),
        ({"sub": "x", "role": "staff", "lg_code": 212172, "staff_role": "admin"}, {"lg_code"}),
        ({"sub": "x", "role": "staff", "lg_code": "212172"}, {"staff_role"}),
        ({"sub": "x", "role": "staff", "lg_code": "212172", "staff_role": "owner"}, {"staff_role"}),
        ({"sub": "x", "role": "staff", "lg_code": "212172", "staff_role": "org"}, {"org_id"}),
        ({"sub": "x", "role": "staff", "lg_code": "212172", "staff_role": "org", "org_id": " "}, {"org_id"}),
        ({"sub": "x", "role": "registrant", "lg_code": "212172"}, {"lg_code"}),
        ({"sub": "x", "role": "operator", "staff_role": "admin"}, {"staff_role"}),
    ],
)
def test_token_requests_are_validated(body: Any, bad: set[str]) -> None:
    with pytest.raises(TokenRequestError) as caught:
        parse_token_request(body)
    assert set(caught.value.details) == bad


def test_valid_token_requests() -> None:
    assert parse_token_request({"sub": "x", "role": "registrant"}) == TokenRequest("x", "registrant")
    assert parse_token_request({"sub": "x", "role": "operator"}) == TokenRequest("x", "operator")
    assert parse_token_request(
        {"sub": "x", "role": "staff", "lg_code": "212172", "staff_role": "org", "org_id": "o1"}
    ) == TokenRequest("x", "staff", "212172", "org", "o1")
