"""Powertools logger, tracer and metrics, configured by environment (POWERTOOLS_*)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths

logger = Logger(service="furusato")
tracer = Tracer(service="furusato")
metrics = Metrics(namespace="Furusato", service="furusato")

Handler = Callable[[dict[str, Any], Any], Any]


def api_entrypoint(resolve: Handler) -> Handler:
    """Wrap an API Gateway entry point: correlation id, a trace segment, flushed metrics.
    The event is never logged: it carries personal data."""
    wrapped = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False)(
        resolve
    )
    wrapped = tracer.capture_lambda_handler(wrapped, capture_response=False)
    return metrics.log_metrics(wrapped)  # type: ignore[no-any-return]


def event_entrypoint(handle: Handler) -> Handler:
    """Wrap a non-HTTP entry point (S3, schedules)."""
    wrapped = logger.inject_lambda_context(log_event=False)(handle)
    wrapped = tracer.capture_lambda_handler(wrapped, capture_response=False)
    return metrics.log_metrics(wrapped)  # type: ignore[no-any-return]
