"""Powertools logger, metrics and (optionally) tracer, configured by environment (POWERTOOLS_*).

Lambda active tracing records every invocation without any SDK. The Powertools Tracer adds
subsegments per handler and AWS call, but importing the X-Ray SDK costs ~250 ms of cold start
(bench/coldstart.py), so it is opt-in: FURUSATO_XRAY_SUBSEGMENTS=true.

Every handler wraps its entry points here at import, so the settings are read (and a missing
variable fails) at cold start, not in a first request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

from furusato.settings import settings

logger = Logger(service="furusato")
metrics = Metrics(namespace="Furusato", service="furusato")

Handler = Callable[[dict[str, Any], Any], Any]


def _traced(handle: Handler) -> Handler:
    if not settings().xray_subsegments:
        return handle
    from aws_lambda_powertools import Tracer

    return Tracer(service="furusato").capture_lambda_handler(handle, capture_response=False)


def api_entrypoint(resolve: Handler) -> Handler:
    """Wrap an API Gateway entry point: correlation id, flushed metrics, optional subsegments.
    The event is never logged: it carries personal data."""
    wrapped = logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_REST, log_event=False
    )(resolve)
    return metrics.log_metrics(_traced(wrapped))


def event_entrypoint(handle: Handler) -> Handler:
    """Wrap a non-HTTP entry point (S3, schedules)."""
    wrapped = logger.inject_lambda_context(log_event=False)(handle)
    return metrics.log_metrics(_traced(wrapped))
