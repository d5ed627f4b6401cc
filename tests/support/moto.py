"""One moto server for the tests that talk to AWS (integration, and the e2e checks that use S3
directly), started on first use; every AWS client of the test process then points at it.

Unit tests never start it: they run with sockets blocked (tests/unit/conftest.py).
"""

from __future__ import annotations

import os

from infra.local import aws

_endpoint: str | None = None


def endpoint() -> str:
    """Start moto once, create every resource of the topology and point the process at it."""
    global _endpoint
    if _endpoint is None:
        stack = aws.start_moto()
        os.environ.update(aws.base_environment(stack.endpoint_url))
        os.environ.update(aws.create_resources(stack.endpoint_url))
        _endpoint = stack.endpoint_url
    return _endpoint
