"""Identity assertions: signature, issuer, audience, times, facts, and never an individual number."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from furusato.clock import JST
from furusato.domain.identity import InvalidAssertion, ProviderConfig, verify_assertion
from furusato.domain.municipalities import lg_code_for_address

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=JST)
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PROVIDER = ProviderConfig(issuer="https://idp.example.jp", audience="furusato", keys={"k1": KEY.public_key()})


def assertion(key: Any = KEY, kid: str = "k1", **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "iss": "https://idp.example.jp",
        "aud": "furusato",
        "sub": "person-123",
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=5)).timestamp()),
        "name": "飛騨　太郎",
        "address": "岐阜県飛騨市古川町本町2-22",
        "birthdate": "1990-04-01",
        "gender": "男性",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def reason(token: str) -> str:
    with pytest.raises(InvalidAssertion) as err:
        verify_assertion(token, PROVIDER, NOW)
    assert err.value.code == "INVALID_ASSERTION"
    return str(next(iter(err.value.details.values())))


def test_a_good_assertion_gives_the_four_facts() -> None:
    facts = verify_assertion(assertion(), PROVIDER, NOW)
    assert (facts.name, facts.birth_date, facts.gender) == ("飛騨 太郎", date(1990, 4, 1), "male")
    assert lg_code_for_address(facts.address) == "212172"
    assert len(facts.identity_key) == 64 and "person-123" not in facts.identity_key


def test_bad_signature_unknown_key_and_garbage() -> None:
    assert reason(assertion(key=OTHER_KEY)) == "signature"
    assert reason(assertion(kid="k9")) == "unknown key"
    assert reason("not.a.jwt") == "malformed"
    token = assertion()
    header, payload, signature = token.split(".")
    assert reason(f"{header}.{payload[:-2]}AA.{signature}") in ("signature", "invalid")


def test_wrong_audience_and_issuer() -> None:
    assert reason(assertion(aud="someone-else")) == "audience"
    assert reason(assertion(iss="https://evil.example")) == "issuer"


def test_expiry_and_not_before_with_a_minute_of_leeway() -> None:
    assert reason(assertion(exp=int((NOW - timedelta(seconds=61)).timestamp()))) == "expired"
    verify_assertion(assertion(exp=int((NOW - timedelta(seconds=59)).timestamp())), PROVIDER, NOW)
    assert reason(assertion(nbf=int((NOW + timedelta(seconds=61)).timestamp()))) == "not yet valid"
    assert reason(assertion(exp=None)) == "invalid"


@pytest.mark.parametrize(
    "claims",
    [
        {"individual_number": "123456789012"},
        {"my_number": "x"},
        {"address": "岐阜県飛騨市古川町 123456789012"},
        {"note": 123456789012},
        {"extra": {"nested": "１２３４ ５６７８ ９０１２"}},
    ],
)
def test_any_individual_number_refuses_the_whole_assertion(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidAssertion) as err:
        verify_assertion(assertion(**claims), PROVIDER, NOW)
    assert "123456789012" not in str(err.value.details) and "123456789012" not in err.value.message


@pytest.mark.parametrize(
    "claims",
    [
        # A uuid4's hex, a random nonce and an epoch time may hold 12 digits in a row: they are
        # the protocol's opaque values, not a person's number.
        {"jti": "8f1234567890123a4b5c6d7e8f9a0b1c", "nonce": "Zx123456789012_Qw"},
        {"auth_time": 123456789012},
    ],
)
def test_protocol_identifiers_with_twelve_digits_are_not_an_individual_number(
    claims: dict[str, Any],
) -> None:
    facts = verify_assertion(assertion(**claims), PROVIDER, NOW)
    assert facts.name == "飛騨 太郎"


def test_missing_facts_are_named() -> None:
    with pytest.raises(InvalidAssertion) as err:
        verify_assertion(assertion(birthdate=None, gender=None), PROVIDER, NOW)
    assert err.value.details == {"missing": ["birthdate", "gender"]}
