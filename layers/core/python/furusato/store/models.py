"""PynamoDB models of the main table (single-table design, see docs/data-model.md).

Every entity lives in one table under `pk`/`sk`; a `type` discriminator lets one Query over a
person's partition return their profile, registrations and participations together.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from furusato.settings import settings

if TYPE_CHECKING:  # imported when first needed: not every function reads participations
    from furusato.domain.checkin import ParticipationRecord

_settings = settings()


class _Meta:
    region = _settings.region
    host = _settings.endpoint_url
    # botocore retries throttling with backoff; past these the store raises Unavailable.
    max_retry_attempts = 3
    base_backoff_ms = 25


class Gsi1(GlobalSecondaryIndex["MainItem"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex["MainItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class MainItem(Model):
    class Meta(_Meta):
        table_name = _settings.main_table

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    type = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    gsi1 = Gsi1()
    gsi2 = Gsi2()

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # One connection, so one botocore client, for every model of the table: pynamodb would
        # otherwise create a client (~0.3 s) per model class on a cold start.
        return super(MainItem, MainItem)._get_connection()


# Best-effort writes (a person's last-seen stamp of the day) go through a second client of the
# table: one attempt and a short wait, so that a throttle or a slow answer skips the write at
# once instead of holding the request through the retries and backoff every other call keeps.
BEST_EFFORT_TIMEOUT_S = 1.0
_best_effort: tuple[TableConnection, TableConnection] | None = None


def best_effort() -> TableConnection:
    """The table's connection for best-effort writes: no retry, BEST_EFFORT_TIMEOUT_S to connect
    and to answer. Made on first use, its client from the table client's botocore session (a
    second client of a loaded session costs ~10 ms, a new session ~0.3 s), and made again when
    the table's connection is replaced (a forked worker)."""
    global _best_effort
    table = MainItem._get_connection()
    if _best_effort is None or _best_effort[0] is not table:
        connection = TableConnection(
            table.table_name,
            region=_Meta.region,
            host=_Meta.host,
            connect_timeout_seconds=BEST_EFFORT_TIMEOUT_S,
            read_timeout_seconds=BEST_EFFORT_TIMEOUT_S,
            max_retry_attempts=0,
            meta_table=table.get_meta_table(),
        )
        connection.connection._local.session = table.connection.session
        _ = connection.connection.client  # created now, from that session (clients are thread-safe)
        _best_effort = (table, connection)
    return _best_effort[1]


class LgItem(MainItem, discriminator="lg"):
    """An onboarded local government with its settings, page and own survey questions."""

    lg_code = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    prefecture_code = UnicodeAttribute()
    settings = JSONAttribute(default=dict)
    page = JSONAttribute(default=dict)
    own_questions = JSONAttribute(default=list)
    onboarded_at = UnicodeAttribute()


class PersonItem(MainItem, discriminator="person"):
    """A registrant's profile. Only what a rule needs: never the individual number."""

    name = UnicodeAttribute(null=True)
    birth_date = UnicodeAttribute(null=True)
    gender = UnicodeAttribute(null=True)
    postal_code = UnicodeAttribute(null=True)
    address = UnicodeAttribute(null=True)
    residence_lg_code = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute(null=True)
    # JST date of the last app access; written at most once a day. gsi2 (IDLE#{shard} /
    # {due date}#{sub}) holds the person under the day the inactivity sweep next acts on them.
    last_seen = UnicodeAttribute(null=True)
    # Identity verification (rules 7-9): the result only. `identity_key` is a hash of the
    # provider's subject; the four facts live in the profile fields above.
    identity_verified_at = UnicodeAttribute(null=True)
    identity_key = UnicodeAttribute(null=True)
    identity_minor = BooleanAttribute(null=True)
    guardian_consent = JSONAttribute(null=True)
    # The premium places held (rule 13): written with a version condition in the same
    # transaction as the registration, so concurrent upgrades cannot pass the limit.
    premium_lg_codes = JSONAttribute(default=list)
    premium_version = NumberAttribute(default=0)


