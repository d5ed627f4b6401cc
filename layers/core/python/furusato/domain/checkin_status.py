"""A participation's standing as evidence (docs/domain.md, "Offline scans"), kept apart from
domain/checkin.py so that the request shapes, which list it, do not load the check-in domain
(tokens, registrations, governments) into every cold start of the check-in function."""

from __future__ import annotations

STATUSES: tuple[str, ...] = ("confirmed", "unconfirmed", "rejected")
