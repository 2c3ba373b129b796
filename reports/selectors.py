"""Reads for reports and notices: streamed report rows, and the records that owe a notice on a date."""
from datetime import timedelta

from django.db.models import Exists, F, OuterRef

from companies.scoping import companies_for, scope_queryset
from enrollments.models import CobraEligibility, EligibilityStatus, InitialRightsItem
from reports.columns import row_plan
from reports.models import (
    ContinuationDenial,
    GeneratedNotice,
    GeneratedReport,
    NoticeBatch,
    NoticeKind,
    ReportKind,
)

CHUNK = 2000
NOT_A_STATE = ("federal", "none", "unknown")
ELECTION_KINDS = (NoticeKind.ELECTION, NoticeKind.STATE_ELECTION)


def report_default_range(*, kind, today):
    """Seed 002: the Initial COBRA Rights Report covers one week starting today; the Qualifying Event Report the
    past week (today and the six days before)."""
    if ReportKind(kind) == ReportKind.INITIAL_RIGHTS:
        return today, today + timedelta(days=6)
    return today - timedelta(days=6), today


def report_queryset(*, kind, company, date_from, date_to):
    """The report's records for one company in a date range, in report order (seed 002)."""
    if ReportKind(kind) == ReportKind.INITIAL_RIGHTS:
        return (InitialRightsItem.objects
                .filter(employee__company=company, coverage_start__gte=date_from, coverage_start__lte=date_to)
                .order_by("coverage_start", "employee__last_name", "employee__employee_id", F("dependent__dependent_id").asc(nulls_first=True),
                          "plan__code", "id"))
    return (CobraEligibility.objects
            .filter(employee__company=company, eligibility_date__gte=date_from, eligibility_date__lte=date_to)
            .exclude(status=EligibilityStatus.REVERSED)
            .order_by("eligibility_date", "employee__last_name", "employee__employee_id", F("dependent__dependent_id").asc(nulls_first=True),
                      "plan__code", "id"))


def report_rows(*, kind, company, date_from, date_to, columns, full_ssn):
    """One list of cell values per record, streamed: one query, fetched in chunks, whatever the number of rows."""
    names, annotations, getters = row_plan(columns, full_ssn=full_ssn)
    queryset = report_queryset(kind=kind, company=company, date_from=date_from, date_to=date_to)
    for row in queryset.annotate(**annotations).values_list(*names).iterator(chunk_size=CHUNK):
        yield [getter(row) for getter in getters]


def generated_reports_for(*, user, limit=20):
    return scope_queryset(GeneratedReport.objects.select_related("company", "requested_by"), user, "company")[:limit]


def company_choices(*, user):
    return companies_for(user).order_by("name")


def _noticed(kinds):
    return Exists(GeneratedNotice.eligibilities.through.objects.filter(
        cobraeligibility_id=OuterRef("pk"), generatednotice__kind__in=kinds))


def general_items_due(*, company, as_of):
    """Initial Rights items whose coverage has started and that no general notice covered yet (seed 001: the items
    are sent once coverage starts; 2590.606-1: within 90 days after coverage begins)."""
    return (InitialRightsItem.objects
            .filter(employee__company=company, coverage_start__lte=as_of)
            .exclude(Exists(GeneratedNotice.initial_rights_items.through.objects.filter(initialrightsitem_id=OuterRef("pk"))))
            .select_related("employee__company", "dependent", "plan", "enrollment")
            .order_by("employee__last_name", "employee__employee_id", F("dependent__dependent_id").asc(nulls_first=True), "plan__code"))


def election_eligibilities_due(*, company, as_of, state):
    """Eligibilities still waiting for their election notice once the event is entered (the administrator is told
    when the event is marked: 2590.606-4(b)), federal COBRA or, with `state`, a state's continuation law."""
    queryset = (CobraEligibility.objects
                .filter(employee__company=company, status=EligibilityStatus.ELIGIBLE, event__entered_on__lte=as_of)
                .exclude(_noticed(ELECTION_KINDS)))
    queryset = queryset.exclude(continuation_law__in=NOT_A_STATE) if state else queryset.filter(continuation_law="federal")
    return (queryset.select_related("employee__company", "dependent", "plan", "event", "enrollment")
            .order_by("event__event_date", "event_id", F("dependent__dependent_id").asc(nulls_first=True), "plan__code"))


def early_terminations_due(*, company):
    """Terminated continuation that ended early (continuation.Election: reason and last day) with no notice yet
    (2590.606-4(d))."""
    from continuation.rules import EARLY_END_REASONS
    return (CobraEligibility.objects
            .filter(employee__company=company, status=EligibilityStatus.TERMINATED,
                    election__end_reason__in=list(EARLY_END_REASONS), election__ended_on__isnull=False)
            .exclude(_noticed([NoticeKind.EARLY_TERMINATION]))
            .select_related("employee__company", "dependent", "plan", "event", "election")
            .order_by("event_id", F("dependent__dependent_id").asc(nulls_first=True), "plan__code"))


def denials_due(*, company, as_of):
    """Denied requests for continuation with no notice of unavailability yet (2590.606-4(c))."""
    return (ContinuationDenial.objects
            .filter(employee__company=company, request_date__lte=as_of, notices__isnull=True)
            .select_related("employee__company", "dependent")
            .order_by("request_date", "id"))


def notices_for(*, user, company=None):
    queryset = GeneratedNotice.objects.select_related("company", "employee", "dependent", "batch")
    if company is not None:
        queryset = queryset.filter(company=company)
    return scope_queryset(queryset, user, "company")


def batches_for(*, user):
    return scope_queryset(NoticeBatch.objects.select_related("company"), user, "company")