class RegistrationItem(MainItem, discriminator="registration"):
    registration_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    plan = UnicodeAttribute()
    status = UnicodeAttribute()
    own_residence = BooleanAttribute(default=False)
    auto_created = BooleanAttribute(default=False)
    registered_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    survey_answers = JSONAttribute(default=dict)
    premium_valid_until = UnicodeAttribute(null=True)
    long_term_stayer = BooleanAttribute(default=False)
    withdrawn_at = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    # Shown to the person: a coordinator's reason, or why premium fell back to basic.
    decision_reason = UnicodeAttribute(null=True)
    # The valid_until whose 30-day renewal notice was sent (the sweep sends it once).
    notice_sent_for = UnicodeAttribute(null=True)
    # gsi2 (DUE#{shard} / {date}#...) holds premium registrations under the day the renewal
    # sweep acts on them.
    # The person opted in to automatic premium at the qualifying scan (rule 14).
    auto_upgrade = BooleanAttribute(default=False)
    # The refusal code of an automatic upgrade the person was told about (told once, not per scan).
    upgrade_refused = UnicodeAttribute(null=True)
    # The government's inactivity period (rule 6) as of the registration's last write.
    inactivity_months = NumberAttribute(null=True)


MODELS: tuple[type[MainItem], ...] = (LgItem, PersonItem, RegistrationItem)


def key_schema(model: type[Model]) -> dict[str, Any]:
    """The table's key schema and indexes as this model declares them (tested against topology)."""
    meta: Any = model.Meta
    hash_key = model._hash_keyname
    range_key = model._range_keyname
    indexes = {}
    for index in model._indexes.values():
        idx_meta: Any = index.Meta
        keys = {a.attr_name: ("HASH" if a.is_hash_key else "RANGE") for a in index.Meta.attributes.values()}
        pk = next(k for k, v in keys.items() if v == "HASH")
        sk = next((k for k, v in keys.items() if v == "RANGE"), None)
        indexes[idx_meta.index_name] = (pk, sk)
    return {
        "table_name": meta.table_name,
        "partition_key": hash_key,
        "sort_key": range_key,
        "indexes": indexes,
    }


# --- activities and check-in (see docs/checkin.md) -------------------------------------------


class OrganizationItem(MainItem, discriminator="organization"):
    """pk=LG#{lg_code}, sk=ORG#{org_id}: an organization (関係団体) of one government."""

    org_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    designation = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class ActivityItem(MainItem, discriminator="activity"):
    """pk=LG#{lg_code}, sk=ACT#{activity_id}; gsi1pk=LG#{lg_code}#ACT, gsi1sk={starts_at}#{id}."""

    activity_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    name = UnicodeAttribute()
    starts_at = UnicodeAttribute()  # ISO 8601, JST offset: sorts as time within one government
    ends_at = UnicodeAttribute()
    place = UnicodeAttribute()
    conditions = UnicodeAttribute(null=True)
    capacity = NumberAttribute(null=True)
    organization_id = UnicodeAttribute(null=True)
    designated = BooleanAttribute(default=False)
    checkin_mode = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    cancelled_at = UnicodeAttribute(null=True)
    cancel_reason = UnicodeAttribute(null=True)
    # Failed scans by reason code; only failure paths write it, never a check-in that succeeds.
    scan_failures = MapAttribute(default=dict)  # type: ignore[var-annotated]


