"""Markdown to safe HTML for the app: a small subset, then a maintained sanitiser.

Two layers, so neither has to be perfect alone: markdown-it-py renders with raw HTML disabled
(tags in the text come out escaped), and nh3 (the ammonia sanitiser) keeps only the tags and
attributes listed here and links whose scheme is http or https. No script, style, event handler,
image or `javascript:` link reaches the app. Both libraries are imported on first use, so only
the function that renders content pays for them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https"})


@lru_cache(maxsize=1)
def _renderer() -> Any:
    from markdown_it import MarkdownIt

    # commonmark without raw HTML; tables and strikethrough are common in notices.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


def render(markdown: str) -> str:
    import nh3

    html = _renderer().render(markdown)
    return str(
        nh3.clean(
            html,
            tags=set(ALLOWED_TAGS),
            attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
            url_schemes=set(URL_SCHEMES),
            link_rel="noopener noreferrer nofollow",
            strip_comments=True,
        )
    )
