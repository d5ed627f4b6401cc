"""Request and response shapes of the backfill import routes (validation and the OpenAPI
document)."""

from __future__ import annotations

from furusato.api.schema import Bool, FreeMap, Instant, Int, Obj, Str

IMPORT_STATUSES = ("waiting_upload", "processing", "validated", "completed", "failed")

IMPORT_IN = Obj(
    "ImportIn",
    {
        "filename": Str(
            min_length=1,
            max_length=200,
            # A file name may well hold a 12-digit timestamp; it names a file, not a person.
            free_text=False,
            description="the file's name, shown back on the job",
        ),
        "dry_run": Bool(
            default=False, description="true: validate and report only; POST .../commit imports it later"
        ),
    },
)

UPLOAD = Obj(
    "ImportUpload",
    {
        "url": Str(max_length=2048, description="POST a multipart/form-data form here"),
        "fields": FreeMap(
            max_keys=20,
            description="form fields to send as they are, before the `file` field (key, policy...)",
        ),
        "method": Str(choices=("POST",)),
        "expires_at": Instant(description="the upload must start before this instant"),
        "max_bytes": Int(ge=1, description="the policy refuses larger files"),
    },
)

IMPORT_CREATED = Obj(
    "ImportCreated",
    {
        "import_id": Str(pattern=r"imp_[0-9a-z]{26}"),
        "status": Str(choices=IMPORT_STATUSES),
        "upload": UPLOAD,
    },
)

_COUNT = "null until the file has been read"

IMPORT_JOB = Obj(
    "ImportJob",
    {
        "import_id": Str(pattern=r"imp_[0-9a-z]{26}"),
        "status": Str(choices=IMPORT_STATUSES),
        "dry_run": Bool(),
        "filename": Str(max_length=200),
        "created_at": Instant(),
        "rows_total": Int(ge=0, nullable=True, description=f"non-blank data rows; {_COUNT}"),
        "rows_imported": Int(
            ge=0,
            nullable=True,
            description="rows whose participation is recorded (duplicates included: merged into one); "
            "for a validated dry run, the rows a commit would import",
        ),
        "rows_rejected": Int(ge=0, nullable=True, description=f"rows with errors, not imported; {_COUNT}"),
        "participants_matched": Int(
            ge=0, nullable=True, description="people matched to a registrant (dry run: who would be now)"
        ),
        "participants_pending": Int(
            ge=0, nullable=True, description="people kept as pending participants until they register"
        ),
        "report_url": Str(
            nullable=True,
            max_length=4096,
            description="the per-row xlsx report; a presigned URL valid 5 minutes",
        ),
        "failure_reason": Str(nullable=True, description="a reason code when status is failed"),
        "failure_message": Str(nullable=True, description="the reason in Japanese, for the clerk"),
    },
)
