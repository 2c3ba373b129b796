"""Writes for the exchange: connections, the outbox, file builds, acknowledgements, reconciliation mail.

The admin, the management commands and the django-q2 jobs all call these.
"""
import logging
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.db import connections, router, transaction
from django.db.models import Max, Q
from django.utils import timezone

from enrollments import selectors as enrollment_selectors
from enrollments.models import (
    ADDRESS_FIELDS,
    EligibilityStatus,
    Plan,
    QualifyingEvent,
    vendor_fields_missing,
)
from exchange import acks, rows, selectors
from exchange.builders import standard_csv, x12_834
from exchange.delivery import DeliveryError, deliver
from exchange.models import (
    ALL_EMPLOYEES,
    DELIVERED_STATUSES,
    Connection,
    ConnectionStatus,
    ExchangeFile,
    ExchangeItem,
    FileFormat,
    FileStatus,
    ItemAction,
    ItemKind,
    ItemStatus,
    PlanExclusion,
    ScheduleKind,
    StatusChange,
    Vendor,
    Weekday,
)

logger = logging.getLogger(__name__)

# A worker owns a file build this long; longer than the django-q2 task timeout, so a live build is never taken over.
LEASE = timedelta(seconds=settings.Q_CLUSTER["timeout"] + 300)
SENDER_ID = "COBRAADMIN"
BATCH = 2000  # items read or written per query when claiming, checking for changes and applying acknowledgements


class ExchangeError(Exception):
    """Input a service cannot accept; `field_name` names what to fix."""

    def __init__(self, message, field_name=None):
        self.field_name = field_name
        super().__init__(message)


# Vendors and connections


_WEEKLY = re.compile(r"^weekly:(MON|TUE|WED|THU|FRI|SAT|SUN)@(\d{1,2}):00$", re.IGNORECASE)


def schedule_parse(text):
    """'nightly' or 'weekly:MON@05:00' -> Vendor schedule fields."""
    if text.strip().lower() == "nightly":
        return {"schedule": ScheduleKind.NIGHTLY, "weekday": None}
    match = _WEEKLY.match(text.strip())
    if not match or int(match.group(2)) > 23:
        raise ExchangeError(f"Schedule {text!r}: use 'nightly' or 'weekly:MON@05:00' (whole hours).", "schedule")
    return {"schedule": ScheduleKind.WEEKLY, "weekday": Weekday[match.group(1).upper()].value,
            "hour": int(match.group(2))}


def vendor_ensure(*, code, name=None, file_format=None, schedule=None):
    """The vendor with this code; created when missing (format and schedule only apply then)."""
    vendor = Vendor.objects.filter(code=code).first()
    if vendor:
        return vendor, False
    fields = {"name": name or code.replace("-", " ").title(), "file_format": file_format or FileFormat.CSV}
    if schedule:
        fields.update(schedule_parse(schedule))
    return Vendor.objects.create(code=code, **fields), True


@transaction.atomic
def connection_status_set(*, connection, status, by=None, note=""):
    """Move a connection to a status and record who did it (seed 001: vendors control New → Pending → Active)."""
    status = ConnectionStatus(status)
    if connection.status == status:
        return connection
    StatusChange.objects.create(connection=connection, from_status=connection.status, to_status=status, by=by, note=note)
    connection.status = status
    if status != ConnectionStatus.INACTIVE:
        connection.ends_on = None
    connection._history_user = by
    connection.save()
    return connection


@transaction.atomic
def connection_connect(*, company, vendor, by=None, subscriber_group=ALL_EMPLOYEES, primary_contact=None,
                       company_info=None, excluded_plans=()):
    """Connect a company to a vendor (the Add a service wizard; connect_vendor). A new connection starts New."""
    if company_info:
        for name, value in company_info.items():
            setattr(company, name, value)
        company._history_user = by
        company.save()
    connection, created = Connection.objects.get_or_create(
        company=company, vendor=vendor,
        defaults={"subscriber_group": subscriber_group or ALL_EMPLOYEES, "primary_contact": primary_contact})
    if not created:
        connection.subscriber_group = subscriber_group or connection.subscriber_group
        connection.primary_contact = primary_contact or connection.primary_contact
        connection.save()
    else:
        StatusChange.objects.create(connection=connection, to_status=ConnectionStatus.NEW, by=by, note="Connected")
    if excluded_plans:
        plan_exclusions_set(connection=connection, plans=excluded_plans, excluded=True, by=by)
    return connection


