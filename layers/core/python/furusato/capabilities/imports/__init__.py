"""Backfill imports (rule 19): jobs, presigned uploads, the S3 trigger, processing and commit.

`jobs`: staff use cases, views and the `.run` marker; `run`: leased processing, hand-off and
recovery; `trigger`: the S3 ObjectCreated event that starts or resumes a job.

Lifecycle of a job (docs/imports.md, "Jobs"):

    POST /imports ─> waiting_upload ──(ObjectCreated of its key)──> processing ─┬─> validated (dry run)
    put under imports/{lg_code}/ ─────(ObjectCreated: a job is created)──────> │─> completed
                                                                               └─> failed
    validated ──(POST /imports/{id}/commit)──> processing ──> completed | failed

Idempotency: a job imports exactly one object version (bound when its first event arrives; a
direct upload's job id is derived from bucket, key and version). Only the invocation holding the
job's lease processes it; a completed, validated or failed job is never redone. Progress is
recorded after each chunk of people, and every write is keyed deterministically, so a crash and
a redelivery end in the same state as one clean run.

Logs carry ids, counts and reason codes only: never names, addresses, birth dates or file names.
"""
