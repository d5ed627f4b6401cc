"""Resolver factory: every function's API shares validation, errors and limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from furusato.api import errors, idempotency
from furusato.api.guard import RouteGuard
from furusato.clock import JST
from furusato.store import models  # noqa: F401  (see api_handler)

MAX_BODY_BYTES = 256 * 1024


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type="application/json",
        body=errors.to_json(body),
        headers=headers,
    )


def no_content() -> Response:
    return Response(status_code=204, content_type="application/json", body="")


def _body_limit(app: APIGatewayRestResolver, next_middleware: Callable[..., Response]) -> Response:
    body = app.current_event.body or ""
    if len(body.encode()) > MAX_BODY_BYTES:
        return errors.error_response(413, "PAYLOAD_TOO_LARGE", f"request body over {MAX_BODY_BYTES} bytes")
    return next_middleware(app)


def build_resolver(*routers: Router) -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()
    errors.register(app)
    app.use(middlewares=[_body_limit])
    for router in routers:
        app.include_router(router)
    return app


def api_handler(function_name: str, *routers: Router) -> tuple[APIGatewayRestResolver, Callable[..., Any]]:
    """The resolver of one function and its entry point: route access from the topology is
    checked first, then Powertools resolves (validation, routing, error mapping).

    Routes import their capabilities where used, so a cold start loads only what its request
    needs; the table's models are what every request needs, so they load with this module
    (imported first by every API handler), and the cold start benchmark counts them. Loading
    them (and with them botocore and urllib3) before any route's modules is also cheaper: in
    the other order, the imports function's allocator mapped and unmapped an arena thousands
    of times while urllib3 compiled its patterns (tests/unit/test_cold_start_imports.py)."""
    app = build_resolver(*routers)
    guard = RouteGuard(function_name)

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        idempotency.bind_lambda_context(context)
        refused = guard.check(event)
        if refused is not None:
            return refused
        return app.resolve(event, context)

    return app, handle


def page(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}


__all__ = ["JST", "build_resolver", "json_response", "no_content", "page"]
