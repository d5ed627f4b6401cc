"""Support measures, applications and the yearly totals behind the budget and yearly maximum.

Access patterns (main table; docs/data-model.md, "Support"):
- one measure / application of a government: GetItem pk=LG#{lg}, sk=MEASURE#{id} / SAPP#{id}
  (consistent); another government's id is not in the partition (404)
- measures of a government: Query pk=LG#{lg}, sk begins_with MEASURE#
- open measures (public): Query gsi1 LG#{lg}#MEASURE#open
- applications of a government, newest first: Query pk=LG#{lg}, sk begins_with SAPP#; by
  status (and the export): Query gsi2 LG#{lg}#SAPP#{status}
- a person's applications: Query gsi1 P#{sub}#SAPP (one: gsi1sk = id, then the GetItem)
- submit, decide, amend, pay: one TransactWriteItems each. The application's status is the
  condition; the measure's counters move in the same transaction (so the report is one GetItem
  and always agrees with the applications); an approval also adds to the budget under
  `budget_total = :read AND approved <= :read - amount` and to the person's yearly total under
  `approved <= :max - amount`, and puts the applicant's notification.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from furusato.domain.errors import Conflict, NotFound, Unavailable
from furusato.domain.support import Measure, MeasureTerms, budget_exhausted, not_eligible
from furusato.store import cursor as cursors
from furusato.store.errors import cancellation_reasons, find, is_condition_failure, storage_errors
from furusato.store.keys import lg_pk
from furusato.store.models import (
    MainItem,
    MeasureItem,
    NotificationItem,
    SupportApplicationItem,
    SupportYearItem,
)

# A transaction that meets another on the same item (50 approvals of one measure) is cancelled
# with TransactionConflict; it is retried with jitter, and its conditions are judged again.
CONFLICT_RETRIES = 8


def measure_sk(measure_id: str) -> str:
    return f"MEASURE#{measure_id}"


def application_sk(application_id: str) -> str:
    return f"SAPP#{application_id}"


def open_measures_pk(lg_code: str, status: str = "open") -> str:
    return f"LG#{lg_code}#MEASURE#{status}"


def person_applications_pk(sub: str) -> str:
    return f"P#{sub}#SAPP"


def status_pk(lg_code: str, status: str) -> str:
    return f"LG#{lg_code}#SAPP#{status}"


def year_key(sub: str, measure_id: str, fiscal_year: int) -> tuple[str, str]:
    return f"P#{sub}#SUPPORT", f"YEAR#{measure_id}#{fiscal_year}"


# --- measures -----------------------------------------------------------------------------------


def _terms(item: MeasureItem) -> MeasureTerms:
    raw = dict(item.terms or {})
    return MeasureTerms(
        name=raw["name"],
        description=raw.get("description", ""),
        category=raw["category"],
        eligibility=raw["eligibility"],
        delivery=raw["delivery"],
        opens_on=date.fromisoformat(raw["opens_on"]),
        closes_on=date.fromisoformat(raw["closes_on"]),
        rate_percent=int(raw["rate_percent"]),
        max_per_application=int(raw["max_per_application"]),
        max_per_person_per_fiscal_year=int(raw["max_per_person_per_fiscal_year"]),
        budget_total=int(item.budget_total),
        required_documents=tuple(raw.get("required_documents") or ()),
    )


def to_measure(item: MeasureItem) -> Measure:
    m = MeasureItem
    counts = {name[2:]: int(getattr(item, name) or 0) for name in m.get_attributes() if name.startswith("n_")}
    return Measure(
        measure_id=item.measure_id,
        lg_code=item.lg_code,
        terms=_terms(item),
        status=item.status,
        approved=int(item.approved or 0),
        paid=int(item.paid or 0),
        counts=counts,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _stored_terms(terms: MeasureTerms) -> dict[str, Any]:
    """Every term as kept (`_terms` reads them back); the budget is an attribute of its own,
    which applications draw on."""
    raw = asdict(terms)
    del raw["budget_total"]
    raw.update(
        opens_on=terms.opens_on.isoformat(),
        closes_on=terms.closes_on.isoformat(),
        required_documents=list(terms.required_documents),
    )
    return raw


def create_measure(measure: Measure, *, created_by: str) -> None:
    item = MeasureItem(
        lg_pk(measure.lg_code),
        measure_sk(measure.measure_id),
        measure_id=measure.measure_id,
        lg_code=measure.lg_code,
        status=measure.status,
        terms=_stored_terms(measure.terms),
        budget_total=measure.terms.budget_total,
        created_at=measure.created_at,
        updated_at=measure.updated_at,
        created_by=created_by,
        gsi1pk=open_measures_pk(measure.lg_code, measure.status),
        gsi1sk=f"{measure.terms.opens_on.isoformat()}#{measure.measure_id}",
    )
    with storage_errors():
        item.save(condition=MeasureItem.pk.does_not_exist())


def get_measure(lg_code: str, measure_id: str) -> Measure | None:
    item = find(MeasureItem, lg_pk(lg_code), measure_sk(measure_id))
    return to_measure(item) if item else None


def list_measures(lg_code: str, *, limit: int, cursor: str | None) -> tuple[list[Measure], str | None]:
    found, next_cursor = cursors.page(
        MeasureItem.query,
        ("pk", lg_pk(lg_code)),
        cursor=cursor,
        limit=limit,
        range_key_condition=MeasureItem.sk.startswith("MEASURE#"),
        scan_index_forward=False,
    )
    return [to_measure(i) for i in found if isinstance(i, MeasureItem)], next_cursor


def open_measures(lg_code: str) -> list[Measure]:
    with storage_errors():
        return [
            to_measure(i)
            for i in MeasureItem.gsi1.query(open_measures_pk(lg_code))
            if isinstance(i, MeasureItem)
        ]


def update_measure(before: Measure, terms: MeasureTerms, status: str, *, now: str) -> Measure:
    """Write new terms and status, if nobody changed the status meanwhile and the new budget still
    covers what was approved (checked by the condition, against concurrent approvals)."""
    m = MeasureItem
    item = MeasureItem(lg_pk(before.lg_code), measure_sk(before.measure_id))
    actions: list[Any] = [
        m.terms.set(_stored_terms(terms)),
        m.budget_total.set(terms.budget_total),
        m.status.set(status),
        m.updated_at.set(now),
        m.gsi1pk.set(open_measures_pk(before.lg_code, status)),
        m.gsi1sk.set(f"{terms.opens_on.isoformat()}#{before.measure_id}"),
    ]
    condition = m.pk.exists() & (m.status == before.status) & (m.approved <= terms.budget_total)
    with storage_errors():
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if not is_condition_failure(exc):
                raise
            current = get_measure(before.lg_code, before.measure_id)
            if current is not None and current.approved > terms.budget_total:
                raise Conflict(
                    "the budget would be below what is already approved",
                    code="BUDGET_BELOW_APPROVED",
                    details={"approved": current.approved},
                ) from exc
            raise Conflict("the measure changed at the same time; retry", code="CONCURRENT_UPDATE") from exc
    return to_measure(item)


# --- applications -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    application_id: str
    measure_id: str
    measure_name: str
    lg_code: str
    sub: str
    status: str
    amount_requested: int
    fiscal_year: int
    submitted_at: str
    updated_at: str
    expenses: int | None = None
    amount_granted: int | None = None
    details: str | None = None
    documents: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] | None = None
    history: list[dict[str, Any]] = field(default_factory=list)
    payment: dict[str, Any] | None = None
    version: int = 0


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _application(item: SupportApplicationItem) -> Application:
    return Application(
        application_id=item.application_id,
        measure_id=item.measure_id,
        measure_name=item.measure_name,
        lg_code=item.lg_code,
        sub=item.sub,
        status=item.status,
        amount_requested=int(item.amount_requested),
        fiscal_year=int(item.fiscal_year),
        submitted_at=item.submitted_at,
        updated_at=item.updated_at,
        expenses=_int(item.expenses),
        amount_granted=_int(item.amount_granted),
        details=item.details,
        documents=list(item.documents or []),
        decision=item.decision,
        history=list(item.history or []),
        payment=item.payment,
        version=int(item.version or 0),
    )


def application_item(app: Application) -> SupportApplicationItem:
    return SupportApplicationItem(
        lg_pk(app.lg_code),
        application_sk(app.application_id),
        application_id=app.application_id,
        measure_id=app.measure_id,
        measure_name=app.measure_name,
        lg_code=app.lg_code,
        sub=app.sub,
        status=app.status,
        amount_requested=app.amount_requested,
        expenses=app.expenses,
        amount_granted=app.amount_granted,
        details=app.details,
        documents=app.documents,
        decision=app.decision,
        history=app.history,
        payment=app.payment,
        fiscal_year=app.fiscal_year,
        submitted_at=app.submitted_at,
        updated_at=app.updated_at,
        version=app.version,
        gsi1pk=person_applications_pk(app.sub),
        gsi1sk=app.application_id,
        gsi2pk=status_pk(app.lg_code, app.status),
        gsi2sk=app.application_id,
    )


def get_application(lg_code: str, application_id: str) -> Application | None:
    item = find(SupportApplicationItem, lg_pk(lg_code), application_sk(application_id))
    return _application(item) if item else None


def find_mine(sub: str, application_id: str) -> Application | None:
    """One of the person's own applications (another person's id finds nothing)."""
    with storage_errors():
        found = [
            i
            for i in SupportApplicationItem.gsi1.query(
                person_applications_pk(sub), SupportApplicationItem.gsi1sk == application_id
            )
            if isinstance(i, SupportApplicationItem)
        ]
    if not found:
        return None
    return get_application(found[0].lg_code, application_id)


def list_mine(sub: str, *, limit: int, cursor: str | None) -> tuple[list[Application], str | None]:
    found, next_cursor = cursors.page(
        SupportApplicationItem.gsi1.query,
        ("gsi1pk", person_applications_pk(sub)),
        cursor=cursor,
        limit=limit,
        scan_index_forward=False,
    )
    return [_application(i) for i in found if isinstance(i, SupportApplicationItem)], next_cursor


def list_for_lg(
    lg_code: str, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Application], str | None]:
    if status:
        found, next_cursor = cursors.page(
            SupportApplicationItem.gsi2.query,
            ("gsi2pk", status_pk(lg_code, status)),
            cursor=cursor,
            limit=limit,
            scan_index_forward=False,
        )
    else:
        found, next_cursor = cursors.page(
            SupportApplicationItem.query,
            ("pk", lg_pk(lg_code)),
            cursor=cursor,
            limit=limit,
            range_key_condition=SupportApplicationItem.sk.startswith("SAPP#"),
            scan_index_forward=False,
        )
    return [_application(i) for i in found if isinstance(i, SupportApplicationItem)], next_cursor


def approved_this_year(sub: str, measure_id: str, fiscal_year: int) -> int:
    pk, sk = year_key(sub, measure_id, fiscal_year)
    item = find(SupportYearItem, pk, sk)
    return int(item.approved or 0) if item else 0


def read_many(keys: list[tuple[str, str]]) -> list[MainItem]:
    """One BatchGetItem (consistent) of up to 100 keys: what a submission reads at once."""
    with storage_errors():
        return list(MainItem.batch_get(keys, consistent_read=True))


# --- transactions -------------------------------------------------------------------------------


def _connection() -> Any:
    return MainItem._get_connection().connection


def _counter(status: str) -> Any:
    return getattr(MeasureItem, f"n_{status}")


def _transact(build: Callable[[TransactWrite], None], on_condition: Callable[[list[str]], Exception]) -> None:
    """Run the transaction; a failed condition becomes `on_condition(reasons)` (one reason per
    operation, in order). Conflicts with concurrent transactions are retried."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            with storage_errors():
                try:
                    with TransactWrite(connection=_connection()) as tx:
                        build(tx)
                    return
                except TransactWriteError as exc:
                    reasons = cancellation_reasons(exc)
                    if "ConditionalCheckFailed" in reasons:
                        raise on_condition(reasons) from exc
                    raise
        except Unavailable:
            if attempt == CONFLICT_RETRIES:
                raise
            time.sleep(random.uniform(0.005, 0.02 * (attempt + 1)))  # noqa: S311 - jitter, not a secret


