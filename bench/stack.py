"""A moto server and the handlers' environment for benchmarks (one per bench process)."""

from __future__ import annotations

import os
from functools import lru_cache

from infra.local import aws


@lru_cache(maxsize=1)
def moto_endpoint() -> str:
    """Start moto once and point this process's AWS clients at it, before handlers are imported."""
    stack = aws.start_moto()
    os.environ.update(aws.base_environment(stack.endpoint_url))
    os.environ.update(aws.create_resources(stack.endpoint_url))
    return stack.endpoint_url
