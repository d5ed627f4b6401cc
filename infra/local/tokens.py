"""Development tokens, minted and checked the way Cognito and API Gateway would.

In AWS two Cognito user pools sign ID tokens (registrants, staff) and two API Gateway Cognito
authorizers check them before any Lambda runs. Locally one RSA key pair, made at start, signs
tokens for both stand-in pools; each pool keeps its own issuer and client id (`aud`), so a token
of one pool never passes the other's authorizer.

Token lifetimes use the real clock, never `furusato.clock`: freezing business time must not
expire (or revive) a developer's token.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from furusato.clock import JST

PoolName = Literal["registrants", "staff"]
Role = Literal["registrant", "staff", "operator"]

ROLES: tuple[str, ...] = ("registrant", "staff", "operator")
STAFF_ROLES: tuple[str, ...] = ("admin", "coordinator", "viewer", "org")
OPERATOR_GROUP = "operator"
TOKEN_LIFETIME_S = 3600
ALGORITHM = "RS256"

# Which authorizer guards a route of each `auth` kind of the topology; public routes have none.
POOL_OF_AUTH: dict[str, PoolName] = {"registrant": "registrants", "staff": "staff", "operator": "staff"}

_LG_CODE = re.compile(r"[0-9]{6}")
_MINT_FIELDS = frozenset({"sub", "role", "lg_code", "staff_role", "org_id"})
_MAX_ID_LENGTH = 128


class TokenRequestError(ValueError):
    """A `/local/token` body the stack refuses; `details` names each bad field."""

    def __init__(self, message: str, details: dict[str, str]):
        super().__init__(message)
        self.message = message
        self.details = details


class Unauthenticated(Exception):
    """The authorizer refuses the request (401); the message says why, never echoes the token."""


@dataclass(frozen=True)
class Pool:
    name: PoolName
    issuer: str
    client_id: str


@dataclass(frozen=True)
class TokenRequest:
    sub: str
    role: Role
    lg_code: str | None = None
    staff_role: str | None = None
    org_id: str | None = None


@dataclass(frozen=True)
class MintedToken:
    token: str
    expires_at: int  # epoch seconds, real clock

    def to_dict(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "expires_at": datetime.fromtimestamp(self.expires_at, JST).isoformat(timespec="seconds"),
        }


def parse_token_request(body: Any) -> TokenRequest:
    """Validate a `/local/token` body: known fields only, staff and org claims complete."""
    if not isinstance(body, dict):
        raise TokenRequestError("body must be a JSON object", {"body": "a JSON object"})
    bad: dict[str, str] = {name: "unknown field" for name in sorted(set(body) - _MINT_FIELDS)}
    sub = body.get("sub")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > _MAX_ID_LENGTH:
        bad["sub"] = f"a non-blank string of at most {_MAX_ID_LENGTH} characters"
    role = body.get("role")
    if role not in ROLES:
        bad["role"] = "one of " + ", ".join(ROLES)
    lg_code, staff_role, org_id = body.get("lg_code"), body.get("staff_role"), body.get("org_id")
    if role == "staff":
        if not isinstance(lg_code, str) or not _LG_CODE.fullmatch(lg_code):
            bad["lg_code"] = "6 digits, required for staff"
        if staff_role not in STAFF_ROLES:
            bad["staff_role"] = "one of " + ", ".join(STAFF_ROLES) + ", required for staff"
        if staff_role == "org" and (not isinstance(org_id, str) or not org_id.strip()):
            bad["org_id"] = "required for staff_role org"
        elif org_id is not None and (not isinstance(org_id, str) or len(org_id) > _MAX_ID_LENGTH):
            bad["org_id"] = f"a string of at most {_MAX_ID_LENGTH} characters"
    elif role in ROLES:
        # Registrants and operators carry no government claims: their pools have no such attributes.
        for name in ("lg_code", "staff_role", "org_id"):
            if body.get(name) is not None:
                bad[name] = "only for role staff"
    if bad:
        raise TokenRequestError("invalid token request", bad)
    return TokenRequest(
        sub=str(sub), role=cast(Role, role), lg_code=lg_code, staff_role=staff_role, org_id=org_id
    )


class LocalIssuer:
    """The two stand-in user pools and their authorizers."""

    def __init__(
        self,
        base_url: str,
        *,
        now: Callable[[], float] = time.time,
        lifetime_s: int = TOKEN_LIFETIME_S,
        private_key: rsa.RSAPrivateKey | None = None,
    ) -> None:
        base = base_url.rstrip("/")
        self._now = now
        self.lifetime_s = lifetime_s
        self._private_key = private_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public_key = self._private_key.public_key()
        # Cognito kids are opaque strings; a fresh one per start makes stale tokens fail loudly.
        self.kid = secrets.token_urlsafe(16)
        self.pools: dict[PoolName, Pool] = {
            "registrants": Pool(
                "registrants", f"{base}/local/pools/registrants", "furusato-local-registrants"
            ),
            "staff": Pool("staff", f"{base}/local/pools/staff", "furusato-local-staff"),
        }

    def mint(self, request: TokenRequest) -> MintedToken:
        pool = self.pools["registrants" if request.role == "registrant" else "staff"]
        issued = int(self._now())
        claims: dict[str, Any] = {
            "sub": request.sub,
            "iss": pool.issuer,
            "aud": pool.client_id,
            "token_use": "id",
            "auth_time": issued,
            "iat": issued,
            "exp": issued + self.lifetime_s,
            "cognito:username": request.sub,
            "jti": str(uuid.uuid4()),
            "origin_jti": str(uuid.uuid4()),
        }
        if request.role == "staff":
            claims["custom:lg_code"] = request.lg_code
            claims["custom:staff_role"] = request.staff_role
            if request.org_id is not None:
                claims["custom:org_id"] = request.org_id
        elif request.role == "operator":
            claims["cognito:groups"] = [OPERATOR_GROUP]
        return MintedToken(self.sign(claims), claims["exp"])

    def sign(self, claims: Mapping[str, Any], *, kid: str | None = None) -> str:
        """Sign arbitrary claims with the stack's key (tests use it to build odd tokens)."""
        # Cognito's header carries only kid and alg.
        return jwt.encode(
            dict(claims),
            self._private_key,
            algorithm=ALGORITHM,
            headers={"kid": kid or self.kid, "typ": None},
        )

    def verify(self, token: str, pool_name: PoolName) -> dict[str, Any]:
        """What a Cognito authorizer checks: key, signature, expiry, issuer, audience, token use."""
        pool = self.pools[pool_name]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthenticated("malformed token") from None
        if header.get("alg") != ALGORITHM:
            raise Unauthenticated("unsupported token algorithm")
        if header.get("kid") != self.kid:
            raise Unauthenticated("token signed by an unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public_key,
                algorithms=[ALGORITHM],
                # Expiry is checked below against the injectable clock; audience and issuer here.
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "verify_aud": False},
            )
        except jwt.InvalidSignatureError:
            raise Unauthenticated("invalid token signature") from None
        except jwt.PyJWTError:
            raise Unauthenticated("malformed token") from None
        exp = claims.get("exp")
        if not isinstance(exp, int) or isinstance(exp, bool):
            raise Unauthenticated("token has no expiry")
        if exp <= self._now():
            raise Unauthenticated("token expired")
        if claims.get("iss") != pool.issuer:
            raise Unauthenticated("token not issued by this route's user pool")
        if claims.get("aud") != pool.client_id:
            raise Unauthenticated("token not issued for this client")
        if claims.get("token_use") != "id":
            raise Unauthenticated("not an ID token")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Unauthenticated("token has no subject")
        return claims


def bearer_token(authorization: str | None) -> str:
    """The token of an Authorization header; API Gateway accepts it with or without `Bearer `."""
    if authorization is None or not authorization.strip():
        raise Unauthenticated("missing Authorization header")
    value = authorization.strip()
    scheme, _, rest = value.partition(" ")
    if scheme.lower() == "bearer":
        value = rest.strip()
    if not value or " " in value:
        raise Unauthenticated("malformed Authorization header")
    return value


_GATEWAY_DATE = "%a %b %d %H:%M:%S UTC %Y"


def authorizer_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    """Claims as a REST API Cognito authorizer hands them to the Lambda: every value a string.

    `exp` and `iat` become dates like "Mon Jan 14 18:50:27 UTC 2019" and `auth_time` stays epoch
    seconds; `cognito:groups` becomes the groups joined by commas ("operator" for one group).
    """
    out: dict[str, str] = {}
    for name, value in claims.items():
        if name in ("exp", "iat") and isinstance(value, int):
            out[name] = datetime.fromtimestamp(value, UTC).strftime(_GATEWAY_DATE)
        elif isinstance(value, list):
            out[name] = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out
