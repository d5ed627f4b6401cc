"""The local stand-in for the identity provider (the national digital authentication app).

It holds an RSA key generated at start, publishes its JWKS to the handlers through the
environment (as an operator configures the real provider's, see docs/deploy.md), and signs
assertions for `POST /local/identity-assertion`."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from furusato import topology

AUDIENCE = "furusato-local"
LIFETIME = timedelta(minutes=5)
FIELDS = ("subject", "name", "birth_date", "gender", "address", "nonce")


@dataclass
class LocalIdentityProvider:
    issuer: str
    kid: str = field(default_factory=lambda: f"local-idp-{uuid.uuid4().hex[:8]}")
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def environment(self) -> dict[str, str]:
        return {
            topology.IDP_ISSUER_VAR: self.issuer,
            topology.IDP_AUDIENCE_VAR: AUDIENCE,
            topology.IDP_JWKS_VAR: json.dumps(self.jwks()),
        }

    def sign(self, facts: dict[str, Any], now: datetime, **extra: Any) -> str:
        """An assertion with the four facts, as the provider would issue it after the card check."""
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": facts["subject"],
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + LIFETIME).timestamp()),
            "jti": uuid.uuid4().hex,
            "name": facts["name"],
            "birthdate": facts["birth_date"],
            "gender": facts["gender"],
            "address": facts["address"],
            # The nonce of POST /v1/me/identity-verifications/nonce, carried back as given.
            **({"nonce": facts["nonce"]} if facts.get("nonce") else {}),
            **extra,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})


def parse_request(body: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate `{subject, name, birth_date, gender, address, nonce}`; returns (facts, errors)."""
    if not isinstance(body, dict):
        return {}, {"body": "a JSON object is required"}
    errors = {k: "unknown field" for k in body if k not in FIELDS}
    for name in FIELDS:
        if not isinstance(body.get(name), str) or not body[name].strip():
            errors[name] = "required text"
    return body, errors
