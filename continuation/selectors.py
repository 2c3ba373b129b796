"""Reads: beneficiaries by member id, elections due for a daily job, the participants list."""
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from companies.scoping import scope_queryset
from continuation.models import Election
from continuation.rules import ElectionChoice
from enrollments.cobra.rules import ContinuationLaw
from enrollments.models import CobraEligibility, Dependent, EligibilityStatus, Employee

OPEN_STATUSES = (EligibilityStatus.ELIGIBLE, EligibilityStatus.NOTIFIED)
COVERED_STATUSES = (EligibilityStatus.ELECTED, EligibilityStatus.ACTIVE)


class MemberNotFound(Exception):
    """A member id that names nobody, or several people; the message names the fix."""


def member_id_of(employee, dependent=None):
    """exchange-file.md: `employee_id` for the employee, else `employee_id-dependent_id`."""
    return employee.employee_id if dependent is None else f"{employee.employee_id}-{dependent.dependent_id}"


def member_find(*, member_id, company_code=None):
    """The (employee, dependent-or-None) a member id names; employee ids are unique only per company."""
    employees = Employee.objects.select_related("company")
    if company_code:
        employees = employees.filter(company__code=company_code)
    candidates = []
    for employee in employees.filter(employee_id=member_id):
        candidates.append((employee, None))
    if "-" in member_id:
        for dependent in (Dependent.objects.select_related("employee__company")
                          .filter(employee__in=employees).filter(_dependent_member_q(member_id))):
            if member_id_of(dependent.employee, dependent) == member_id:
                candidates.append((dependent.employee, dependent))
    if not candidates:
        where = f" in company {company_code}" if company_code else ""
        raise MemberNotFound(f"member_id: no employee or dependent {member_id}{where}. Use employee_id, or "
                             "employee_id-dependent_id for a dependent.")
    if len(candidates) > 1:
        codes = sorted({employee.company.code for employee, _ in candidates})
        raise MemberNotFound(f"member_id: {member_id} exists in companies {', '.join(codes)}; add --company CODE.")
    return candidates[0]


def _dependent_member_q(member_id):
    """Every split of 'A-B' into employee_id and dependent_id (either may itself contain '-')."""
    query = Q(pk__in=[])
    parts = member_id.split("-")
    for cut in range(1, len(parts)):
        query |= Q(employee__employee_id="-".join(parts[:cut]), dependent_id="-".join(parts[cut:]))
    return query


def member_eligibilities(*, employee, dependent):
    """The member's eligibilities that were not reversed, oldest event first."""
    return list(CobraEligibility.objects.filter(employee=employee, dependent=dependent)
                .exclude(status=EligibilityStatus.REVERSED)
                .select_related("plan", "event", "employee__company", "dependent")
                .order_by("event__event_date", "plan__code"))


def member_elections(*, employee, dependent):
    """The member's elected lines still covered (elected or active)."""
    return list(Election.objects.filter(eligibility__employee=employee, eligibility__dependent=dependent,
                                        choice=ElectionChoice.ELECT, eligibility__status__in=COVERED_STATUSES)
                .select_related("eligibility__plan", "eligibility__event", "plan", "eligibility__employee__company")
                .order_by("eligibility__eligibility_date", "plan__code"))


def covered_elections():
    """Every elected line still covered, with what the daily jobs read."""
    return (Election.objects.filter(choice=ElectionChoice.ELECT, eligibility__status__in=COVERED_STATUSES)
            .select_related("eligibility__employee__company", "eligibility__dependent", "eligibility__plan", "plan"))


def next_unpaid_start(election):
    return election.paid_through + timedelta(days=1) if election.paid_through else election.eligibility.eligibility_date


def coverage_last_day(election):
    """The last day continuation can last: the maximum period, or an early end in progress."""
    ends = [election.eligibility.max_end]
    if election.scheduled_end:
        ends.append(election.scheduled_end)
    return min(ends)


@dataclass(frozen=True)
class Participant:
    company: str
    member_id: str
    name: str
    relationship: str
    plan: str
    status: str
    since: date
    until: date
    paid_through: date | None
    continuation_law: str

    @property
    def law(self):
        return law_label(self.continuation_law)


def law_label(law):
    """'Federal COBRA', 'CA state continuation', or 'Unknown: check the state's law' (never silently federal)."""
    if law in ContinuationLaw.values:
        return ContinuationLaw(law).label
    return f"{law} state continuation"


def participant_list(*, user, company=None):
    """Continuation participants per company: who, since when, until when, paid through (seed 004 FAQ)."""
    elections = scope_queryset(covered_elections(), user, "eligibility__employee__company")
    if company is not None:
        elections = elections.filter(eligibility__employee__company=company)
    rows = []
    for election in elections.order_by("eligibility__employee__company__name", "eligibility__employee__last_name",
                                       "eligibility__employee__employee_id", "eligibility__dependent__dependent_id",
                                       "plan__code"):
        eligibility = election.eligibility
        person = eligibility.dependent or eligibility.employee
        rows.append(Participant(
            company=eligibility.employee.company.name, member_id=member_id_of(eligibility.employee, eligibility.dependent),
            name=person.full_name,
            relationship=eligibility.dependent.get_relationship_display() if eligibility.dependent else "Employee",
            plan=election.plan.name, status=eligibility.get_status_display(), since=eligibility.eligibility_date,
            until=coverage_last_day(election), paid_through=election.paid_through,
            continuation_law=eligibility.continuation_law))
    return rows
