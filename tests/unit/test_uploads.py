"""The upload rules: what a request may declare, and how a stored file is judged."""

from __future__ import annotations

import pytest

from furusato.domain import uploads
from furusato.domain.errors import InvalidInput

PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
DOCS = uploads.PURPOSES["support_document"]


@pytest.mark.parametrize("purpose", ["review_document", "support_document"])
@pytest.mark.parametrize("content_type", ["application/pdf", "image/jpeg", "image/png"])
def test_documents_accept_pdf_jpeg_png_up_to_10_mb(purpose: str, content_type: str) -> None:
    assert uploads.check_request(purpose, content_type, 1).name == purpose
    assert uploads.check_request(purpose, content_type, 10 * 1024 * 1024).max_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("purpose", "content_type", "size", "field"),
    [
        ("support_document", "application/pdf", 10 * 1024 * 1024 + 1, "size"),
        ("support_document", "application/pdf", 0, "size"),
        ("support_document", "image/gif", 100, "content_type"),
        ("support_document", "text/html", 100, "content_type"),
        ("avatar", "image/png", 100, "purpose"),
    ],
)
def test_requests_outside_the_rules_name_the_field(
    purpose: str, content_type: str, size: int, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        uploads.check_request(purpose, content_type, size)
    assert field in caught.value.details


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PDF_HEAD, "application/pdf"),
        (JPEG_HEAD, "image/jpeg"),
        (PNG_HEAD, "image/png"),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),  # a Windows executable
        (b"<html><script>", None),
        (b"GIF89a", None),
        (b"", None),
        (b" %PDF-1.7", None),  # the signature must come first
    ],
)
def test_sniff_knows_only_the_signatures(head: bytes, expected: str | None) -> None:
    assert uploads.sniff(head) == expected


def test_judge_accepts_a_file_that_is_what_it_says() -> None:
    assert uploads.judge(DOCS, "application/pdf", PDF_HEAD, 2048) is None
    assert uploads.judge(DOCS, "image/png", PNG_HEAD, 10 * 1024 * 1024) is None


@pytest.mark.parametrize(
    ("declared", "head", "size", "reason"),
    [
        ("image/png", JPEG_HEAD, 100, "type_mismatch"),  # a JPEG declared as PNG
        ("application/pdf", b"MZ\x90\x00", 100, "type_mismatch"),
        ("application/pdf", PDF_HEAD, 10 * 1024 * 1024 + 1, "too_large"),
        ("application/pdf", b"", 0, "empty"),
    ],
)
def test_judge_refuses_with_a_reason(declared: str, head: bytes, size: int, reason: str) -> None:
    assert uploads.judge(DOCS, declared, head, size) == reason


def test_every_rejection_has_a_notice_for_the_owner() -> None:
    for reason in ("empty", "too_large", "type_mismatch"):
        title, body = uploads.rejection_notice(reason)
        assert title and "削除" in body


def test_object_keys_are_under_their_owner_and_round_trip() -> None:
    key = uploads.object_key("sub-1", "upl_01jc5x8k9z3h7q2m4n6p8r0t12")
    assert key == "uploads/sub-1/upl_01jc5x8k9z3h7q2m4n6p8r0t12"
    assert uploads.parse_object_key(key) == ("sub-1", "upl_01jc5x8k9z3h7q2m4n6p8r0t12")
    for bad in (
        "uploads/sub-1/other",
        "imports/x/upl_01jc5x8k9z3h7q2m4n6p8r0t12",
        "uploads//upl_x",
        "uploads/a/b/c",
    ):
        assert uploads.parse_object_key(bad) is None
