"""The shapes of the identifiers that appear in paths, declared once: the capabilities check
them before a lookup and the OpenAPI document states them as the path parameters' patterns."""

from __future__ import annotations

LG_CODE = r"[0-9]{6}"
ACTIVITY_ID = r"act_[0-9abcdefghjkmnpqrstvwxyz]{26}"
MEASURE_ID = r"msr_([0-9]{6})_[0-9a-z]{26}"
APPLICATION_ID = r"sap_[0-9a-z]{26}"
IMPORT_ID = r"imp_[0-9a-z]{26}"
UPLOAD_ID = r"upl_[0-9a-z]{26}"

# Path parameter -> pattern. Registration and organization ids are opaque (stored keys).
PATH_PATTERNS: dict[str, str] = {
    "lg_code": LG_CODE,
    "activity_id": ACTIVITY_ID,
    "measure_id": MEASURE_ID,
    "application_id": APPLICATION_ID,
    "import_id": IMPORT_ID,
}
