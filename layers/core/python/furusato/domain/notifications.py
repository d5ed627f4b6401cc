"""The kinds of notification a person's inbox holds: declared once, and used by the capabilities
that send them, the store that refuses any other, and the shape the OpenAPI document lists."""

from __future__ import annotations

from enum import StrEnum


class NotificationKind(StrEnum):
    RENEWAL_DUE = "renewal_due"  # premium ends soon: the renewal sweep's notice
    RENEWED = "renewed"  # premium extended by the renewal sweep
    UPGRADED = "upgraded"  # premium reached at a scan (auto approval)
    UPGRADE_REFUSED = "upgrade_refused"  # the requirement was met but premium was refused, and why
    DOWNGRADED = "downgraded"  # premium ended
    REVIEW_DECIDED = "review_decided"  # a coordinator decided a premium application
    LAPSE_WARNING = "lapse_warning"  # the registration lapses soon for inactivity
    LAPSED = "lapsed"  # the registration lapsed for inactivity
    SUPPORT_DECIDED = "support_decided"  # a support application was decided
    CONTENT = "content"  # a government's content reached the person (disaster notices)
    CONSULTATION_REPLY = "consultation_reply"  # staff replied to a consultation
    UPLOAD_REJECTED = "upload_rejected"  # an uploaded file failed its check


KINDS: tuple[str, ...] = tuple(kind.value for kind in NotificationKind)
