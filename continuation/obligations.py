"""The compliance dashboard's reads: every open obligation, its deadline, who owes it and days left.

Computed from the records on each read (never a copy that can go stale): one query per kind, whatever the
number of rows, then sorted by urgency.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, F, OuterRef, TextChoices
from django.utils import timezone

from companies.scoping import scope_queryset
from continuation import rules, selectors
from continuation.models import CarrierSwitchOffer, ContinuationSettings, Election, OfferAnswer
from continuation.services import continuation_of
from enrollments import selectors as enrollment_selectors
from enrollments.cobra import rules as cobra_rules
from enrollments.cobra.codes import QualifyingEventType
from enrollments.models import CobraEligibility, EligibilityStatus, InitialRightsItem


class ObligationKind(TextChoices):
    GENERAL_NOTICE = "general_notice", "General notice (90 days)"
    EMPLOYER_NOTICE = "employer_notice", "Employer notice to the administrator (30 days)"
    ELECTION_NOTICE = "election_notice", "Election notice (14/44 days)"
    ELECTION = "election", "Election period (60 days)"
    FIRST_PREMIUM = "first_premium", "First premium (45 days)"
    PREMIUM_GRACE = "premium_grace", "Premium grace period (30 days)"
    VENDOR_ACK = "vendor_ack", "Vendor acknowledgement"
    CONFIRMATION = "confirmation", "Election not confirmed by the carrier or vendor"
    TERMINATION_NOTICE = "termination_notice", "Notice of early termination"
    UNAVAILABILITY_NOTICE = "unavailability_notice", "Notice of unavailability (14 days)"
    CARRIER_SWITCH = "carrier_switch", "Answer to the new carrier's offer"


class OwedBy(TextChoices):
    EMPLOYER = "employer", "Employer"
    ADMINISTRATOR = "administrator", "Administrator"
    BENEFICIARY = "beneficiary", "Beneficiary"
    CARRIER = "carrier", "Carrier or vendor"


@dataclass(frozen=True)
class Obligation:
    kind: ObligationKind
    owed_by: OwedBy
    due: date
    days_left: int
    company_id: int
    company: str
    member_id: str
    name: str
    subject: str
    law: str = ""

    @property
    def overdue(self):
        return self.days_left < 0

    @property
    def kind_label(self):
        return ObligationKind(self.kind).label

    @property
    def owed_by_label(self):
        return OwedBy(self.owed_by).label

    @property
    def law_label(self):
        return selectors.law_label(self.law) if self.law else ""


def _scoped(queryset, user, path):
    return queryset if user is None else scope_queryset(queryset, user, path)


def _make(kind, owed_by, due, as_of, employee, dependent, subject, law=""):
    person = dependent or employee
    return Obligation(kind=kind, owed_by=owed_by, due=due, days_left=rules.days_left(due=due, as_of=as_of),
                      company_id=employee.company_id, company=employee.company.name,
                      member_id=selectors.member_id_of(employee, dependent), name=person.full_name, subject=subject,
                      law=law)


def _eligibilities(user, company, **filters):
    queryset = (CobraEligibility.objects.filter(**filters)
                .select_related("employee__company", "dependent", "plan", "event")
                .order_by("event_id", F("dependent_id").asc(nulls_first=True), "plan__code"))
    if company is not None:
        queryset = queryset.filter(employee__company=company)
    return _scoped(queryset, user, "employee__company")


def _by_beneficiary(eligibilities):
    """One obligation per beneficiary per event: the notice and the election cover all their lines."""
    groups = defaultdict(list)
    for eligibility in eligibilities:
        groups[(eligibility.event_id, eligibility.dependent_id)].append(eligibility)
    return groups.values()


def _election_notices(user, company, as_of):
    """Due 14 days after the administrator is told (the event entered), 44 after the event when the employer is
    the administrator (cobra-rules.md Deadlines)."""
    state_rules = enrollment_selectors.state_rules()
    self_administered = set(ContinuationSettings.objects.filter(employer_is_administrator=True).values_list("company_id", flat=True))
    for group in _by_beneficiary(_eligibilities(user, company, status=EligibilityStatus.ELIGIBLE)):
        first = group[0]
        deadlines = cobra_rules.event_deadlines(
            event_type=QualifyingEventType(first.event.event_type), event_date=first.event.event_date,
            eligibility_date=first.eligibility_date, employer_is_administrator=first.employee.company_id in self_administered,
            administrator_notified_on=first.event.entered_on, election_notice_sent_on=None,
            continuation=continuation_of(first, state_rules))
        yield _make(ObligationKind.ELECTION_NOTICE, OwedBy.ADMINISTRATOR, deadlines.election_notice_due, as_of,
                    first.employee, first.dependent, ", ".join(e.plan.name for e in group), first.continuation_law)


def _elections(user, company, as_of):
    for group in _by_beneficiary(_eligibilities(user, company, status=EligibilityStatus.NOTIFIED)):
        first = group[0]
        yield _make(ObligationKind.ELECTION, OwedBy.BENEFICIARY, min(e.election_due for e in group), as_of,
                    first.employee, first.dependent, ", ".join(e.plan.name for e in group), first.continuation_law)


def _covered(user, company):
    queryset = selectors.covered_elections().order_by("eligibility__employee_id", F("eligibility__dependent_id").asc(nulls_first=True), "plan__code")
    if company is not None:
        queryset = queryset.filter(eligibility__employee__company=company)
    return _scoped(queryset, user, "eligibility__employee__company")


def _premiums_and_confirmations(user, company, as_of):
    """First premium and grace periods per beneficiary; elections the carrier or vendor has not confirmed."""
    premiums = {}
    for election in _covered(user, company):
        eligibility = election.eligibility
        if election.confirmed_on is None:
            yield _make(ObligationKind.CONFIRMATION, OwedBy.CARRIER, rules.confirmation_due(election.sent_on), as_of,
                        eligibility.employee, eligibility.dependent, election.plan.name, eligibility.continuation_law)
        start = selectors.next_unpaid_start(election)
        if start > selectors.coverage_last_day(election):
            continue
        first = eligibility.status == EligibilityStatus.ELECTED
        if not first and start > as_of:
            continue
        key = (eligibility.employee_id, eligibility.dependent_id, start)
        due = rules.payment_deadline(period_start_on=start, first_premium_due_on=election.first_premium_due)
        if key in premiums:
            premiums[key][1].append(election.plan.name)
            continue
        premiums[key] = (due, [election.plan.name], first, eligibility)
    for due, plans, first, eligibility in premiums.values():
        kind = ObligationKind.FIRST_PREMIUM if first else ObligationKind.PREMIUM_GRACE
        yield _make(kind, OwedBy.BENEFICIARY, due, as_of, eligibility.employee, eligibility.dependent, ", ".join(plans),
                    eligibility.continuation_law)


def _termination_notices(user, company, as_of):
    queryset = (Election.objects.filter(termination_notice_due__isnull=False, termination_notice_sent_on__isnull=True)
                .select_related("eligibility__employee__company", "eligibility__dependent", "plan"))
    if company is not None:
        queryset = queryset.filter(eligibility__employee__company=company)
    for election in _scoped(queryset, user, "eligibility__employee__company"):
        eligibility = election.eligibility
        yield _make(ObligationKind.TERMINATION_NOTICE, OwedBy.ADMINISTRATOR, election.termination_notice_due, as_of,
                    eligibility.employee, eligibility.dependent,
                    f"{election.plan.name}: {election.get_end_reason_display()}, ended {election.ended_on:%m/%d/%Y}")


def _carrier_switches(user, company, as_of):
    queryset = (CarrierSwitchOffer.objects.filter(answer=OfferAnswer.PENDING,
                                                  election__eligibility__status__in=selectors.COVERED_STATUSES)
                .select_related("election__eligibility__employee__company", "election__eligibility__dependent",
                                "election__plan", "new_plan"))
    if company is not None:
        queryset = queryset.filter(election__eligibility__employee__company=company)
    for offer in _scoped(queryset, user, "election__eligibility__employee__company"):
        eligibility = offer.election.eligibility
        yield _make(ObligationKind.CARRIER_SWITCH, OwedBy.BENEFICIARY, offer.answer_due, as_of, eligibility.employee,
                    eligibility.dependent, f"{offer.election.plan.name} → {offer.new_plan.name} ({offer.new_plan.carrier})")


def _general_notices(user, company, as_of):
    """Open until a general notice was generated for the item (reports) or a vendor got it on a file (exchange)."""
    from exchange.models import DELIVERED_STATUSES, ExchangeItem
    from reports.models import GeneratedNotice
    queryset = (InitialRightsItem.objects
                .filter(~Exists(GeneratedNotice.initial_rights_items.through.objects.filter(initialrightsitem=OuterRef("pk"))),
                        ~Exists(ExchangeItem.objects.filter(initial_rights=OuterRef("pk"), status__in=DELIVERED_STATUSES)))
                .select_related("employee__company", "dependent", "plan").order_by("id"))
    if company is not None:
        queryset = queryset.filter(employee__company=company)
    for item in _scoped(queryset, user, "employee__company"):
        yield _make(ObligationKind.GENERAL_NOTICE, OwedBy.ADMINISTRATOR, item.notice_due, as_of, item.employee,
                    item.dependent, item.plan.name)


def _unavailability_notices(user, company, as_of):
    """A denied request for continuation (reports.ContinuationDenial) owes a notice within 14 days until one is
    generated (29 CFR 2590.606-4(c); cobra-rules.md Deadlines)."""
    from reports.models import ContinuationDenial, GeneratedNotice
    queryset = (ContinuationDenial.objects.filter(~Exists(GeneratedNotice.objects.filter(denial=OuterRef("pk"))))
                .select_related("employee__company", "dependent").order_by("id"))
    if company is not None:
        queryset = queryset.filter(employee__company=company)
    for denial in _scoped(queryset, user, "employee__company"):
        yield _make(ObligationKind.UNAVAILABILITY_NOTICE, OwedBy.ADMINISTRATOR,
                    cobra_rules.unavailability_notice_due(denial.request_date), as_of, denial.employee, denial.dependent,
                    f"Request of {denial.request_date:%m/%d/%Y} denied")


def _items(user, company, **filters):
    from exchange.models import ExchangeItem, ItemAction
    queryset = ExchangeItem.objects.filter(action=ItemAction.ADD, **filters)
    if company is not None:
        queryset = queryset.filter(connection__company=company)
    return _scoped(queryset, user, "connection__company")


def _employer_notices(user, company, as_of):
    """A qualifying event the vendor (the COBRA administrator) has not received on a file yet: the employer owes
    that notice 30 days after the event (60 after a divorce or age-off, when the beneficiary tells it)."""
    from exchange.models import ItemKind, ItemStatus
    items = (_items(user, company, kind=ItemKind.QE, status__in=[ItemStatus.PENDING, ItemStatus.HELD, ItemStatus.CLAIMED])
             .select_related("eligibility__event", "eligibility__employee__company", "connection__vendor")
             .order_by("connection_id", "eligibility__event_id", "id"))
    events = {}
    for item in items:
        events.setdefault((item.connection_id, item.eligibility.event_id), item)
    for item in events.values():
        eligibility, event = item.eligibility, item.eligibility.event
        deadlines = cobra_rules.event_deadlines(
            event_type=QualifyingEventType(event.event_type), event_date=event.event_date,
            eligibility_date=eligibility.eligibility_date, employer_is_administrator=False,
            administrator_notified_on=None, election_notice_sent_on=None)
        due = deadlines.employer_notice_due or deadlines.beneficiary_notice_due
        yield _make(ObligationKind.EMPLOYER_NOTICE, OwedBy.EMPLOYER, due, as_of, eligibility.employee, None,
                    f"{event.get_event_type_display()} of {event.event_date:%m/%d/%Y} to {item.connection.vendor.name}"
                    f"{': held, ' + item.message if item.message else ''}")


def _vendor_acks(user, company, as_of):
    """Files sent and not yet acknowledged: due the vendor's number of days after sending (one row per file)."""
    from exchange.models import ItemStatus
    items = (_items(user, company, status=ItemStatus.SENT)
             .select_related("connection__company", "connection__vendor", "file").order_by("file_id", "id"))
    files = {}
    for item in items:
        entry = files.setdefault(item.file_id, [item, 0])
        entry[1] += 1
    for item, count in files.values():
        sent_on = timezone.localdate(item.sent_at)
        due = sent_on + timedelta(days=item.connection.vendor.ack_due_days)
        owner = item.connection.company
        yield Obligation(kind=ObligationKind.VENDOR_ACK, owed_by=OwedBy.CARRIER, due=due,
                         days_left=rules.days_left(due=due, as_of=as_of), company_id=owner.pk, company=owner.name,
                         member_id="", name=item.connection.vendor.name,
                         subject=f"{item.file.name if item.file else item.record_id}: {count} item(s) sent {sent_on:%m/%d/%Y}")


SOURCES = [_general_notices, _employer_notices, _vendor_acks, _election_notices, _elections, _premiums_and_confirmations,
           _termination_notices, _unavailability_notices, _carrier_switches]


def obligation_list(*, user=None, company=None, as_of):
    """Every open obligation the user's companies have, most urgent first (overdue at the top)."""
    obligations = [o for source in SOURCES for o in source(user, company, as_of)]
    obligations.sort(key=lambda o: (o.due, o.company, o.member_id, o.kind))
    return obligations