@transaction.atomic
def plan_exclusions_set(*, connection, plans, excluded, by=None):
    """Exclude (or confirm as sent) these plan-year plans on a connection (seed 001: exclude again each plan year)."""
    for plan in plans:
        if plan.company_id != connection.company_id:
            raise ExchangeError(f"{plan} is not a plan of {connection.company.name}.", "plans")
        PlanExclusion.objects.update_or_create(connection=connection, plan=plan,
                                               defaults={"excluded": excluded, "decided_by": by})
        if not excluded:
            _items_reopen_for_plan(connection, plan)


def _items_reopen_for_plan(connection, plan):
    """A plan no longer excluded: the adds skipped only because it was go out on the next file (never dropped)."""
    skipped = connection.items.filter(action=ItemAction.ADD, status=ItemStatus.SKIPPED, message=exclusion_reason(plan))
    skipped.filter(Q(eligibility__plan=plan) & ~Q(eligibility__status=EligibilityStatus.REVERSED)).update(
        status=ItemStatus.PENDING, message="")
    skipped.filter(initial_rights__plan=plan).update(status=ItemStatus.PENDING, message="")


@transaction.atomic
def connection_end(*, connection, on, today, by=None):
    """End participation: now (Inactive at once) or on a future date, when the run moves it to Inactive (seed 001)."""
    if on <= today:
        return connection_status_set(connection=connection, status=ConnectionStatus.INACTIVE, by=by,
                                     note="Participation ended by the broker")
    connection.ends_on = on
    connection._history_user = by
    connection.save()
    return connection


# The outbox


def item_due_on(kind, record):
    """IR: on or after coverage start; QE: after entry, and not before a future event's date (seed 001)."""
    if kind == ItemKind.IR:
        return record.coverage_start
    return max(record.event.entered_on, record.event.event_date)


def exclusion_reason(plan):
    return f"{plan.name} ({plan.plan_year_start:%Y} plan year) is excluded on this connection."


def not_sent_reason(connection, plan, excluded_plan_ids, day):
    """Why an item for this plan on this connection will never go out, or '' when it may.

    A New connection sends nothing yet, but its items wait for the first file after it moves to Pending
    (seed 001: the vendor is setting it up); an Inactive one has ended.
    """
    if connection.status == ConnectionStatus.INACTIVE:
        return "The connection was Inactive: nothing is sent."
    if connection.ends_on and day >= connection.ends_on:
        return f"Participation ends on {connection.ends_on:%m/%d/%Y}."
    if plan.pk in excluded_plan_ids:
        return exclusion_reason(plan)
    if not plan.is_cobra_qualified:
        return f"{plan.name} is a {plan.get_plan_type_display()} plan, which is not COBRA-qualified."
    return ""


def _record_field(kind):
    return "eligibility" if kind == ItemKind.QE else "initial_rights"


@transaction.atomic
def items_record(*, kind, records, action):
    """Write the outbox rows for records just created or reversed, in the caller's transaction."""
    records = list(records)
    if not records:
        return []
    if action == ItemAction.ADD:
        return _items_add(kind, records)
    return _items_followup(kind, records, action)


def _items_add(kind, records):
    company_ids = {r.employee.company_id for r in records}
    connections = list(Connection.objects.filter(company_id__in=company_ids))
    if not connections:
        return []
    excluded = selectors.excluded_plan_ids(connections=connections)
    if kind == ItemKind.QE:
        events = QualifyingEvent.objects.in_bulk({r.event_id for r in records})
        for record in records:
            record.event = events[record.event_id]
    record_field = _record_field(kind)
    new = []
    for record in records:
        due = item_due_on(kind, record)
        for connection in connections:
            if connection.company_id != record.employee.company_id:
                continue
            reason = not_sent_reason(connection, record.plan, excluded[connection.pk], due)
            new.append(ExchangeItem(
                connection=connection, kind=kind, action=ItemAction.ADD, record_id=f"{kind}-{record.pk}",
                due_on=due, status=ItemStatus.SKIPPED if reason else ItemStatus.PENDING, message=reason,
                **{record_field: record}))
    return ExchangeItem.objects.bulk_create(new)


