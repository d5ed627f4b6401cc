"""The introduction page and its images (rule 20).

Images go through the uploads module (docs/uploads.md) with purpose `page_image` (JPEG or PNG,
at most 5 MB) and the government as owner: a presigned POST whose policy fixes type and size,
the bytes sniffed once stored (refused files are deleted), and reads only through short-lived
presigned GETs. A section names an image by its upload key; the page is saved only when every
named image is the government's own, stored and accepted.
"""

from __future__ import annotations

from typing import Any

from furusato import clock
from furusato.capabilities import uploads
from furusato.domain import uploads as rules
from furusato.domain.lg import LocalGovernment, Page, Section
from furusato.store import lgs
from furusato.store import uploads as upload_store


def new_image(lg_code: str, *, content_type: str, size: int) -> dict[str, Any]:
    lgs.require(lg_code)
    view = uploads.create(
        rules.government_owner(lg_code), purpose="page_image", content_type=content_type, size=size
    )
    return {k: view[k] for k in ("upload_key", "content_type", "size", "upload", "expires_at")}


def put_page(lg_code: str, body: dict[str, Any]) -> dict[str, Any]:
    lgs.require(lg_code)
    raw_sections = body.get("sections") or []
    keys = [s["image_key"] for s in raw_sections if s.get("image_key")]
    images = {
        d["upload_key"]: d["content_type"]
        for d in uploads.attach(
            rules.government_owner(lg_code), keys, purpose="page_image", field="image_keys"
        )
    }
    sections = tuple(
        Section(
            heading=s["heading"].strip(),
            body=s.get("body") or "",
            image_key=s.get("image_key"),
            image_type=images.get(s["image_key"]) if s.get("image_key") else None,
            image_alt=s.get("image_alt"),
        )
        for s in raw_sections
    )
    page = Page(
        title=body["title"].strip(), body=body["body"], updated_at=clock.iso(clock.now()), sections=sections
    )
    lgs.save_page(lg_code, page)
    return page_view(lg_code, page)


def page_view(lg_code: str, page: Page) -> dict[str, Any]:
    """The page with a short-lived link to each section's image."""
    view = page.to_dict()
    owner = rules.government_owner(lg_code)
    view["sections"] = [
        {
            "heading": s.heading,
            "body": s.body,
            "image": (
                {
                    "upload_key": s.image_key,
                    "content_type": s.image_type,
                    "alt": s.image_alt,
                    "url": upload_store.presigned_get(
                        rules.object_key(owner, s.image_key),
                        expires_s=uploads.READ_URL_TTL_S,
                        content_type=s.image_type or rules.JPEG,
                    ),
                }
                if s.image_key
                else None
            ),
        }
        for s in page.sections
    ]
    return view


def view_of(lg: LocalGovernment) -> dict[str, Any]:
    return page_view(lg.lg_code, lg.page)
