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

# Every error code the API answers, with its status: routes declare which codes they can answer
# (`@endpoint(errors=...)`) and the OpenAPI document lists them per response.
STATUS_OF: dict[str, int] = {
    "VALIDATION_ERROR": 400,
    "INVALID_TOKEN": 400,
    "INVALID_ASSERTION": 400,
    "GUARDIAN_CONSENT_REQUIRED": 400,
    "SURVEY_INCOMPLETE": 400,
    "RETURN_GIFT_NOT_ALLOWED": 400,
    "AMOUNT_OVER_LIMIT": 400,
    "IMPORT_FILE_REJECTED": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "LG_NOT_ONBOARDED": 404,
    "CONFLICT": 409,
    "CONCURRENT_UPDATE": 409,
    "IDEMPOTENCY_KEY_REUSED": 409,
    "TOKEN_EXPIRED": 409,
    "ACTIVITY_CANCELLED": 409,
    "OUTSIDE_WINDOW": 409,
    "WRONG_CHECKIN_MODE": 409,
    "ALREADY_ONBOARDED": 409,
    "STAFF_ALREADY_EXISTS": 409,
    "IDENTITY_NOT_VERIFIED": 409,
    "IDENTITY_ALREADY_BOUND": 409,
    "IDENTITY_LOCKED": 409,
    "OWN_RESIDENCE_NOT_ALLOWED": 409,
    "NOT_ENOUGH_ACTIVITIES": 409,
    "PREMIUM_LIMIT_REACHED": 409,
    "NOT_PENDING_REVIEW": 409,
    "IMPORT_NOT_COMMITTABLE": 409,
    "NOT_ELIGIBLE": 409,
    "MEASURE_CLOSED": 409,
    "BUDGET_EXHAUSTED": 409,
    "BUDGET_BELOW_APPROVED": 409,
    "INVALID_TRANSITION": 409,
    "NOT_AMENDABLE": 409,
    "NOT_DECIDABLE": 409,
    "NOT_PAYABLE": 409,
    "ALREADY_PAID": 409,
    "NOT_REGISTERED": 409,
    "CONSULTATION_CLOSED": 409,
    "CONSULTATION_FULL": 409,
    "CONSULTATION_CHANGED": 409,
    "CONTENT_CHANGED": 409,
    "ALREADY_PUBLISHED": 409,
    "OWN_ACCOUNT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "RATE_LIMITED": 429,
    "UNAVAILABLE": 503,
}


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