class ParticipationItem(MainItem, discriminator="participation"):
    """pk=P#{sub}, sk=PART#{activity_id}: one per person and activity (a put condition keeps it
    so); gsi1pk=ACT#{activity_id}, gsi1sk={checked_in_at}#{participation_id} is the roster.
    A participation that needed staff confirmation also carries gsi2pk=ACT#{activity_id}#REVIEW,
    gsi2sk={participation_id}: how the confirmation route finds it by its id."""

    participation_id = UnicodeAttribute()
    sub = UnicodeAttribute()
    activity_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    organization_id = UnicodeAttribute(null=True)
    activity_name = UnicodeAttribute()
    activity_starts_at = UnicodeAttribute()
    activity_ends_at = UnicodeAttribute()
    place = UnicodeAttribute()
    designated = BooleanAttribute(default=False)
    day = UnicodeAttribute()  # JST date of the activity's start: the day it counts on (rule 10)
    source = UnicodeAttribute()
    checkin_mode = UnicodeAttribute()
    checked_in_at = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    offline = BooleanAttribute(default=False)
    nonce = UnicodeAttribute(null=True)
    recorded_by = UnicodeAttribute(null=True)
    # confirmed (absent: every record written before offline scans needed confirmation),
    # unconfirmed or rejected; who decided and when.
    status = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)

    def to_record(self) -> ParticipationRecord:
        """The domain record (a `domain.registration.Participation` with every field)."""
        from furusato.domain.checkin import ParticipationRecord

        return ParticipationRecord(
            activity_id=self.activity_id,
            lg_code=self.lg_code,
            designated=self.designated,
            day=date.fromisoformat(self.day),
            sub=self.sub,
            participation_id=self.participation_id,
            organization_id=self.organization_id,
            activity_name=self.activity_name,
            activity_starts_at=self.activity_starts_at,
            activity_ends_at=self.activity_ends_at,
            place=self.place,
            source=self.source,  # type: ignore[arg-type]
            checkin_mode=self.checkin_mode,
            checked_in_at=self.checked_in_at,
            recorded_at=self.recorded_at,
            offline=self.offline,
            nonce=self.nonce,
            recorded_by=self.recorded_by,
            status=self.status or "confirmed",
            decided_by=self.decided_by,
            decided_at=self.decided_at,
        )


class ScanFailureItem(MainItem, discriminator="scan_failures"):
    """pk=RL#{sub}, sk=SCANFAIL#{window}: failed scans of one person in one fixed window;
    DynamoDB's TTL removes it after the window."""

    failures = NumberAttribute(default=0)


MODELS = (*MODELS, OrganizationItem, ActivityItem, ParticipationItem, ScanFailureItem)


class IdentityBindingItem(MainItem, discriminator="identity_binding"):
    """One verified identity belongs to one account (rule 8): pk=IDENTITY#{identity_key}."""

    sub = UnicodeAttribute()
    bound_at = UnicodeAttribute()


class StayItem(MainItem, discriminator="stay"):
    """A coordinator-approved stay declaration: pk=P#{sub}, sk=STAY#{lg_code}#{date}."""

    lg_code = UnicodeAttribute()
    day = UnicodeAttribute()
    approved_by = UnicodeAttribute()
    approved_at = UnicodeAttribute()
    note = UnicodeAttribute(null=True)


class NotificationItem(MainItem, discriminator="notification"):
    """The inbox: pk=N#{sub}, sk={created_at}#{notification_id}, newest last."""

    notification_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    lg_code = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    read = BooleanAttribute(default=False)


class SweepRunItem(MainItem, discriminator="sweep_run"):
    """A sweep's progress per scheduled time (pk=SWEEP#{name}, sk=RUN#{scheduled_time}) and its
    state (sk=STATE: the last day completed), so runs resume and retries change nothing."""

    status = UnicodeAttribute(null=True)
    processed = NumberAttribute(default=0)
    position = JSONAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)


MODELS = (*MODELS, IdentityBindingItem, StayItem, NotificationItem, SweepRunItem)


# --- spreadsheet backfill (see docs/imports.md) ----------------------------------------------


class ImportJobItem(MainItem, discriminator="import_job"):
    """pk=LG#{lg_code}, sk=IMPORT#{import_id}: one backfill import and its progress.

    No personal data: the file's name, counts, row counts and the S3 keys. `lease_until` (epoch
    seconds, wall clock) and `lease_owner` mark the one invocation that processes the job; they
    are removed when it stops. TTL: the bucket's `expire_days`, like the file and report."""

    import_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    filename = UnicodeAttribute()
    dry_run = BooleanAttribute(default=False)
    # waiting_upload | processing | validated | completed | failed
    status = UnicodeAttribute()
    origin = UnicodeAttribute()  # "api" (POST /imports) or "direct" (put under imports/{lg_code}/)
    object_key = UnicodeAttribute()
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    # The S3 object version the job imports (bound once: a later upload to the key is ignored).
    source_version = UnicodeAttribute(null=True)
    source_etag = UnicodeAttribute(null=True)
    source_size = NumberAttribute(null=True)
    committed_at = UnicodeAttribute(null=True)
    committed_by = UnicodeAttribute(null=True)
    # The instant the rows were validated against ("not in the future"); kept so that a resumed
    # run validates exactly as the interrupted one did.
    analysed_at = UnicodeAttribute(null=True)
    rows_total = NumberAttribute(null=True)
    rows_imported = NumberAttribute(null=True)
    rows_rejected = NumberAttribute(null=True)
    rows_duplicate = NumberAttribute(null=True)
    activities = NumberAttribute(null=True)
    participants_matched = NumberAttribute(null=True)
    participants_pending = NumberAttribute(null=True)
    # People (distinct match keys, in order of first appearance) already written by this run.
    progress = NumberAttribute(null=True)
    report_key = UnicodeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    failure_message = UnicodeAttribute(null=True)
    completed_at = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)


