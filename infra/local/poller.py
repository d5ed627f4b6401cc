"""A trigger the local stack drives from a background thread: wake on `poke` (after a request
that may have written) or every `interval_s`, run one step, and stop cleanly. S3 notifications
and stream delivery both run this way."""

from __future__ import annotations

import json
import logging
import threading
from abc import ABC, abstractmethod

from furusato.api.errors import error_summary

log = logging.getLogger("infra.local")


class Poller(ABC):
    thread_name = "poller"

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def step(self) -> object:
        """One round of the trigger's work."""

    def has_work(self) -> bool:
        """Whether there is anything to watch at all (no thread otherwise)."""
        return True

    def poke(self) -> None:
        """Run soon (after a request that may have written)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is None and self.has_work():
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                self.step()
            except Exception as exc:
                # Type and frames only: a message may quote personal data.
                log.error("%s: a round failed: %s", self.thread_name, json.dumps(error_summary(exc)))
