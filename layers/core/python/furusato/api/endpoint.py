"""Route decorator: parses the body and query with their declared shapes and records them for
the OpenAPI document (scripts/openapi.py), so the document and the validation are one."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from furusato.api import auth, idempotency
from furusato.api.errors import STATUS_OF
from furusato.api.schema import Obj

NO_FIELDS = Obj("Empty", {})


@dataclass(frozen=True)
class EndpointDoc:
    summary: str
    body: Obj | None
    query: Obj | None
    # status -> response body shape (None: no body, or a non-JSON body described in `media`)
    responses: dict[int, Obj | None] = field(default_factory=dict)
    # Non-JSON bodies the route can answer (an xlsx, a poster), besides any JSON shape
    media: tuple[str, ...] = ()
    # How the route honours an Idempotency-Key (api/idempotency.py); False: it takes none
    idempotent: idempotency.Mode = False
    # The rule codes this route can answer beyond the ones every route of its kind can
    # (validation, authentication, a missing path resource, storage unavailable): see api/errors.py
    errors: tuple[str, ...] = ()

    @property
    def replays(self) -> bool:
        """A retry with the same key answers the first response; another request, 409."""
        return self.idempotent in (idempotency.STORED, idempotency.OWN_REPLY)


def endpoint(
    router: Any,
    summary: str,
    *,
    body: Obj | None = None,
    query: Obj | None = None,
    responses: dict[int, Obj | None] | None = None,
    media: str | tuple[str, ...] = (),
    idempotent: idempotency.Mode = False,
    errors: tuple[str, ...] = (),
    roles: frozenset[str] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`body=` and `query=` arrive as validated dicts in the `body` / `query` keyword arguments.

    `roles=` (staff routes) names the staff roles that may use the route: they are checked before
    the body and the query, so a caller who may not use the route gets 403 and learns nothing of
    its shape. The route's own finer checks (organization staff, ...) still follow.

    `idempotent=` wraps the call (api/idempotency.py): True stores the first response of a
    caller's `Idempotency-Key` on this route template and replays it; `OWN_REPLY` hands the route
    a `reply_key` to keep its answer in its own transaction; `BY_ITSELF` only checks the key (the
    route is exactly-once without it)."""
    unknown = [code for code in errors if code not in STATUS_OF]
    if unknown:
        raise ValueError(f"error codes missing from api/errors.py STATUS_OF: {unknown}")
    doc = EndpointDoc(
        summary,
        body,
        query,
        responses or {200: None},
        (media,) if isinstance(media, str) else media,
        idempotent,
        errors,
    )

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(**path_params: Any) -> Any:
            event = router.current_event
            kwargs = dict(path_params)
            if roles is not None:
                auth.staff(router, str(path_params.get("lg_code")), roles)
            if body is not None:
                kwargs["body"] = body.parse_json(event.body)
            elif event.body and event.body.strip() not in ("{}", "null"):
                # A body on a route that takes none: its fields would be silently ignored.
                NO_FIELDS.parse_json(event.body)
            params = event.query_string_parameters
            if query is not None:
                kwargs["query"] = query.parse_query(params)
            elif params:
                NO_FIELDS.parse_query(params)
            if not idempotent:
                return fn(**kwargs)
            # API Gateway's REST headers are case-insensitive in the Powertools event.
            key = event.headers.get("Idempotency-Key")
            idempotency.check_key(key)
            if idempotent == idempotency.BY_ITSELF:
                return fn(**kwargs)
            route = f"{event.http_method} {event.resource}"
            request = idempotency.request_of(path_params, event.body)
            if idempotent == idempotency.OWN_REPLY:
                return fn(**kwargs, reply_key=idempotency.reply_key(key=key, route=route, request=request))
            if key is None:
                return fn(**kwargs)
            return idempotency.run(
                sub=auth.current(router).sub,
                key=key,
                route=route,
                request=request,
                create=lambda: fn(**kwargs),
            )

        inner.__furusato_doc__ = doc  # type: ignore[attr-defined]
        return inner

    return wrap