def _notification_put(tx: TransactWrite, notification: NotificationItem | None) -> None:
    if notification is not None:
        tx.save(notification, condition=NotificationItem.pk.does_not_exist())


def submit(app: Application, *, budget_total: int) -> None:
    """Store a new application and count it: only while the measure is open and its remaining
    budget covers the amount requested."""
    m = MeasureItem

    def build(tx: TransactWrite) -> None:
        tx.save(application_item(app), condition=SupportApplicationItem.pk.does_not_exist())
        tx.update(
            MeasureItem(lg_pk(app.lg_code), measure_sk(app.measure_id)),
            actions=[_counter("submitted").add(1)],
            condition=(m.status == "open")
            & (m.budget_total == budget_total)
            & (m.approved <= budget_total - app.amount_requested),
        )

    def refused(reasons: list[str]) -> Exception:
        if reasons[0] == "ConditionalCheckFailed":
            return Conflict("this application exists already", code="CONCURRENT_UPDATE")
        current = get_measure(app.lg_code, app.measure_id)
        if current is None or current.status != "open":
            return Conflict("this measure is not accepting applications", code="MEASURE_CLOSED")
        if current.remaining < app.amount_requested:
            return budget_exhausted(current.remaining)
        return Conflict("the measure changed at the same time; retry", code="CONCURRENT_UPDATE")

    _transact(build, refused)


