"""`Idempotency-Key` on creates: the same key from the same caller with the same request returns
the first response; with another request, 409 IDEMPOTENCY_KEY_REUSED.

One place decides it: `endpoint(idempotent=...)` (api/endpoint.py). A key is kept per caller and
route template; the request it stands for is the path's values and the body's bytes as sent
(`request_of`), so a retry must resend what it sent. Three ways, by route:

- `STORED` (`idempotent=True`): Powertools Idempotency stores the responses (`run`), two round
  trips per keyed request.
- `OWN_REPLY`: `PUT /v1/me/registrations/{lg_code}`, on the hot path, keeps its answer in the
  person's partition within its own transaction (`reply_key`, handed to the route).
- `BY_ITSELF`: a check-in is exactly-once by its own conditional put; the key is only checked.

Idempotency only caches: business invariants are enforced by DynamoDB conditions in the store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response

from furusato.domain.errors import Conflict, InvalidInput, Unavailable
from furusato.settings import settings

STORED: Literal[True] = True
OWN_REPLY: Literal["own_reply"] = "own_reply"
BY_ITSELF: Literal["by_itself"] = "by_itself"
# How a route honours a key (see above); False: the route takes no key.
Mode = Literal[False, True, "own_reply", "by_itself"]

MAX_KEY_LENGTH = 128
EXPIRES_AFTER_SECONDS = 24 * 3600
# The Lambda context of the request being served (a ContextVar: the local stack serves requests
# on threads). Registered with the idempotency config, it bounds an INPROGRESS record by the
# invocation's remaining time, so a create killed mid-request (a timeout) blocks its retries only
# until the invocation could no longer be running, not for EXPIRES_AFTER_SECONDS.
_lambda_context: ContextVar[Any] = ContextVar("lambda_context", default=None)


def bind_lambda_context(context: Any) -> None:
    _lambda_context.set(context)


def _persistence(sub: str) -> Any:
    # Imported lazily: only requests that carry a key pay for it. One layer per caller (cheap:
    # the client is shared), so each caller's records share a partition.
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from furusato.store.dynamodb import idempotency_client
    from furusato.store.personal_data import caller_partition

    return DynamoDBPersistenceLayer(
        table_name=settings().idempotency_table,
        key_attr="id",
        sort_key_attr="sk",
        static_pk_value=caller_partition(sub),
        boto3_client=idempotency_client(),
    )


def check_key(key: str | None) -> None:
    """A key, when sent, is 1 to MAX_KEY_LENGTH characters."""
    if key is not None and (not key or len(key) > MAX_KEY_LENGTH):
        raise InvalidInput(
            "bad Idempotency-Key", details={"Idempotency-Key": f"1 to {MAX_KEY_LENGTH} characters"}
        )


def request_of(path_params: dict[str, Any], raw_body: str | None) -> dict[str, Any]:
    """What a key stands for: the path's values and the body as sent (parsing would turn dates
    into objects a hash cannot take, and a retry resends the same bytes anyway)."""
    return {"path": path_params, "body": raw_body or ""}


def reply_key(*, key: str | None, route: str, request: dict[str, Any]) -> tuple[str, str] | None:
    """(reply id, payload hash) of a request with a key, for routes that keep their answer in
    their own transaction (no Powertools round trips): the id digests the route and the key
    (scoped to the caller by where it is kept), the hash the request."""
    if key is None:
        return None
    check_key(key)
    digest = hashlib.sha256(f"{route}|{key}".encode()).hexdigest()[:40]
    payload = hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return digest, payload


def run(
    *, sub: str, key: str | None, route: str, request: dict[str, Any], create: Callable[[], Response]
) -> Response:
    """The first response to this caller's `key` on `route` (a method and path template), made
    by `create` when there is none yet."""
    if key is None:
        return create()
    check_key(key)

    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    config = IdempotencyConfig(
        event_key_jmespath="id",
        payload_validation_jmespath="body",
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        hash_function="sha256",
    )
    context = _lambda_context.get()
    if context is not None:
        config.register_lambda_context(context)

    @idempotent_function(data_keyword_argument="request", persistence_store=_persistence(sub), config=config)
    def _once(request: dict[str, Any]) -> dict[str, Any]:
        response = create()
        return {"status": response.status_code, "body": response.body, "headers": response.headers}

    try:
        # The key is scoped by the caller's sub and the route: keys of others never collide.
        stored = _once(request={"id": f"{sub}|{route}|{key}", "body": request})
    except IdempotencyValidationError as exc:
        raise Conflict(
            "this Idempotency-Key was used with a different request", code="IDEMPOTENCY_KEY_REUSED"
        ) from exc
    except IdempotencyAlreadyInProgressError as exc:
        raise Unavailable("the same request is still in progress", retry_after=1) from exc
    except IdempotencyPersistenceLayerError as exc:
        raise Unavailable() from exc
    headers = {k: v for k, v in (stored.get("headers") or {}).items() if isinstance(v, str)}
    return Response(
        status_code=int(stored["status"]),
        content_type="application/json",
        body=stored["body"] if isinstance(stored["body"], str) else json.dumps(stored["body"]),
        headers=headers,
    )
