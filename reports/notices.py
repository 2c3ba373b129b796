"""What each notice says, filled from the records: one NoticeDraft per recipient, ready for its template.

The content elements of each notice are listed in shared/spec/cobra-rules.md (29 CFR 2590.606-1 and -4); the
deadlines, premiums and periods come from the rule engine (enrollments.cobra.rules), never computed here.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from enrollments import selectors as enrollment_selectors
from enrollments.cobra import rules
from enrollments.cobra.codes import QualifyingEventType, Relationship
from enrollments.models import StateContinuationRule
from reports import selectors
from reports.models import NoticeKind

TEMPLATES = {
    NoticeKind.GENERAL: "notices/general.html",
    NoticeKind.ELECTION: "notices/election.html",
    NoticeKind.STATE_ELECTION: "notices/state_election.html",
    NoticeKind.UNAVAILABILITY: "notices/unavailability.html",
    NoticeKind.EARLY_TERMINATION: "notices/early_termination.html",
}


@dataclass
class NoticeDraft:
    """One notice to one recipient (and the people at the same address it names), before it is rendered."""
    kind: str
    key: str
    company: object
    employee: object
    dependent: object
    recipients: list
    due_date: date
    context: dict = field(default_factory=dict)
    initial_rights_items: list = field(default_factory=list)
    eligibilities: list = field(default_factory=list)
    denial: object = None

    @property
    def recipient(self):
        return self.dependent or self.employee

    @property
    def recipient_name(self):
        return ", ".join(person.full_name for person in self.recipients)

    @property
    def member_id(self):
        return self.recipient.member_id

    @property
    def template(self):
        return TEMPLATES[NoticeKind(self.kind)]


def administrator(company):
    """Who administers continuation coverage and answers questions: the employer (plan administrator)."""
    return {
        "name": company.name,
        "address1": company.address1,
        "city_line": f"{company.city}, {company.state} {company.zip}".strip(", "),
        "phone": company.phone or "the number on your benefits materials",
    }


def address_block(person):
    address = person.mailing_address()
    return [person.full_name, address["address1"], f"{address['city']}, {address['state']} {address['zip']}"]


def _base(kind, *, company, as_of, recipients, person):
    return {
        "kind": kind,
        "title": NoticeKind(kind).label,
        "company": company,
        "administrator": administrator(company),
        "notice_date": as_of,
        "recipients": recipients,
        "addressee": ", ".join(r.full_name for r in recipients),
        "address": address_block(person),
    }


def _relationship_label(person):
    return Relationship(person.relationship).label


def _state_rule(continuation):
    """The editable state row (with its law's name) when a state's law governs, else None."""
    if not continuation.is_state_law:
        return None
    return StateContinuationRule.objects.filter(state=continuation.rule.state).first()


def _offers_continuation(continuation):
    return continuation.law == rules.ContinuationLaw.FEDERAL or continuation.is_state_law


def general_drafts(*, company, as_of):
    """One general notice per newly covered person (employee or dependent), naming every plan they joined.

    None while the company's continuation law is "none" or "unknown": there are no rights to describe yet.
    """
    continuation = enrollment_selectors.company_continuation(company=company)
    if not _offers_continuation(continuation):
        return []
    state_rule = _state_rule(continuation)
    groups = defaultdict(list)
    for item in selectors.general_items_due(company=company, as_of=as_of):
        groups[(item.employee_id, item.dependent_id)].append(item)
    drafts = []
    for items in groups.values():
        first = items[0]
        person = first.dependent or first.employee
        context = _base(NoticeKind.GENERAL, company=company, as_of=as_of, recipients=[person], person=person)
        context["plans"] = sorted({item.plan.name: item.plan for item in items}.values(), key=lambda p: p.name)
        context["coverage_start"] = min(item.coverage_start for item in items)
        context["continuation"] = continuation
        context["state_rule"] = state_rule
        drafts.append(NoticeDraft(
            kind=NoticeKind.GENERAL, key=f"general:{first.employee_id}:{first.dependent_id or 0}", company=company,
            employee=first.employee, dependent=first.dependent, recipients=[person],
            due_date=min(item.notice_due for item in items), context=context, initial_rights_items=items))
    return drafts


def _addressee(eligibilities):
    """The notice goes to the employee when a qualified beneficiary, else the spouse, else the first beneficiary;
    the others at the same address are named on it."""
    people = []
    for eligibility in eligibilities:
        if eligibility.beneficiary not in people:
            people.append(eligibility.beneficiary)
    employee = [p for p in people if p.relationship == Relationship.EMPLOYEE]
    spouses = [p for p in people if p.relationship == Relationship.SPOUSE]
    return (employee or spouses or people)[0], people


def _premium_line(plan, continuation):
    if plan.monthly_premium is None:
        return None
    return rules.monthly_premium(plan_cost=plan.monthly_premium, continuation=continuation, disability_month=False)


def _beneficiary_rows(eligibilities, continuation, deadlines):
    rows = {}
    for eligibility in eligibilities:
        person = eligibility.beneficiary
        row = rows.setdefault(person.member_id, {
            "name": person.full_name, "relationship": _relationship_label(person), "lines": [], "total": 0})
        premium = _premium_line(eligibility.plan, continuation)
        row["lines"].append({
            "plan": eligibility.plan, "coverage_end": eligibility.coverage_end,
            "eligibility_date": eligibility.eligibility_date, "max_months": eligibility.max_months,
            "max_end": eligibility.max_end, "premium": premium, "cost": eligibility.plan.monthly_premium,
            "election_due": deadlines[eligibility.pk].election_due})
        if premium is not None:
            row["total"] += premium
    return list(rows.values())


def election_drafts(*, company, as_of, state=False):
    """One election notice per qualifying event, addressed to its beneficiaries at one address (2590.606-4(b))."""
    kind = NoticeKind.STATE_ELECTION if state else NoticeKind.ELECTION
    groups = defaultdict(list)
    for eligibility in selectors.election_eligibilities_due(company=company, as_of=as_of, state=state):
        groups[eligibility.event_id].append(eligibility)
    if not groups:
        return []
    continuation = enrollment_selectors.company_continuation(company=company)
    state_rule = _state_rule(continuation) if state else None
    drafts = []
    for eligibilities in groups.values():
        event = eligibilities[0].event
        person, people = _addressee(eligibilities)
        deadlines = {}
        for eligibility in eligibilities:
            deadlines[eligibility.pk] = rules.event_deadlines(
                event_type=QualifyingEventType(event.event_type), event_date=event.event_date,
                eligibility_date=eligibility.eligibility_date, employer_is_administrator=False,
                administrator_notified_on=event.entered_on, election_notice_sent_on=as_of, continuation=continuation)
        context = _base(kind, company=company, as_of=as_of, recipients=people, person=person)
        context.update({
            "event": event,
            "event_label": QualifyingEventType(event.event_type).label,
            "beneficiaries": _beneficiary_rows(eligibilities, continuation, deadlines),
            "plans": sorted({e.plan.name: e.plan for e in eligibilities}.values(), key=lambda p: p.name),
            "coverage_end": min(e.coverage_end for e in eligibilities),
            "eligibility_date": min(e.eligibility_date for e in eligibilities),
            # the earliest: a line whose coverage ended sooner has an earlier deadline (shown per line too)
            "election_due": min(d.election_due for d in deadlines.values()),
            "mixed_deadlines": len({d.election_due for d in deadlines.values()}) > 1,
            "max_end": max(e.max_end for e in eligibilities),
            "max_months": max(e.max_months for e in eligibilities),
            "continuation": continuation,
            "state_rule": state_rule,
            "first_premium_days": rules.FIRST_PREMIUM_DAYS,
            "grace_days": rules.GRACE_DAYS,
        })
        drafts.append(NoticeDraft(
            kind=kind, key=f"{kind}:{event.pk}", company=company, employee=event.employee,
            dependent=None if person == event.employee else person, recipients=people,
            due_date=min(d.election_notice_due for d in deadlines.values()), context=context,
            eligibilities=eligibilities))
    return drafts


def early_termination_drafts(*, company, as_of):
    """One notice per beneficiary whose continuation ended early: the reason, the last day, other coverage."""
    groups = defaultdict(list)
    for eligibility in selectors.early_terminations_due(company=company):
        groups[(eligibility.event_id, eligibility.dependent_id)].append(eligibility)
    drafts = []
    for eligibilities in groups.values():
        first = eligibilities[0]
        person = first.beneficiary
        election = first.election
        context = _base(NoticeKind.EARLY_TERMINATION, company=company, as_of=as_of, recipients=[person], person=person)
        context.update({
            "lines": [{"plan": e.plan, "ended_on": e.election.ended_on, "max_end": e.max_end,
                       "reason": e.election.get_end_reason_display()} for e in eligibilities],
            "reason": election.get_end_reason_display(),
            "end_reason": election.end_reason,
            "ended_on": max(e.election.ended_on for e in eligibilities),
        })
        due = min((e.election.termination_notice_due for e in eligibilities if e.election.termination_notice_due),
                  default=as_of)
        drafts.append(NoticeDraft(
            kind=NoticeKind.EARLY_TERMINATION, key=f"early_termination:{first.event_id}:{first.dependent_id or 0}",
            company=company, employee=first.employee, dependent=first.dependent, recipients=[person], due_date=due,
            context=context, eligibilities=eligibilities))
    return drafts


def unavailability_drafts(*, company, as_of):
    """One notice per denied request for continuation coverage, with the reason (2590.606-4(c))."""
    drafts = []
    for denial in selectors.denials_due(company=company, as_of=as_of):
        person = denial.requester
        context = _base(NoticeKind.UNAVAILABILITY, company=company, as_of=as_of, recipients=[person], person=person)
        context.update({"denial": denial, "reason": denial.reason, "request_date": denial.request_date})
        drafts.append(NoticeDraft(
            kind=NoticeKind.UNAVAILABILITY, key=f"unavailability:{denial.pk}", company=company,
            employee=denial.employee, dependent=denial.dependent, recipients=[person],
            due_date=rules.unavailability_notice_due(denial.request_date), context=context, denial=denial))
    return drafts


def notice_drafts(*, kind, company, as_of):
    """Every notice of a kind due on `as_of` for a company."""
    kind = NoticeKind(kind)
    if kind == NoticeKind.GENERAL:
        return general_drafts(company=company, as_of=as_of)
    if kind in (NoticeKind.ELECTION, NoticeKind.STATE_ELECTION):
        return election_drafts(company=company, as_of=as_of, state=kind == NoticeKind.STATE_ELECTION)
    if kind == NoticeKind.EARLY_TERMINATION:
        return early_termination_drafts(company=company, as_of=as_of)
    return unavailability_drafts(company=company, as_of=as_of)
