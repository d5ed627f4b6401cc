import pytest

from tests.support import moto

# At import, before the test modules import the runtime package: its clients and models then
# point at moto.
moto.endpoint()


@pytest.fixture(autouse=True)
def _clean(clean_aws: str) -> None:
    """Every integration test starts from empty tables."""