def _items_followup(kind, records, action):
    """A reversed record (cancel) or corrected one (change): vendors that got the add get a follow-up row.

    An add not sent yet needs none: a reversal skips it, a correction rides on it.
    """
    by_pk = {r.pk: r for r in records}
    adds = ExchangeItem.objects.filter(kind=kind, action=ItemAction.ADD, **{f"{_record_field(kind)}__in": list(by_pk)})
    unsent = (ItemStatus.PENDING, ItemStatus.HELD)
    new = []
    for add in adds.select_for_update():
        if add.status == ItemStatus.SKIPPED:
            continue
        if add.status in unsent:
            if action == ItemAction.CANCEL:
                add.status, add.message = ItemStatus.SKIPPED, "Reversed before it was sent."
                add.save(update_fields=["status", "message"])
            continue
        if action == ItemAction.CANCEL:
            add.followups.filter(status__in=unsent).update(status=ItemStatus.SKIPPED, message="Reversed before it was sent.")
            if add.followups.filter(action=ItemAction.CANCEL).exists():
                continue
        elif add.followups.filter(action=ItemAction.CHANGE, status__in=unsent).exists():
            continue
        reversed_at = getattr(by_pk[add.eligibility_id or add.initial_rights_id], "reversed_at", None)
        new.append(ExchangeItem(
            connection_id=add.connection_id, kind=kind, eligibility_id=add.eligibility_id,
            initial_rights_id=add.initial_rights_id, action=action, record_id=add.record_id, origin=add,
            due_on=timezone.localdate(reversed_at) if reversed_at else timezone.localdate()))
    return ExchangeItem.objects.bulk_create(new)


def _changes_detect(connection, kind, as_of):
    """Sent records whose person's demographics differ from what was sent get a `change` item (issue 5).

    Reads plain values in batches (no model instances), decrypting one SSN per record: seconds for 100,000 sent.
    """
    last_sent = selectors.last_sent_fingerprints(connection=connection, kind=kind)
    closed = selectors.origins_with_open_followups(connection=connection, kind=kind)
    sent_adds = connection.items.filter(kind=kind, action=ItemAction.ADD, status__in=DELIVERED_STATUSES)
    pks = [pk for pk in sent_adds.order_by("pk").values_list("pk", flat=True) if pk not in closed]
    new = []
    records = rows.claim_records(sent_adds, kind, "record_id", "eligibility_id", "initial_rights_id")
    for values in _in_batches(records, pks):
        if rows.fingerprint(values) != last_sent.get(values["id"]):
            new.append(ExchangeItem(
                connection=connection, kind=kind, eligibility_id=values["eligibility_id"],
                initial_rights_id=values["initial_rights_id"], action=ItemAction.CHANGE,
                record_id=values["record_id"], origin_id=values["id"], due_on=as_of))
    ExchangeItem.objects.bulk_create(new, batch_size=BATCH)


# Building and delivering files


@dataclass
class RunReport:
    """What one run sent and what it held back, and why (printed by run_exchange)."""
    sent: list = field(default_factory=list)
    held: list = field(default_factory=list)

    def lines(self):
        return [f"sent  {line}" for line in self.sent] + [f"held  {line}" for line in self.held]


