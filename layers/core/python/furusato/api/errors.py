"""Every error leaves the API in the contract's shape, mapped in this one place."""

from __future__ import annotations

import json
import traceback
from pathlib import PurePath
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from furusato.domain.errors import DomainError, Unavailable

logger = Logger(service="furusato")


def error_summary(exc: BaseException) -> dict[str, Any]:
    """What a log may say about an unexpected error: its type, its chain's types and its frames
    (file, line, function). Never the message, nor a traceback's text: messages quote data (a
    roster error once logged the registrant's name)."""
    frames = traceback.extract_tb(exc.__traceback__)
    chain: list[str] = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(chain) < 5:
        chain.append(type(cause).__name__)
        cause = cause.__cause__ or cause.__context__
    return {
        "error_type": type(exc).__name__,
        "caused_by": chain,
        "frames": [f"{PurePath(f.filename).name}:{f.lineno} {f.name}" for f in frames[-20:]],
    }


def to_json(body: Any) -> str:
    """JSON as UTF-8 text; a lone surrogate stored before the text rule existed is escaped
    (valid JSON) rather than failing the response."""
    out = json.dumps(body, ensure_ascii=False, default=str)
    try:
        out.encode()
    except UnicodeEncodeError:
        out = json.dumps(body, default=str)
    return out


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return Response(
        status_code=status,
        content_type="application/json",
        body=to_json(body),
        headers=headers,
    )


def register(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(Unavailable)
    def _unavailable(exc: Unavailable) -> Response:
        logger.warning("storage unavailable", extra={"code": exc.code})
        return error_response(503, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(DomainError)
    def _domain(exc: DomainError) -> Response:
        retry_after = exc.details.get("retry_after") if exc.status == 429 else None
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return error_response(exc.status, exc.code, exc.message, exc.details, headers=headers)

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        return error_response(404, "NOT_FOUND", "no such route")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.error("unexpected error", extra=error_summary(exc))
        return error_response(500, "INTERNAL", "internal error")
