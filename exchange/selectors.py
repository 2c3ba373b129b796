"""Reads for the exchange screens, the run and the reconciliation mail."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q

from continuation import rules as continuation_rules
from continuation.rules import ElectionChoice
from enrollments.models import CobraEligibility, EligibilityStatus, Plan
from exchange.models import (
    DELIVERED_STATUSES,
    ExchangeFile,
    ExchangeItem,
    FileStatus,
    ItemAction,
    ItemStatus,
    PlanExclusion,
)


def excluded_plan_ids(*, connections):
    """{connection pk: {plan pks excluded on it}}."""
    excluded = defaultdict(set)
    for connection_id, plan_id in PlanExclusion.objects.filter(connection__in=connections, excluded=True).values_list(
            "connection_id", "plan_id"):
        excluded[connection_id].add(plan_id)
    return excluded


def last_sent_fingerprints(*, connection, kind):
    """{add item pk: fingerprint of the demographics last delivered for its record (add or a later change)}."""
    latest = {}
    sent = connection.items.filter(kind=kind, status__in=DELIVERED_STATUSES).exclude(action=ItemAction.CANCEL)
    for pk, origin_id, fingerprint in sent.order_by("pk").values_list("pk", "origin_id", "fingerprint"):
        latest[origin_id or pk] = fingerprint
    return latest


def origins_with_open_followups(*, connection, kind):
    """Add items that need no change detection: cancelled, or with a change not yet delivered."""
    return set(connection.items.filter(kind=kind, origin__isnull=False).filter(
        Q(action=ItemAction.CANCEL) | Q(status__in=(ItemStatus.PENDING, ItemStatus.HELD, ItemStatus.CLAIMED))
    ).values_list("origin_id", flat=True))


def held_items(*, connection):
    """People held back for missing data, with the fields to fix (shown on the connection's screen)."""
    return list(connection.items.filter(status=ItemStatus.HELD).order_by("due_on", "pk")
                .values("record_id", "kind", "action", "due_on", "message"))


def exclusions_to_confirm(*, connection):
    """Renewed plans whose previous plan year was excluded and nobody has decided about yet (seed 001)."""
    decided = PlanExclusion.objects.filter(connection=connection).values("plan_id")
    excluded_last_year = PlanExclusion.objects.filter(connection=connection, excluded=True).values("plan_id")
    return list(Plan.objects.filter(company=connection.company_id, renews__in=excluded_last_year)
                .exclude(pk__in=decided).select_related("renews").order_by("code"))


def plans_for_review(*, company, today):
    """The plans in force or starting for a company as of `today`: what the wizard's exclusion step lists."""
    return list(Plan.objects.filter(company=company, plan_year_end__gte=today).order_by("plan_year_start", "code"))


def connection_contacts(*, company):
    """Who may be the primary subscription contact: the company's broker and HR users (seed 001, step 4)."""
    return get_user_model().objects.filter(Q(broker_agencies__companies=company) | Q(hr_companies=company)).distinct().order_by(
        "username")


def elections_unconfirmed(*, connections, today):
    """Elections the carrier or vendor has not confirmed as active coverage by `confirmation_due` (30 days after
    the election; seed 000: the election that never reached the carrier). Confirming one (Continuation ›
    Elections, "confirmed today") takes it off the list."""
    elected_by = continuation_rules.confirmation_overdue_for_elections_by(today)
    return (CobraEligibility.objects.filter(
        election__choice=ElectionChoice.ELECT, election__confirmed_on__isnull=True, election__ended_on__isnull=True,
        election__sent_on__lte=elected_by, employee__company__in=connections.values("company_id"))
        .exclude(status=EligibilityStatus.REVERSED)
        .select_related("employee", "dependent", "plan", "election").order_by("election__sent_on"))


@dataclass
class Reconciliation:
    unacknowledged: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    held: list = field(default_factory=list)
    failed_files: list = field(default_factory=list)
    unconfirmed_elections: list = field(default_factory=list)

    @property
    def has_flags(self):
        return any((self.unacknowledged, self.rejected, self.held, self.failed_files, self.unconfirmed_elections))

    def text_lines(self):
        lines = []
        for title, entries in (
                ("Sent but not acknowledged in time", [f"{i.record_id} ({i.connection}) sent {i.sent_at:%m/%d/%Y}" for i in self.unacknowledged]),
                ("Rejected by the vendor", [f"{i.record_id} ({i.connection}): {i.message}" for i in self.rejected]),
                ("Held back for missing data", [f"{i.record_id} ({i.connection}): {i.message}" for i in self.held]),
                ("Files not delivered", [f"{f.name}: {f.last_error}" for f in self.failed_files]),
                ("Elections not confirmed as active", [f"{e.beneficiary.full_name}: {e.plan.name}" for e in self.unconfirmed_elections])):
            if entries:
                lines.append(f"{title} ({len(entries)}):")
                lines.extend(f"  - {entry}" for entry in entries)
        return lines


def reconciliation(*, connections, today):
    """What needs a person's attention: the dashboard and the daily mail."""
    items = ExchangeItem.objects.filter(connection__in=connections).select_related("connection__company", "connection__vendor")
    return Reconciliation(
        unacknowledged=list(items.filter(_ack_overdue(connections, today)).order_by("sent_at")[:500]),
        rejected=list(items.filter(status=ItemStatus.REJECTED).order_by("-acknowledged_at")[:500]),
        held=list(items.filter(status=ItemStatus.HELD).order_by("due_on")[:500]),
        failed_files=list(ExchangeFile.objects.filter(connection__in=connections, status=FileStatus.FAILED)
                          .select_related("connection")),
        unconfirmed_elections=list(elections_unconfirmed(connections=connections, today=today)[:500]),
    )


def _ack_overdue(connections, today):
    """Sent, and not acknowledged within the vendor's number of days."""
    overdue = Q(pk__in=[])
    for vendor_id, days in connections.values_list("vendor_id", "vendor__ack_due_days").distinct():
        overdue |= Q(connection__vendor_id=vendor_id, sent_at__date__lte=today - timedelta(days=days))
    return Q(status=ItemStatus.SENT) & overdue

