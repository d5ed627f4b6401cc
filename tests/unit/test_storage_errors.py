"""Storage failures become domain errors: a store that does not answer is as retryable as
throttling (503 with Retry-After), never a 500."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from pynamodb.exceptions import GetError, PutError

from furusato.domain.errors import Unavailable
from furusato.store.errors import is_condition_failure, is_throttled, response_code, storage_errors


@pytest.mark.parametrize(
    "cause", [ReadTimeoutError(endpoint_url="http://ddb"), EndpointConnectionError(endpoint_url="http://ddb")]
)
def test_no_answer_is_retryable(cause: Exception) -> None:
    error = PutError("put failed", cause)
    assert response_code(error) is None and is_throttled(error) and not is_condition_failure(error)
    with pytest.raises(Unavailable):
        with storage_errors():
            raise error


def test_a_condition_failure_is_neither_throttling_nor_unavailable() -> None:
    cause = ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "no"}}, "PutItem")
    error = PutError("put failed", cause)
    assert is_condition_failure(error) and not is_throttled(error)


def test_other_failures_pass_through() -> None:
    cause = ClientError({"Error": {"Code": "ValidationException", "Message": "bad"}}, "GetItem")
    with pytest.raises(GetError):
        with storage_errors():
            raise GetError("get failed", cause)