class BackfillActivityItem(ActivityItem, discriminator="backfill_activity"):
    """An activity created by a backfill import: an ActivityItem (same keys, listings, rosters)
    whose id derives from the deterministic activity key, so every import of its rows finds it."""

    source = UnicodeAttribute(default="backfill")
    backfill_key = UnicodeAttribute()
    import_id = UnicodeAttribute()


class MatchItem(MainItem, discriminator="backfill_match"):
    """pk=MATCH#{match_key}, sk=MATCH: the accounts whose profile (normalised name, birth date,
    postal code) gives this key. Only the hash and account ids: no personal data in clear."""

    subs = UnicodeSetAttribute(null=True)
    verified_subs = UnicodeSetAttribute(null=True)


class PendingParticipationItem(MainItem, discriminator="pending_participation"):
    """pk=PENDING#{match_key}, sk=PART#{activity_key}: a backfilled participation of someone who
    is not (yet) a registrant. What attaching it later and the roster need; DynamoDB's TTL deletes it
    PENDING_DAYS after its last import if nobody with the same facts registers."""

    lg_code = UnicodeAttribute()
    activity_id = UnicodeAttribute()
    participation_id = UnicodeAttribute()
    import_id = UnicodeAttribute()
    written_at = UnicodeAttribute()
    # The roster lists the person (`kind: "pending"`) under the activity's roster key, in the
    # place their participation will take once matched: gsi1pk=ACT#{activity_id},
    # gsi1sk={checked_in_at}#{participation_id}. The name as written in the file is shown there.
    name = UnicodeAttribute(null=True)
    checked_in_at = UnicodeAttribute(null=True)


MODELS = (*MODELS, ImportJobItem, BackfillActivityItem, MatchItem, PendingParticipationItem)


# --- counters (see store/counters.py and docs/capacity.md) ------------------------------------


class CounterItem(MainItem, discriminator="counter"):
    """pk=CNT#{activity_id}#{shard}, sk=COUNT: one shard of an activity's participant count,
    added to in the transaction that writes (or removes) a participation."""

    value = NumberAttribute(default=0, attr_name="count")  # `count` is a Model method


MODELS = (*MODELS, CounterItem)


class ReplyItem(MainItem, discriminator="reply"):
    """pk=P#{sub}, sk=REPLY#{digest of route and Idempotency-Key}: the answer a keyed request of
    this person got, written in the request's own transaction and read back by the person's
    partition Query; DynamoDB's TTL removes it after a day."""

    payload_hash = UnicodeAttribute()
    status = NumberAttribute()
    body = UnicodeAttribute()


MODELS = (*MODELS, ReplyItem)


class LgListingItem(MainItem, discriminator="lg_listing"):
    """pk=LG#{lg_code}, sk=LISTING: what the directory lists of an onboarded government (no page,
    no survey, of the settings only the inactivity period the sweep reads: ~200 bytes with the
    longest real names), written with the `lg` item; gsi1 LGS / {prefecture_code}#{lg_code}
    holds these only, so a directory page of 200 reads ~40 KB (docs/capacity.md)."""

    lg_code = UnicodeAttribute()
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    prefecture_code = UnicodeAttribute()
    onboarded_at = UnicodeAttribute()
    inactivity_months = NumberAttribute()


MODELS = (*MODELS, LgListingItem)


# --- uploads (see docs/uploads.md) -----------------------------------------------------------


