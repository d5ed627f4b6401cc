"""A moto server and the handlers' environment for benchmarks (one per bench process)."""

from __future__ import annotations

import os
from functools import lru_cache

from infra.local import aws
from infra.local.idp import LocalIdentityProvider

IDENTITY_PROVIDER = LocalIdentityProvider(issuer="http://127.0.0.1/local/idp")


@lru_cache(maxsize=1)
def moto_endpoint() -> str:
    """Start moto once and point this process's AWS clients at it, before handlers are imported."""
    stack = aws.start_moto()
    os.environ.update(aws.base_environment(stack.endpoint_url))
    os.environ.update(aws.create_resources(stack.endpoint_url))
    os.environ.update(IDENTITY_PROVIDER.environment())
    return stack.endpoint_url
