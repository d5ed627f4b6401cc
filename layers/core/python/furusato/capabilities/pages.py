"""The introduction page and its images (rule 20).

Images go through the uploads module (docs/uploads.md) with purpose `page_image` (JPEG or PNG,
at most 5 MB) and the government as owner: a presigned POST whose policy fixes type and size,
the bytes sniffed once stored (refused files are deleted), and reads only through short-lived
presigned GETs of the checked version. A section names an image by its upload key; the page is
saved only when every named image is the government's own, stored and accepted.

The uploads modules are imported only when a page has images: the registration function serves
the public page on every directory read and keeps them out of its cold start.
"""

from __future__ import annotations

from typing import Any

from furusato import clock
from furusato.domain.lg import LocalGovernment, Page, Section
from furusato.store import lgs
from furusato.views.government import page_view

PAGE_IMAGE = "page_image"


def _owner(lg_code: str) -> str:
    from furusato.domain.uploads import government_owner

    return government_owner(lg_code)


def new_image(lg_code: str, *, content_type: str, size: int) -> dict[str, Any]:
    from furusato.capabilities import uploads

    lgs.require(lg_code)
    from furusato.views.upload import page_image_upload_view

    upload, post = uploads.start(_owner(lg_code), purpose=PAGE_IMAGE, content_type=content_type, size=size)
    return page_image_upload_view(upload, post)


def put_page(lg_code: str, body: dict[str, Any]) -> dict[str, Any]:
    lgs.require(lg_code)
    raw_sections = body.get("sections") or []
    keys = [s["image_key"] for s in raw_sections if s.get("image_key")]
    images: dict[str, dict[str, Any]] = {}
    if keys:
        from furusato.capabilities import uploads

        attached = uploads.attach(_owner(lg_code), keys, purpose=PAGE_IMAGE, field="image_keys")
        images = {doc["upload_key"]: doc for doc in attached}
    sections = tuple(
        Section(
            heading=s["heading"].strip(),
            body=s.get("body") or "",
            image_key=s.get("image_key"),
            image_type=images[s["image_key"]]["content_type"] if s.get("image_key") else None,
            image_alt=s.get("image_alt"),
            image_version=images[s["image_key"]].get("version") if s.get("image_key") else None,
        )
        for s in raw_sections
    )
    page = Page(
        title=body["title"].strip(), body=body["body"], updated_at=clock.iso(clock.now()), sections=sections
    )
    lgs.save_page(lg_code, page)
    return _signed_page(lg_code, page)


def _signed_page(lg_code: str, page: Page) -> dict[str, Any]:
    """The page's view with a short-lived link to each section's image."""
    return page_view(page, [_image_url(lg_code, s) for s in page.sections])


def _image_url(lg_code: str, section: Section) -> str | None:
    """A short-lived link to the section's image (the version that was checked)."""
    if not section.image_key:
        return None
    from furusato.capabilities.uploads import READ_URL_TTL_S
    from furusato.domain.uploads import JPEG, object_key
    from furusato.store.uploads import presigned_get

    return presigned_get(
        object_key(_owner(lg_code), section.image_key),
        expires_s=READ_URL_TTL_S,
        content_type=section.image_type or JPEG,
        version=section.image_version,
    )


def get_page(lg_code: str) -> dict[str, Any]:
    return view_of(lgs.require(lg_code))


def view_of(lg: LocalGovernment) -> dict[str, Any]:
    return _signed_page(lg.lg_code, lg.page)