class UploadItem(MainItem, discriminator="upload"):
    """pk=P#{sub}#UPLOAD, sk=UPLOAD#{upload_id}: a file a person uploaded, and its check.

    Kept outside the person's main partition (which every registration write reads) but keyed by
    the person, so everything they uploaded is one Query. No file name: only what the check and
    the readers need."""

    upload_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    purpose = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()  # as declared; the stored size once checked
    object_key = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | accepted | rejected
    rejection = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    checked_at = UnicodeAttribute(null=True)
    # The object version that was checked: reads are pinned to it, so a file posted again to
    # the same key (the presigned POST stays valid a while) is never served.
    checked_version = UnicodeAttribute(null=True)
    # The record a document was handed in with (a premium application's registration_id), so
    # staff reading that record find it.
    attached_to = UnicodeAttribute(null=True)


MODELS = (*MODELS, UploadItem)


# --- support measures and applications (see docs/support.md) ---------------------------------


class MeasureItem(MainItem, discriminator="support_measure"):
    """pk=LG#{lg_code}, sk=MEASURE#{measure_id}; gsi1pk=LG#{lg_code}#MEASURE#{status},
    gsi1sk={opens_on}#{measure_id} (the public list reads the `open` partition).

    The spending report is kept here as counters, changed in the same transaction as each
    application's status: `approved`/`paid` yen and `n_{status}` counts. `budget_total` is an
    attribute of its own so that an approval's condition can name it."""

    measure_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    status = UnicodeAttribute()
    terms = JSONAttribute()
    budget_total = NumberAttribute()
    approved = NumberAttribute(default=0)
    paid = NumberAttribute(default=0)
    n_submitted = NumberAttribute(default=0)
    n_info_requested = NumberAttribute(default=0)
    n_approved = NumberAttribute(default=0)
    n_rejected = NumberAttribute(default=0)
    n_paid = NumberAttribute(default=0)
    n_withdrawn = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)


class SupportApplicationItem(MainItem, discriminator="support_application"):
    """pk=LG#{lg_code}, sk=SAPP#{application_id}; gsi1pk=P#{sub}#SAPP (the person's own list, and
    what their data and its deletion find), gsi1sk={application_id}; gsi2pk=
    LG#{lg_code}#SAPP#{status}, gsi2sk={application_id} (the staff list by status, the export)."""

    application_id = UnicodeAttribute()
    measure_id = UnicodeAttribute()
    measure_name = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    sub = UnicodeAttribute()
    status = UnicodeAttribute()
    amount_requested = NumberAttribute()
    expenses = NumberAttribute(null=True)
    amount_granted = NumberAttribute(null=True)
    details = UnicodeAttribute(null=True)
    documents = JSONAttribute(default=list)
    decision = JSONAttribute(null=True)
    # Every decision in order (who, when, what, reason): `decision` is the last one.
    history = JSONAttribute(default=list)
    payment = JSONAttribute(null=True)
    fiscal_year = NumberAttribute()
    submitted_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(default=0)


class SupportYearItem(MainItem, discriminator="support_year"):
    """pk=P#{sub}#SUPPORT, sk=YEAR#{measure_id}#{fiscal_year}: yen approved for one person under
    one measure in one fiscal year; an approval adds to it under the yearly maximum's condition."""

    lg_code = UnicodeAttribute()
    approved = NumberAttribute(default=0)


MODELS = (*MODELS, MeasureItem, SupportApplicationItem, SupportYearItem)


# --- staff accounts (see docs/accounts.md) ------------------------------------------------------


class StaffItem(MainItem, discriminator="staff"):
    """pk=STAFF#{staff_id}, sk=STAFF: a staff account, checked by the route guard on every staff
    request. While active, gsi1pk=LG#{lg_code}#STAFF, gsi1sk={created_at}#{staff_id} lists it;
    removal drops the index keys and keeps the record (status `removed`), so an old token or a
    new sign-in of the same account is refused."""

    staff_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    staff_role = UnicodeAttribute()
    org_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    status = UnicodeAttribute()  # active | removed
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute()
    removed_at = UnicodeAttribute(null=True)
    removed_by = UnicodeAttribute(null=True)


MODELS = (*MODELS, StaffItem)


# --- content and consultations (see docs/content.md) ----------------------------------------