def exchange_run(*, as_of, now=None, connections=None, today=None):
    """Build and deliver every file due on `as_of`, as if the scheduler ran that day. Safe to run again.

    Participation that ends by `as_of` moves the connection to Inactive only once that end date has come
    (`today`): a rehearsal of a future date (run_exchange --as-of) sends nothing for it and changes nothing.
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    report = RunReport()
    queryset = connections if connections is not None else Connection.objects.all()
    for connection in queryset.select_related("company", "vendor").order_by("pk"):
        label = f"{connection.company.code} → {connection.vendor.code}"
        ended = connection.ends_on and as_of >= connection.ends_on and connection.status != ConnectionStatus.INACTIVE
        if ended and connection.ends_on <= today:
            connection_status_set(connection=connection, status=ConnectionStatus.INACTIVE,
                                  note=f"Participation ended on {connection.ends_on:%m/%d/%Y}")
        if not connection.is_sending_on(as_of):
            report.held.append(f"{label}: connection is {connection.get_status_display()}")
            continue
        if not connection.vendor.is_due_on(as_of):
            report.held.append(f"{label}: not a file day ({connection.vendor.schedule_display})")
            continue
        for kind in ItemKind:
            file_build(connection=connection, kind=kind, as_of=as_of, now=now, report=report)
    return report


def deliveries_retry(*, now):
    """Deliver again the files whose delivery failed (once their backoff is over) or whose worker died."""
    report = RunReport()
    stuck = (ExchangeFile.objects.exclude(status=FileStatus.DELIVERED).filter(lease_until__lte=now)
             .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
             .select_related("connection__company", "connection__vendor"))
    for exchange_file in stuck:
        file_build(connection=exchange_file.connection, kind=exchange_file.kind, as_of=exchange_file.built_on, now=now,
                   report=report)
    return report


def file_build(*, connection, kind, as_of, now, report):
    """Claim due items, write the file, deliver it, and only then mark the items sent.

    A crash at any point leaves the items claimed by an undelivered file (redelivered, same name, by the
    next run once the lease is over) or sent exactly once.
    """
    label = f"{connection.company.code} → {connection.vendor.code} {kind}"
    exchange_file, why_not = _file_claim(connection=connection, kind=kind, as_of=as_of, now=now)
    for line in why_not:
        report.held.append(f"{label}: {line}")
    if exchange_file is None:
        return None
    try:
        path = _file_write(exchange_file)
        uploaded = deliver(vendor=connection.vendor, path=path, name=exchange_file.name)
    except (DeliveryError, OSError) as error:
        _file_failed(exchange_file, str(error), now)
        report.held.append(f"{label}: {exchange_file.name} not delivered ({error}); retry after "
                           f"{timezone.localtime(exchange_file.next_attempt_at):%Y-%m-%d %H:%M}")
        return exchange_file
    _file_delivered(exchange_file, now)
    already = "" if uploaded else ", already at the vendor from an interrupted run: not uploaded again"
    report.sent.append(f"{label}: {exchange_file.name} ({exchange_file.item_count} items{already})")
    return exchange_file


def _file_claim(*, connection, kind, as_of, now):
    """Under the connection's row lock: take over an undelivered file, or claim due items into a new one."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().select_related("company", "vendor").get(pk=connection.pk)
        open_file = connection.files.filter(kind=kind).exclude(status=FileStatus.DELIVERED).first()
        if open_file:
            if open_file.lease_until > now:
                return None, [f"{open_file.name} is being built by another worker"]
            if open_file.next_attempt_at and open_file.next_attempt_at > now:
                return None, [f"{open_file.name} waits for its delivery retry at "
                              f"{timezone.localtime(open_file.next_attempt_at):%Y-%m-%d %H:%M}"]
            open_file.lease_until = now + LEASE
            open_file.save(update_fields=["lease_until"])
            return open_file, []
        _changes_detect(connection, kind, as_of)
        sequence = (connection.files.filter(kind=kind).aggregate(n=Max("sequence"))["n"] or 0) + 1
        extension = "csv" if connection.vendor.file_format == FileFormat.CSV else "834"
        exchange_file = ExchangeFile.objects.create(
            connection=connection, kind=kind, sequence=sequence, built_on=as_of, lease_until=now + LEASE,
            name=f"{connection.vendor.code}_{connection.company.code}_{kind}_{as_of:%Y%m%d}_{sequence}.{extension}")
        claimed, notes = _items_claim(connection, kind, as_of, exchange_file)
        if not claimed:
            exchange_file.delete()
            return None, notes
        exchange_file.item_count = claimed
        exchange_file.save(update_fields=["item_count"])
        return exchange_file, notes


