"""The token signing keyring, read from Secrets Manager (topology.TOKEN_KEYS).

Cached per container for `TTL_S` so that a rotation (a new active key) or a revocation (a key
removed) applies within minutes without a read per request. A token whose key id the cached
keyring does not know triggers one early refresh (at most every `REFRESH_MIN_S`): a key added by
a rotation is then known at once, while a revoked key stays unknown.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from furusato import topology
from furusato.domain.errors import Unavailable
from furusato.domain.tokens import Keyring
from furusato.settings import settings

TTL_S = 300.0
REFRESH_MIN_S = 10.0

_lock = threading.Lock()
_cached: Keyring | None = None
_loaded_at = 0.0
_client: Any = None


def _secret_id() -> str:
    secret_id = settings().token_keys_secret
    if not secret_id:  # only in the local stage: elsewhere the cold start already failed
        raise RuntimeError(f"{topology.TOKEN_KEYS.env_var} is not configured")
    return secret_id


def _secrets_client() -> Any:
    global _client
    if _client is None:
        import boto3  # only the check-in function reads the keyring

        _client = boto3.client(
            "secretsmanager", region_name=settings().region, endpoint_url=settings().endpoint_url
        )
    return _client


def _fetch() -> Keyring:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        raw = _secrets_client().get_secret_value(SecretId=_secret_id())["SecretString"]
    except (BotoCoreError, ClientError) as exc:
        raise Unavailable("the signing keys cannot be read now, retry later") from exc
    return Keyring.from_document(json.loads(raw))


def current() -> Keyring:
    global _cached, _loaded_at
    with _lock:
        if _cached is None or time.monotonic() - _loaded_at > TTL_S:
            _cached = _fetch()
            _loaded_at = time.monotonic()
        return _cached


def knowing(kid: str) -> Keyring:
    """The keyring, refreshed early when it does not know `kid` (rate-limited)."""
    global _cached, _loaded_at
    ring = current()
    if kid in ring.keys:
        return ring
    with _lock:
        if time.monotonic() - _loaded_at > REFRESH_MIN_S:
            _cached = _fetch()
            _loaded_at = time.monotonic()
        assert _cached is not None
        return _cached


def invalidate() -> None:
    """Forget the cached keyring (tests; a process that just rotated the secret)."""
    global _cached, _client
    with _lock:
        _cached = None
        _client = None
