"""Consultations (相談): a registrant asks a government they are registered with; coordinators
answer. Status: open (the registrant waits) -> answered (staff replied) -> closed; a registrant's
follow-up on an answered consultation opens it again, and nothing is added once it is closed."""

from __future__ import annotations

from typing import Literal

from furusato.domain.errors import Conflict, InvalidInput
from furusato.domain.profile import contains_individual_number

Topic = Literal["culture", "community", "projects", "dual_residence", "other"]
TOPICS: tuple[str, ...] = ("culture", "community", "projects", "dual_residence", "other")
Status = Literal["open", "answered", "closed"]
STATUSES: tuple[str, ...] = ("open", "answered", "closed")
Sender = Literal["registrant", "staff"]
MAX_SUBJECT = 200
MAX_MESSAGE = 4000
# A consultation is a conversation, not a mailbox: past this, open a new one.
MAX_MESSAGES = 200


def check_text(**texts: str) -> dict[str, str]:
    """Blank text and individual numbers (rule 7) are refused in every message and subject.
    Returns the texts stripped."""
    bad: dict[str, str] = {}
    clean: dict[str, str] = {}
    for name, value in texts.items():
        stripped = value.strip()
        if not stripped:
            bad[name] = "must not be blank"
        elif contains_individual_number(stripped):
            bad[name] = "must not contain an individual number"
        clean[name] = stripped
    if bad:
        raise InvalidInput("invalid consultation text", details=bad)
    return clean


def status_after(current: str, sender: Sender, messages: int) -> Status:
    """The status once `sender` adds a message to a consultation holding `messages` messages."""
    if current == "closed":
        raise Conflict("the consultation is closed", code="CONSULTATION_CLOSED")
    if messages >= MAX_MESSAGES:
        raise Conflict(
            f"a consultation holds at most {MAX_MESSAGES} messages; open a new one",
            code="CONSULTATION_FULL",
        )
    return "answered" if sender == "staff" else "open"


def status_rank(status: str) -> int:
    """The order of the staff list without a status filter: waiting ones first."""
    return STATUSES.index(status) + 1
