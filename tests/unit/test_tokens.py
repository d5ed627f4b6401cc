"""Signed check-in and member tokens: format, size, tampering, keys, freshness."""

from __future__ import annotations

import base64
import struct
from datetime import datetime, timedelta

import pytest

from furusato.clock import JST
from furusato.domain import tokens

ACT = "act_01jc5x8k9z3h7q2m4n6p8r0tab"
OTHER_ACT = "act_01jc5x8k9z3h7q2m4n6p8r0taz"
NOW = datetime(2026, 5, 10, 10, 0, 7, tzinfo=JST)
RING = tokens.Keyring.from_document({"active_kid": "k2", "k1": "a" * 43, "k2": "b" * 43})


def _static(ring: tokens.Keyring = RING, lg_code: str = "212172", activity_id: str = ACT) -> str:
    return tokens.issue_static(
        ring,
        lg_code=lg_code,
        activity_id=activity_id,
        valid_from=NOW - timedelta(hours=1),
        valid_until=NOW + timedelta(hours=3),
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parts(token: str) -> list[str]:
    return token.split(".")


def test_static_token_round_trip_and_size() -> None:
    token = _static()
    claims = tokens.verify(RING, token)
    assert isinstance(claims, tokens.StaticClaims)
    assert (claims.kid, claims.lg_code, claims.activity_id) == ("k2", "212172", ACT)
    assert claims.valid_from == NOW - timedelta(hours=1)
    assert claims.valid_until == NOW + timedelta(hours=3)
    assert token.startswith("1s.k2.")
    # Compact enough for a QR code at poster distance, and URL-fragment safe.
    assert len(token) < 80
    assert all(c.isalnum() or c in "._-" for c in token)


def test_the_same_activity_window_gives_the_same_printed_token() -> None:
    assert _static() == _static()


def test_rotating_token_round_trip() -> None:
    token, claims = tokens.issue_rotating(RING, lg_code="212172", activity_id=ACT, now=NOW)
    verified = tokens.verify(RING, token)
    assert verified == claims
    assert isinstance(verified, tokens.RotatingClaims)
    assert verified.valid_from <= NOW < verified.valid_from + timedelta(seconds=tokens.ROTATION_STEP_S)
    assert verified.expires_at == verified.valid_from + timedelta(seconds=2 * tokens.ROTATION_STEP_S)
    assert len(token) < 80


def test_member_token_round_trip() -> None:
    sub = "4b1c7a52-2f1e-4a4e-9a57-0d2f6f1f8e11"
    token, expires = tokens.issue_member(RING, sub=sub, now=NOW)
    claims = tokens.verify(RING, token)
    assert isinstance(claims, tokens.MemberClaims)
    assert claims.sub == sub and claims.expires_at == expires == NOW + timedelta(seconds=300)
    assert len(token) < 120


def test_tampered_signature_is_refused() -> None:
    head, kid, body, mac = _parts(_static())
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(RING, f"{head}.{kid}.{body}.{flipped}")


def test_swapped_activity_id_is_refused() -> None:
    head, kid, body, mac = _parts(_static())
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    other = _parts(_static(activity_id=OTHER_ACT))[2]
    other_raw = base64.urlsafe_b64decode(other + "=" * (-len(other) % 4))
    assert raw[:12] == other_raw[:12] and raw != other_raw
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(RING, f"{head}.{kid}.{_b64(raw[:12] + other_raw[12:])}.{mac}")


def test_another_governments_code_in_the_payload_is_refused() -> None:
    head, kid, body, mac = _parts(_static())
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    forged = struct.pack(">I", 212032) + raw[4:]
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(RING, f"{head}.{kid}.{_b64(forged)}.{mac}")


def test_extended_window_is_refused() -> None:
    head, kid, body, mac = _parts(_static())
    raw = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw[8:12] = struct.pack(">I", 2**31)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(RING, f"{head}.{kid}.{_b64(bytes(raw))}.{mac}")


def test_unknown_or_revoked_key_id_is_refused() -> None:
    token = _static()
    revoked = tokens.Keyring.from_document({"active_kid": "k3", "k1": "a" * 43, "k3": "c" * 43})
    with pytest.raises(tokens.InvalidToken, match="unknown or revoked"):
        tokens.verify(revoked, token)


def test_relabelled_key_id_is_refused() -> None:
    head, _kid, body, mac = _parts(_static())
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(RING, f"{head}.k1.{body}.{mac}")


def test_old_keys_still_verify_after_rotation() -> None:
    old = tokens.Keyring.from_document({"active_kid": "k1", "k1": "a" * 43})
    token = _static(ring=old)
    assert tokens.verify(RING, token).kid == "k1"


def test_a_token_of_one_kind_cannot_pass_as_another() -> None:
    member, _ = tokens.issue_member(RING, sub="u1", now=NOW)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(RING, "1s" + member[2:])
    rotating, _ = tokens.issue_rotating(RING, lg_code="212172", activity_id=ACT, now=NOW)
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(RING, "1s" + rotating[2:])


@pytest.mark.parametrize(
    "token",
    [
        "",
        "x",
        "2s.k2.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "1x.k2.AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "1s.k2.AA$A.AAAAAAAAAAAAAAAAAAAAAA",
        "1s..AAAA.AAAAAAAAAAAAAAAAAAAAAA",
        "1s.k2.AAAA.AAAA",
        "a" * 1000,
    ],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(RING, token)


def test_the_whole_scanned_url_carries_the_token() -> None:
    token = _static()
    for scanned in (
        f"https://furusato.example.jp/checkin#{token}",
        f"http://127.0.0.1:8000/checkin#{token}",
        f"  https://furusato.example.jp/stage/checkin#{token}\n",
    ):
        assert tokens.from_scan(scanned) == token
        assert tokens.verify(RING, scanned).kid == "k2"
        assert tokens.peek_kid(scanned) == "k2"


@pytest.mark.parametrize(
    "scanned",
    [
        "https://furusato.example.jp/checkin#",
        "https://furusato.example.jp/elsewhere#{token}",
        "javascript://x/checkin#{token}",
        "https://furusato.example.jp/checkin?x#{token}",
        "https://e.jp/checkin#{token}" + "A" * 600,
    ],
)
def test_other_urls_are_malformed(scanned: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(RING, scanned.replace("{token}", _static()))


def test_signed_but_truncated_payload_is_malformed() -> None:
    key = RING.key("k2", "s")
    assert key is not None
    import hashlib
    import hmac

    head = f"1s.k2.{_b64(b'short')}"
    mac = hmac.new(key, head.encode(), hashlib.sha256).digest()[:16]
    with pytest.raises(tokens.InvalidToken, match="malformed"):
        tokens.verify(RING, f"{head}.{_b64(mac)}")


def test_rotating_token_lives_its_step_and_one_more() -> None:
    _token, claims = tokens.issue_rotating(RING, lg_code="212172", activity_id=ACT, now=NOW)
    step = timedelta(seconds=tokens.ROTATION_STEP_S)
    tokens.check_rotating(claims, claims.valid_from)
    tokens.check_rotating(claims, claims.valid_from + 2 * step - timedelta(seconds=1))
    with pytest.raises(tokens.TokenExpired):
        tokens.check_rotating(claims, claims.expires_at)
    with pytest.raises(tokens.TokenExpired):
        tokens.check_rotating(claims, claims.valid_from + timedelta(minutes=1, seconds=1))
    with pytest.raises(tokens.InvalidToken):
        tokens.check_rotating(claims, claims.valid_from - timedelta(seconds=1))


def test_member_token_expires() -> None:
    token, expires = tokens.issue_member(RING, sub="u1", now=NOW)
    claims = tokens.verify(RING, token)
    assert isinstance(claims, tokens.MemberClaims)
    tokens.check_member(claims, expires - timedelta(seconds=1))
    with pytest.raises(tokens.TokenExpired):
        tokens.check_member(claims, expires)


def test_peek_kid() -> None:
    assert tokens.peek_kid(_static()) == "k2"
    assert tokens.peek_kid("nonsense") is None


@pytest.mark.parametrize(
    "document",
    [
        {"k1": "a" * 43},
        {"active_kid": "k9", "k1": "a" * 43},
        {"active_kid": "k1", "k1": "short"},
        {"active_kid": "k1", "k1": "a" * 31},  # docs/deploy.md: at least 32 characters
        {"active_kid": "bad.kid", "bad.kid": "a" * 43},
    ],
)
def test_bad_keyrings_are_refused(document: dict[str, str]) -> None:
    assert tokens.Keyring.from_document({"active_kid": "k1", "k1": "a" * 32}).active_kid == "k1"
    with pytest.raises(ValueError):
        tokens.Keyring.from_document(document)


def test_only_activity_ids_of_this_system_fit_in_a_token() -> None:
    with pytest.raises(ValueError):
        _static(activity_id="act_NOT-AN-ID")
