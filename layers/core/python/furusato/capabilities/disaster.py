"""Disaster notices: publishing `disaster` content puts a notice in each targeted reader's inbox.

The staff request writes the content and nothing else. The fan-out follows the main table's
stream, page by page, so no step waits on thousands of writes and every step converges when
delivered again:

1. a content change that publishes a disaster notice puts page 0 of its fan-out
   (`FANOUT#{content_id}` / `PAGE#00000`, put once);
2. each page's own stream record makes the consumer read up to 100 live registrations of the
   government from the page's cursor, evaluate the target for each reader, put their notices
   (deterministic keys, put once), then put the next page with the next cursor.

A redelivered record finds its notices and its next page already there and changes nothing;
a failure leaves the record to be delivered again from where it failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from furusato.domain.content import reader_of, targets
from furusato.domain.errors import NotFound
from furusato.domain.notifications import NotificationKind
from furusato.store import contents, fanout, notifications

NOTICE_BODY_CHARS = 500


def publishes_disaster(old: dict[str, Any] | None, new: dict[str, Any] | None) -> bool:
    """True for the change that makes a disaster notice published: created published, a draft
    published, or published content turned into a disaster notice. Never for later edits."""

    def out(image: dict[str, Any] | None) -> bool:
        return bool(
            image
            and image.get("type") == "content"
            and image.get("kind") == "disaster"
            and not image.get("draft")
            and image.get("published_at")
        )

    return out(new) and not out(old)


def start(new: dict[str, Any]) -> bool:
    return fanout.put_page(str(new["content_id"]), str(new["lg_code"]), 0, None)


def run_page(page: dict[str, Any]) -> int:
    """Write one page's notices and put the next page. Returns the notices added."""
    content_id, lg_code, number = str(page["content_id"]), str(page["lg_code"]), int(page["page"])
    try:
        content = contents.get(lg_code, content_id).content
    except NotFound:  # deleted meanwhile: nothing left to announce
        return 0
    if content.draft or content.kind != "disaster" or content.published_at is None:
        return 0
    found, next_cursor = fanout.live_registrations(lg_code, page.get("cursor"))
    homes = fanout.residences(s for s, _ in found) if content.target.residence_prefecture_codes else {}
    added = 0
    for sub, reg in found:
        reader = reader_of(reg.plan, reg.status, reg.survey_answers, homes.get(sub))
        if targets(content.target, reader):
            notice = _notice(
                sub, content.content_id, lg_code, content.title, content.body, content.published_at
            )
            added += fanout.put_notice(notice)
    if next_cursor:
        fanout.put_page(content_id, lg_code, number + 1, next_cursor)
    return added


def _notice(sub: str, content_id: str, lg_code: str, title: str, body: str, at: datetime) -> Any:
    # The notice is dated at publication, so every delivery builds the same item.
    return notifications.notification_item(
        sub,
        NotificationKind.CONTENT,
        title=title,
        body=body[:NOTICE_BODY_CHARS],
        lg_code=lg_code,
        dedupe_key=content_id,
        at=at,
    )