def _items_claim(connection, kind, as_of, exchange_file):
    """Sort due items into claimed (onto `exchange_file`), held (missing data) and skipped (excluded since).

    Streams the due items and writes the decisions back in batches of plain UPDATEs, so memory stays flat and
    100,000 items take seconds. Returns the claimed count and notes for the run report.
    """
    excluded = selectors.excluded_plan_ids(connections=[connection])[connection.pk]
    plans = {plan.pk: plan for plan in Plan.objects.filter(company=connection.company_id)}
    due = connection.items.filter(kind=kind, status__in=(ItemStatus.PENDING, ItemStatus.HELD), due_on__lte=as_of)
    pks = list(due.order_by("pk").values_list("pk", flat=True))
    claimed, skipped, held, decisions = 0, 0, [], []
    for values in _in_batches(rows.claim_records(due, kind), pks):
        reason = not_sent_reason(connection, plans[values["plan_id"]], excluded, as_of) \
            if values["action"] == ItemAction.ADD else ""
        missing = vendor_fields_missing(
            ssn=values["ssn"], dob=values["dob"], gender=values["gender"],
            has_address=all(values[name] for name in ADDRESS_FIELDS)) if values["action"] != ItemAction.CANCEL else []
        if reason:
            decisions.append((ItemStatus.SKIPPED, reason, values["fingerprint"], None, values["id"]))
            skipped += 1
        elif missing:
            message = (f"{values['first_name']} {values['last_name']} ({values['member_id']}) is missing "
                       f"{', '.join(missing)}.")
            decisions.append((ItemStatus.HELD, message, values["fingerprint"], None, values["id"]))
            held.append(message)
        else:
            decisions.append((ItemStatus.CLAIMED, "", rows.fingerprint(values), exchange_file.pk, values["id"]))
            claimed += 1
        if len(decisions) >= BATCH:
            _items_decide(decisions)
            decisions = []
    _items_decide(decisions)
    notes = [f"{len(held)} item(s) held back: {message}" for message in sorted(set(held))]
    if skipped:
        notes.append(f"{skipped} item(s) not sent (excluded plan or plan type)")
    if not claimed and not notes:
        notes.append("nothing due")
    return claimed, notes



def _in_batches(queryset, pks):
    """The rows of `pks`, one query per batch: no cursor stays open while the batches are written back
    (SQLite gives no isolation between a half-read query and writes on the same connection)."""
    for start in range(0, len(pks), BATCH):
        yield from queryset.filter(pk__in=pks[start:start + BATCH])


def _items_decide(decisions):
    """Write (status, message, fingerprint, file id, pk) rows: one prepared UPDATE by primary key, run many times
    (Django's bulk_update builds a CASE per field and row, which took a minute for 20,000 items)."""
    if not decisions:
        return
    database = connections[router.db_for_write(ExchangeItem)]
    quote = database.ops.quote_name
    sql = (f"UPDATE {quote(ExchangeItem._meta.db_table)} SET {quote('status')} = %s, {quote('message')} = %s, "
           f"{quote('fingerprint')} = %s, {quote('file_id')} = %s WHERE {quote('id')} = %s")
    with database.cursor() as cursor:
        cursor.executemany(sql, decisions)


def files_dir():
    return Path(settings.MEDIA_ROOT) / "exchange" / "files"


def file_render(exchange_file, out, records=None):
    """Write a file's claimed items to the text stream `out` in its vendor's format; return the row count.

    `records` (the items' values, as `rows.file_records` yields them) replaces the query: the benchmark's baseline.
    """
    connection = exchange_file.connection
    company, vendor = connection.company, connection.vendor
    law = enrollment_selectors.company_continuation(company=company).law
    if records is None:
        items = exchange_file.items.filter(status__in=(ItemStatus.CLAIMED, *DELIVERED_STATUSES))
        records = rows.file_records(items, exchange_file.kind)
    file_rows = rows.record_rows(records, exchange_file.kind, company, law)
    if vendor.file_format == FileFormat.CSV:
        return standard_csv.write(file_rows, out)
    envelope = x12_834.Envelope(
        control_number=exchange_file.control_number, created=timezone.localtime(exchange_file.created_at),
        sender_id=SENDER_ID, receiver_id=vendor.code.upper(), sponsor_name=company.name, sponsor_ein=company.ein,
        sponsor_code=company.code, payer_name=vendor.name, payer_code=vendor.code)
    return x12_834.write(file_rows, out, envelope=envelope)


def _file_write(exchange_file):
    """Render into our own copy of the file (temporary name, then renamed), ready to deliver.

    A copy written by an earlier attempt is kept: a redelivery sends the very same bytes, so the vendor's
    copy (if that attempt got there) is recognised as already delivered.
    """
    folder = files_dir() / exchange_file.connection.vendor.code
    folder.mkdir(parents=True, exist_ok=True)
    path, partial = folder / exchange_file.name, folder / f".{exchange_file.name}.part"
    if path.exists():
        return path
    with open(partial, "w", encoding="utf-8", newline="") as out:
        file_render(exchange_file, out)
    os.replace(partial, path)
    return path


