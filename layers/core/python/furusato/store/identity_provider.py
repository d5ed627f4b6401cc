"""The identity provider's configuration: issuer, audience and signing keys (its JWKS).

Keys come inline (FURUSATO_IDP_JWKS, a JWKS document: the local stack, or a pinned copy) or from
the provider's JWKS URL (FURUSATO_IDP_JWKS_URL), cached per container and fetched again when an
assertion names a key the cache does not know (the provider rotated)."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from furusato.domain.errors import Unavailable
from furusato.domain.identity import ProviderConfig
from furusato.settings import settings

CACHE_SECONDS = 600
REFETCH_AFTER_SECONDS = 30  # a kid we do not know triggers a refetch at most this often

_cache: dict[str, Any] = {"keys": None, "at": 0.0}


def _parse(document: dict[str, Any]) -> dict[str, Any]:
    import jwt

    keys: dict[str, Any] = {}
    for jwk in document.get("keys", []):
        if jwk.get("use", "sig") == "sig" and jwk.get("kid"):
            keys[str(jwk["kid"])] = jwt.PyJWK(jwk).key
    return keys


def _fetch(url: str) -> dict[str, Any]:
    if not url.startswith("https://"):
        raise Unavailable("the identity provider's JWKS URL must use https")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - https only, checked above
            document: dict[str, Any] = json.loads(response.read())
            return document
    except OSError as exc:
        raise Unavailable("the identity provider cannot be reached; retry later") from exc


def provider(kid: str | None = None) -> ProviderConfig:
    s = settings()
    if not (s.idp_issuer and s.idp_audience and (s.idp_jwks or s.idp_jwks_url)):
        raise Unavailable("identity verification is not configured")
    now = time.monotonic()
    keys = _cache["keys"]
    stale = keys is None or now - _cache["at"] > CACHE_SECONDS
    unknown = (
        kid is not None
        and keys is not None
        and kid not in keys
        and now - _cache["at"] > REFETCH_AFTER_SECONDS
    )
    if stale or unknown:
        document = json.loads(s.idp_jwks) if s.idp_jwks else _fetch(s.idp_jwks_url or "")
        keys = _parse(document)
        _cache.update(keys=keys, at=now)
    return ProviderConfig(issuer=s.idp_issuer, audience=s.idp_audience, keys=keys)


def forget() -> None:
    """Drop the cached keys (tests switch providers)."""
    _cache.update(keys=None, at=0.0)