def transition(
    before: Application,
    after: Application,
    *,
    measure_actions: list[Any] | None = None,
    measure_condition: Any = None,
    year: tuple[int, int] | None = None,
    notification: NotificationItem | None = None,
    on_measure: Callable[[], Exception] | None = None,
    on_year: Callable[[], Exception] | None = None,
) -> None:
    """Move an application from `before` to `after` (status and fields) in one transaction:
    the application only if it is still as read (status and version); the measure's counters
    moved from the old status to the new (plus `measure_actions` under `measure_condition`);
    with `year` = (amount, yearly maximum), the person's yearly total grows by the amount under
    the maximum; the notification put."""
    a, m = SupportApplicationItem, MeasureItem
    actions = list(measure_actions or [])
    if before.status != after.status:
        actions += [_counter(before.status).add(-1), _counter(after.status).add(1)]

    def build(tx: TransactWrite) -> None:
        tx.save(
            application_item(after),
            condition=(a.status == before.status) & (a.version == before.version),
        )
        if actions:
            tx.update(
                MeasureItem(lg_pk(before.lg_code), measure_sk(before.measure_id)),
                actions=actions,
                condition=m.pk.exists() & measure_condition
                if measure_condition is not None
                else m.pk.exists(),
            )
        if year is not None:
            amount, maximum = year
            pk, sk = year_key(after.sub, after.measure_id, after.fiscal_year)
            y = SupportYearItem
            tx.update(
                SupportYearItem(pk, sk),
                actions=[
                    y.type.set(SupportYearItem),  # the update may create it
                    y.lg_code.set(after.lg_code),
                    y.approved.add(amount),
                ],
                condition=y.approved.does_not_exist() | (y.approved <= maximum - amount),
            )
        _notification_put(tx, notification)

    # pynamodb sends puts before updates: the reasons come in this order.
    labels = ["application"] + (["notification"] if notification is not None else [])
    labels += (["measure"] if actions else []) + (["year"] if year is not None else [])

    def refused(reasons: list[str]) -> Exception:
        failed = {
            label
            for label, reason in zip(labels, reasons, strict=False)
            if reason == "ConditionalCheckFailed"
        }
        if "application" in failed:
            current = get_application(before.lg_code, before.application_id)
            return Conflict(
                "the application is not in a state that allows this",
                code="NOT_DECIDABLE",
                details={"status": current.status if current else None},
            )
        if "measure" in failed:
            return (
                on_measure()
                if on_measure
                else Conflict("the measure changed; retry", code="CONCURRENT_UPDATE")
            )
        if "year" in failed:
            return (
                on_year()
                if on_year
                else not_eligible("yearly_maximum", "the yearly maximum would be exceeded")
            )
        return Conflict("the application changed at the same time; retry", code="CONCURRENT_UPDATE")

    _transact(build, refused)


def missing(what: str) -> NotFound:
    return NotFound(f"no such {what}")