class ContentItem(MainItem, discriminator="content"):
    """pk=LG#{lg_code}, sk=CONTENT#{content_id}: stored once per government, never per reader.
    Published and scheduled content is in the feed index: gsi1pk=LG#{lg_code}#FEED,
    gsi1sk={published_at UTC}#{content_id}; drafts have no feed key."""

    content_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    lg_name = UnicodeAttribute()  # copied so a feed page needs no read of the government
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    body = UnicodeAttribute()
    body_html = UnicodeAttribute()
    target = JSONAttribute(default=dict)
    publish_at = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    # Not the table's TTL attribute (`expires_at`): expired content stays for staff to see.
    content_expires_at = UnicodeAttribute(null=True)
    draft = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    created_by = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)


class ConsultationItem(MainItem, discriminator="consultation"):
    """pk=CONS#{consultation_id}, sk=CONS. gsi1pk=LG#{lg_code}#CONS,
    gsi1sk={rank}#{status}#{waiting_since}#{id} (staff list by status, oldest waiting first);
    gsi2pk=P#{sub}#CONS, gsi2sk={created_at}#{id} (the person's consultations, and every one of
    them when the person's data is deleted)."""

    consultation_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    sub = UnicodeAttribute()
    topic = UnicodeAttribute()
    subject = UnicodeAttribute()
    status = UnicodeAttribute()
    waiting_since = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    closed_by = UnicodeAttribute(null=True)
    messages_count = NumberAttribute(default=0)


class ConsultationMessageItem(MainItem, discriminator="consultation_message"):
    """pk=CONS#{consultation_id}, sk=MSG#{seq:05d}: one message; `seq` comes from the
    consultation's `messages_count`, written in the same transaction, so two messages never
    share a key."""

    sender = UnicodeAttribute()  # registrant | staff
    body = UnicodeAttribute()
    at = UnicodeAttribute()
    by = UnicodeAttribute(null=True)  # the staff member's sub


MODELS = (*MODELS, ContentItem, ConsultationItem, ConsultationMessageItem)


class DisasterFanoutItem(MainItem, discriminator="disaster_fanout"):
    """pk=FANOUT#{content_id}, sk=PAGE#{n:05d}: one page of a disaster notice's fan-out to the
    government's registrants. Written once (attribute_not_exists); its stream record makes the
    consumer write that page's notices and the next page. TTL: a week."""

    content_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    page = NumberAttribute()
    cursor = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


MODELS = (*MODELS, DisasterFanoutItem)


class ActivityCopyStepItem(MainItem, discriminator="activity_copy"):
    """pk=COPY#{activity_id}, sk={run}#{step:05d}: one step of copying an activity's fields into
    its participation records (capabilities.activity_copies). Written once (attribute_not_exists);
    its stream record makes the consumer copy one paced slice of the roster from `cursor` and put
    the next step. `run` is the event id of the activity change that started the copy, `copy_of`
    the copied fields as that change left them. No personal data. TTL: 3 days."""

    activity_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    run = UnicodeAttribute()
    step = NumberAttribute()
    copy_of = UnicodeAttribute()
    cursor = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()


MODELS = (*MODELS, ActivityCopyStepItem)


class IdentityNonceItem(MainItem, discriminator="identity_nonce"):
    """pk=IDNONCE#{sub}, sk={nonce}: one identity verification attempt of one account. The
    assertion must carry the nonce; accepting it deletes the item. Expires (TTL) unused."""


class IdentityAssertionUseItem(MainItem, discriminator="identity_assertion_used"):
    """pk=IDJTI#{sha256(issuer, jti)}, sk=JTI: an accepted assertion, refused the second time. Expires
    with the assertion's own lifetime."""


MODELS = (*MODELS, IdentityNonceItem, IdentityAssertionUseItem)


class RosterExportItem(MainItem, discriminator="roster_export"):
    """pk=LG#{lg_code}, sk=EXPORT#{export_id}: an asynchronous roster export and its progress.
    No personal data: counts, status and the S3 key of the workbook (which has it). TTL: the
    workbook's lifetime in the bucket."""

    export_id = UnicodeAttribute()
    lg_code = UnicodeAttribute()
    activity_id = UnicodeAttribute()
    status = UnicodeAttribute()  # queued | running | completed | failed
    rows_total = NumberAttribute(default=0)
    rows_written = NumberAttribute(default=0)
    object_key = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    failure_message = UnicodeAttribute(null=True)


MODELS = (*MODELS, RosterExportItem)
