"""Signed tokens for check-in (rule 18): static QR, rotating QR and member (card) tokens.

Pure: HMAC-SHA256 over a compact binary payload, no I/O. The keyring comes from the store.

Wire format (ASCII, QR- and URL-fragment-safe, 60 to 110 characters):

    token = VERSION KIND "." KID "." BODY "." MAC
    VERSION = "1"
    KIND    = "s" (static QR) | "r" (rotating QR) | "m" (member card)
    KID     = [A-Za-z0-9_-]{1,16}, the signing key's id in the keyring
    BODY    = base64url (no padding) of the payload below
    MAC     = base64url of the first 16 bytes (128 bits) of
              HMAC-SHA256(K_kind, VERSION KIND "." KID "." BODY)
    K_kind  = HMAC-SHA256(secret[KID], "furusato-token/1/" KIND): one key per kind, so a token of
              one kind can never be read as another.

Payloads (big-endian):
    s: lg_code u32 | valid_from u32 | valid_until u32 | activity id (17 bytes)
    r: lg_code u32 | step u32 (epoch seconds // ROTATION_STEP_S) | activity id (17 bytes)
    m: expires_at u32 | subject id (UTF-8)
Times are epoch seconds. Activity ids (`act_` + 26 Crockford base32 characters) pack into 17
bytes. No personal data is carried except a member token's subject id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from furusato.domain import ids
from furusato.domain.errors import Conflict, InvalidInput

VERSION = "1"
STATIC = "s"
ROTATING = "r"
MEMBER = "m"
KINDS = (STATIC, ROTATING, MEMBER)

ROTATION_STEP_S = 30  # a rotating token is accepted during its step and the next one (grace)
MEMBER_TOKEN_LIFE_S = 300
MAC_BYTES = 16
MAX_TOKEN_LENGTH = 256
# A keyring key is at least this many characters (docs/deploy.md says the same); deployments
# generate 64, the local stack 43.
MIN_KEY_LENGTH = 32
# What a phone camera reads off a poster or screen: `{public_base_url}/checkin#<token>`.
MAX_SCANNED_LENGTH = 512
_SCANNED_URL = re.compile(r"https?://[^\s#?]+/checkin#(\S+)")

_KID = re.compile(r"[A-Za-z0-9_-]{1,16}")
_ACTIVITY_ID = re.compile(ids.ACTIVITY_ID)
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_ID_BYTES = 17
_TOKEN = re.compile(r"1([srm])\.([A-Za-z0-9_-]{1,16})\.([A-Za-z0-9_-]{4,200})\.([A-Za-z0-9_-]{22})")


class InvalidToken(InvalidInput):
    """Bad signature, malformed, unknown (revoked) key, wrong kind, or an unknown activity."""

    code = "INVALID_TOKEN"


class TokenExpired(Conflict):
    """A rotating or member token past its life."""

    code = "TOKEN_EXPIRED"


@dataclass(frozen=True)
class Keyring:
    """Signing keys by id; `active_kid` signs, every key present verifies. A kid that is no
    longer in the keyring is revoked: its tokens fail as INVALID_TOKEN."""

    active_kid: str
    keys: Mapping[str, bytes]

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Keyring:
        """`{"active_kid": "k2", "k1": "<secret>", "k2": "<secret>"}` as stored in the secret."""
        active = doc.get("active_kid")
        keys = {k: str(v).encode() for k, v in doc.items() if k != "active_kid"}
        if not isinstance(active, str) or active not in keys:
            raise ValueError("keyring: active_kid must name one of its keys")
        for kid, secret in keys.items():
            if not _KID.fullmatch(kid):
                raise ValueError(f"keyring: bad key id {kid!r}")
            if len(secret) < MIN_KEY_LENGTH:
                raise ValueError(f"keyring: key {kid} is shorter than {MIN_KEY_LENGTH} characters")
        return cls(active_kid=active, keys=keys)

    def key(self, kid: str, kind: str) -> bytes | None:
        secret = self.keys.get(kid)
        if secret is None:
            return None
        return hmac.new(secret, f"furusato-token/{VERSION}/{kind}".encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class StaticClaims:
    kid: str
    lg_code: str
    activity_id: str
    valid_from: datetime
    valid_until: datetime

    def valid_at(self, instant: datetime) -> bool:
        return self.valid_from <= instant <= self.valid_until


@dataclass(frozen=True)
class RotatingClaims:
    kid: str
    lg_code: str
    activity_id: str
    step: int

    @property
    def valid_from(self) -> datetime:
        return _from_epoch(self.step * ROTATION_STEP_S)

    @property
    def expires_at(self) -> datetime:
        """End of the grace step: a photo of the code is useless at most 60 seconds later."""
        return _from_epoch((self.step + 2) * ROTATION_STEP_S)


@dataclass(frozen=True)
class MemberClaims:
    kid: str
    sub: str
    expires_at: datetime


Claims = StaticClaims | RotatingClaims | MemberClaims


# --- issuing -----------------------------------------------------------------------------


def issue_static(
    keyring: Keyring, *, lg_code: str, activity_id: str, valid_from: datetime, valid_until: datetime
) -> str:
    body = struct.pack(">III", int(lg_code), _epoch(valid_from), _epoch(valid_until)) + _pack_id(activity_id)
    return _sign(keyring, STATIC, body)


def rotation_step(now: datetime) -> int:
    return _epoch(now) // ROTATION_STEP_S


def issue_rotating(
    keyring: Keyring, *, lg_code: str, activity_id: str, now: datetime
) -> tuple[str, RotatingClaims]:
    step = rotation_step(now)
    body = struct.pack(">II", int(lg_code), step) + _pack_id(activity_id)
    claims = RotatingClaims(kid=keyring.active_kid, lg_code=lg_code, activity_id=activity_id, step=step)
    return _sign(keyring, ROTATING, body), claims


def issue_member(keyring: Keyring, *, sub: str, now: datetime) -> tuple[str, datetime]:
    expires = _epoch(now) + MEMBER_TOKEN_LIFE_S
    raw_sub = sub.encode()
    if not 1 <= len(raw_sub) <= 128:
        raise ValueError("subject id of 1 to 128 bytes")
    return _sign(keyring, MEMBER, struct.pack(">I", expires) + raw_sub), _from_epoch(expires)


# --- verifying ---------------------------------------------------------------------------


def from_scan(scanned: str) -> str:
    """The token inside what was scanned: the bare token, or the whole check-in URL the QR code
    holds (the app may post either). The URL's host is not trusted for anything: the token's
    signature is what counts."""
    if not isinstance(scanned, str) or len(scanned) > MAX_SCANNED_LENGTH:
        return ""
    text = scanned.strip()
    found = _SCANNED_URL.fullmatch(text)
    return found.group(1) if found else text


def verify(keyring: Keyring, token: str) -> Claims:
    """Check format, key id and MAC; decode the claims. Freshness is checked by the caller
    (`check_rotating`, `check_member`), since it depends on the instant of the scan. `token` may
    be the whole scanned URL."""
    token = from_scan(token)
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken("malformed token")
    found = _TOKEN.fullmatch(token.strip())
    if not found:
        raise InvalidToken("malformed token")
    kind, kid, body_b64, mac_b64 = found.groups()
    key = keyring.key(kid, kind)
    if key is None:
        raise InvalidToken("token signed by an unknown or revoked key")
    signed = f"{VERSION}{kind}.{kid}.{body_b64}".encode()
    expected = hmac.new(key, signed, hashlib.sha256).digest()[:MAC_BYTES]
    try:
        mac = _b64decode(mac_b64)
        body = _b64decode(body_b64)
    except (binascii.Error, ValueError):
        raise InvalidToken("malformed token") from None
    if not hmac.compare_digest(mac, expected):
        raise InvalidToken("bad token signature")
    try:
        return _decode(kind, kid, body)
    except (struct.error, ValueError, UnicodeDecodeError):
        raise InvalidToken("malformed token") from None


def peek_kid(token: str) -> str | None:
    """The key id a well-formed token names (unverified), to pick the keyring that checks it."""
    token = from_scan(token)
    found = _TOKEN.fullmatch(token) if len(token) <= MAX_TOKEN_LENGTH else None
    return found.group(2) if found else None


def check_rotating(claims: RotatingClaims, now: datetime) -> None:
    """Accepted during its own step and the next one; older is expired, newer cannot exist."""
    current = rotation_step(now)
    if claims.step > current:
        raise InvalidToken("rotating token from the future")
    if claims.step < current - 1:
        raise TokenExpired("this rotating code has expired; scan the screen again")


def check_member(claims: MemberClaims, now: datetime) -> None:
    if now >= claims.expires_at:
        raise TokenExpired("this member code has expired; refresh the card")


# --- helpers -----------------------------------------------------------------------------


def _sign(keyring: Keyring, kind: str, body: bytes) -> str:
    kid = keyring.active_kid
    key = keyring.key(kid, kind)
    assert key is not None
    head = f"{VERSION}{kind}.{kid}.{_b64encode(body)}"
    mac = hmac.new(key, head.encode(), hashlib.sha256).digest()[:MAC_BYTES]
    return f"{head}.{_b64encode(mac)}"


def _decode(kind: str, kid: str, body: bytes) -> Claims:
    if kind == STATIC:
        lg, valid_from, valid_until = struct.unpack(">III", body[:12])
        return StaticClaims(
            kid=kid,
            lg_code=f"{lg:06d}",
            activity_id=_unpack_id(body[12:]),
            valid_from=_from_epoch(valid_from),
            valid_until=_from_epoch(valid_until),
        )
    if kind == ROTATING:
        lg, step = struct.unpack(">II", body[:8])
        return RotatingClaims(kid=kid, lg_code=f"{lg:06d}", activity_id=_unpack_id(body[8:]), step=step)
    (expires,) = struct.unpack(">I", body[:4])
    sub = body[4:].decode()
    if not sub:
        raise ValueError("empty subject")
    return MemberClaims(kid=kid, sub=sub, expires_at=_from_epoch(expires))


def is_token_activity_id(activity_id: str) -> bool:
    return bool(_ACTIVITY_ID.fullmatch(activity_id))


def _pack_id(activity_id: str) -> bytes:
    if not is_token_activity_id(activity_id):
        raise ValueError(f"not an activity id: {activity_id!r}")
    value = 0
    for char in activity_id[4:]:
        value = value * 32 + _ALPHABET.index(char)
    return value.to_bytes(_ID_BYTES, "big")


def _unpack_id(raw: bytes) -> str:
    if len(raw) != _ID_BYTES:
        raise ValueError("bad activity id length")
    value = int.from_bytes(raw, "big")
    chars = []
    for _ in range(26):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    if value:
        raise ValueError("activity id out of range")
    return "act_" + "".join(reversed(chars))


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _epoch(instant: datetime) -> int:
    if instant.tzinfo is None:
        raise ValueError("an aware instant is required")
    seconds = int(instant.timestamp())
    if not 0 <= seconds < 2**32:
        raise ValueError("instant out of range")
    return seconds


def _from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
