"""One moto server for the whole run; every AWS client of the test process points at it.

The environment is set here, at import, before any test module imports the runtime package
(pynamodb models read their table names when they are defined)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from infra.local import aws
from infra.local.idp import LocalIdentityProvider

_MOTO = aws.start_moto()
IDENTITY_PROVIDER = LocalIdentityProvider(issuer="http://127.0.0.1/local/idp")
os.environ.update(aws.base_environment(_MOTO.endpoint_url))
os.environ.update(aws.create_resources(_MOTO.endpoint_url))
os.environ.update(IDENTITY_PROVIDER.environment())


@pytest.fixture(scope="session")
def moto_endpoint() -> str:
    return _MOTO.endpoint_url


@pytest.fixture
def clean_aws(moto_endpoint: str) -> Iterator[str]:
    """Empty tables and buckets before the test; unfreeze the clock after it."""
    from furusato import clock

    aws.reset_data(moto_endpoint)
    yield moto_endpoint
    clock.unfreeze()
