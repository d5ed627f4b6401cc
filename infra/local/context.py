"""The Lambda context object, as handlers and Powertools read it: the one stand-in used by the
local stack, the tests and the benchmarks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from furusato import topology
from furusato.settings import settings

ACCOUNT_ID = "123456789012"  # moto's default account


class LambdaContext:
    def __init__(
        self,
        function_name: str = "furusato-test",
        *,
        memory_mb: int = 512,
        timeout_s: float = 900.0,
        remaining_ms: Callable[[], int] | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        # The region from settings, not from infra.local.aws: a function's instance never loads moto.
        region = settings().region
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s
        self._remaining_ms = remaining_ms

    @classmethod
    def of(cls, fn: topology.Function) -> LambdaContext:
        """The context of one function of the topology, with its memory and timeout."""
        return cls(f"furusato-{fn.name}", memory_mb=fn.memory_mb, timeout_s=fn.timeout_s)

    def get_remaining_time_in_millis(self) -> int:
        if self._remaining_ms is not None:
            return self._remaining_ms()
        return max(0, int((self._deadline - time.monotonic()) * 1000))