def _file_failed(exchange_file, error, now):
    """Delivery failed: keep the items claimed by this file, back off, and show the error on the connection."""
    with transaction.atomic():
        exchange_file.attempts += 1
        exchange_file.status = FileStatus.FAILED
        exchange_file.last_error = error
        exchange_file.lease_until = now
        exchange_file.next_attempt_at = now + exchange_file.retry_delay()
        exchange_file.save(update_fields=["attempts", "status", "last_error", "lease_until", "next_attempt_at"])
        Connection.objects.filter(pk=exchange_file.connection_id).update(
            last_delivery_error=f"{exchange_file.name}: {error}", last_delivery_error_at=now)
    logger.warning("Exchange file %s (id %s) not delivered: %s", exchange_file.name, exchange_file.pk, error)


def _file_delivered(exchange_file, now):
    with transaction.atomic():
        ExchangeFile.objects.filter(pk=exchange_file.pk).update(status=FileStatus.DELIVERED, delivered_at=now,
                                                                 last_error="", next_attempt_at=None)
        exchange_file.items.filter(status=ItemStatus.CLAIMED).update(status=ItemStatus.SENT, sent_at=now)
        Connection.objects.filter(pk=exchange_file.connection_id).update(last_delivery_error="",
                                                                         last_delivery_error_at=None)
    exchange_file.status = FileStatus.DELIVERED


# Acknowledgements


@transaction.atomic
def ack_import(*, connection, content, now=None):
    """Apply a vendor's acknowledgement file (999 for 834 vendors, CSV otherwise) to the items it names.

    Returns (acknowledged, rejected, unknown) counts; `unknown` lists ids or control numbers we never sent.
    """
    now = now or timezone.now()
    sent = connection.items.filter(status__in=DELIVERED_STATUSES)
    counts = {ItemStatus.ACKNOWLEDGED: 0, ItemStatus.REJECTED: 0, "unknown": 0}
    if connection.vendor.ack_format == "999":
        answers = [(sent.filter(file__pk=ctl), accepted, message) for ctl, accepted, message in acks.parse_999(content)]
    else:
        lines = acks.parse_csv(content)
        latest = _latest_sent_by_record_id(sent, [record_id for record_id, _, _ in lines])
        counts["unknown"] = sum(1 for record_id, _, _ in lines if record_id not in latest)
        answered = defaultdict(list)  # (accepted, message) -> item pks: one UPDATE per distinct answer
        for record_id, accepted, message in lines:
            if record_id in latest:
                answered[(accepted, message)].append(latest[record_id])
        answers = [(connection.items.filter(pk__in=pks), accepted, message)
                   for (accepted, message), pks in answered.items()]
    for items, accepted, message in answers:
        status = ItemStatus.ACKNOWLEDGED if accepted else ItemStatus.REJECTED
        updated = items.update(status=status, message=message[:500], acknowledged_at=now)
        if updated:
            counts[status] += updated
        else:
            counts["unknown"] += 1
    return counts


def _latest_sent_by_record_id(sent, record_ids):
    """{record id: pk of the latest item sent under it}: a record id names the add and any change or cancel sent
    after it, and an acknowledgement answers for the latest one."""
    latest = {}
    record_ids = sorted(set(record_ids))
    for start in range(0, len(record_ids), BATCH):
        chunk = sent.filter(record_id__in=record_ids[start:start + BATCH]).order_by("sent_at", "pk")
        for record_id, pk in chunk.values_list("record_id", "pk"):
            latest[record_id] = pk  # in sending order: the last one wins
    return latest


# Reconciliation


def reconciliation_mail_send(*, today):
    """Daily summary to each connection's primary contact: what is unacknowledged, rejected, held or unconfirmed."""
    sent = 0
    for connection in Connection.objects.filter(primary_contact__isnull=False).exclude(
            status=ConnectionStatus.INACTIVE).select_related("company", "vendor", "primary_contact"):
        summary = selectors.reconciliation(connections=Connection.objects.filter(pk=connection.pk), today=today)
        if not summary.has_flags or not connection.primary_contact.email:
            continue
        send_mail(
            subject=f"COBRA exchange: {connection} needs attention ({today:%m/%d/%Y})",
            message="\n".join(summary.text_lines()),
            from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[connection.primary_contact.email])
        sent += 1
    return sent

