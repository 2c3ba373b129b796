"""Table-driven tests of the COBRA rule engine; every row names its source. No database needed."""
from datetime import date as D, timedelta
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta

from enrollments.cobra import rules
from enrollments.cobra.codes import (
    CoverageEnds, EnrollmentSource as ES, EventSource as Src, LifeEventReason as LE, PlanType as PT,
    QualifyingEventType as QE, Relationship as R,
)
from enrollments.cobra.reasons import ClassChangeDrop, CobraChangeReason as CR
from enrollments.cobra.rules import Continuation, EnrollmentFact, Member, StateRule

STATE_RULES = {rule.state: rule for rule in rules.DEFAULT_STATE_RULES}


# Plans

@pytest.mark.parametrize("plan_type, qualified", [
    pytest.param(PT.MEDICAL, True, id="seed 001: medical"),
    pytest.param(PT.DENTAL, True, id="seed 001: dental"),
    pytest.param(PT.VISION, True, id="seed 001: vision"),
    pytest.param(PT.SUPPLEMENTAL_HEALTH, True, id="seed 001: supplemental health"),
    pytest.param(PT.TELEMEDICINE, True, id="seed 001: telemedicine"),
    pytest.param(PT.PRESCRIPTION, True, id="seed 001: prescription"),
    pytest.param(PT.EAP_COBRA, True, id="seed 001: EAP COBRA qualified"),
    pytest.param(PT.HRA, True, id="seed 001: health reimbursement account"),
    pytest.param(PT.FSA, True, id="seed 001: flexible spending account"),
    pytest.param(PT.LPFSA, True, id="seed 001: limited purpose spending account"),
    pytest.param(PT.EAP, False, id="seed 001: EAP that does not trigger COBRA"),
    pytest.param(PT.LIFE, False, id="cobra-rules.md: not life"),
    pytest.param(PT.DISABILITY, False, id="cobra-rules.md: not disability"),
    pytest.param(PT.ACCIDENT, False, id="cobra-rules.md: not accident"),
    pytest.param(PT.OTHER, False, id="seed 001: only the listed plans trigger"),
    pytest.param("medical", True, id="a stored plan_type value works too"),
])
def test_is_cobra_qualified(plan_type, qualified):
    assert rules.is_cobra_qualified(plan_type) is qualified


@pytest.mark.parametrize("plan_type, caveat", [
    pytest.param(PT.FSA, True, id="seed 001 FSA note: the administrator confirms with the FSA administrator"),
    pytest.param(PT.LPFSA, True, id="seed 001 FSA note: limited purpose FSA too"),
    pytest.param(PT.HRA, False, id="seed 001: the note names FSA and LPFSA only"),
    pytest.param(PT.MEDICAL, False, id="seed 001: medical needs no caveat"),
])
def test_needs_fsa_caveat(plan_type, caveat):
    assert rules.needs_fsa_caveat(plan_type) is caveat


# Qualifying events

@pytest.mark.parametrize("source, reason, event", [
    pytest.param(Src.TERMINATION_TOOL, "voluntary", QE.TERMINATION, id="seed 001 termination tool: voluntary termination"),
    pytest.param(Src.TERMINATION_TOOL, "involuntary", QE.TERMINATION, id="seed 001 termination tool: involuntary termination"),
    pytest.param(Src.TERMINATION_TOOL, "death", QE.DEATH, id="seed 001 termination tool: death of employee"),
    pytest.param(Src.TERMINATION_TOOL, "reduction_in_force", QE.TERMINATION, id="seed 001 termination tool: reduction in force"),
    pytest.param(Src.TERMINATION_TOOL, "retirement", QE.TERMINATION, id="seed 001 termination tool: retirement"),
    pytest.param(Src.TERMINATION_TOOL, "other", QE.TERMINATION, id="ERISA 603(2): any termination but gross misconduct"),
    pytest.param(Src.TERMINATION_TOOL, "gross_misconduct", None, id="ERISA 603(2): gross misconduct is no qualifying event"),
    pytest.param(Src.TERMINATION_TOOL, "", QE.TERMINATION, id="seed 001: a blank reason is voluntary termination"),
    pytest.param(Src.IMPORT, None, QE.TERMINATION, id="seed 001 imports: no reason entered = voluntary termination"),
    pytest.param(Src.IMPORT, "death", QE.DEATH, id="seed 001 imports: death of employee"),
    pytest.param(Src.IMPORT, "retirement", QE.TERMINATION, id="seed 001 imports: retirement"),
    pytest.param(Src.IMPORT, "gross_misconduct", None, id="seed 001 imports: gross misconduct does not trigger"),
    pytest.param(Src.LIFE_EVENT, CR.REDUCTION_IN_HOURS, QE.REDUCTION_OF_HOURS, id="seed 001 life event: reduction in hours"),
    pytest.param(Src.LIFE_EVENT, CR.MILITARY_LEAVE, QE.MILITARY_LEAVE, id="seed 001 life event: military leave"),
    pytest.param(Src.LIFE_EVENT, CR.NO_LONGER_ELIGIBLE, QE.LOSS_OF_ELIGIBILITY, id="seed 001 life event: no longer eligible"),
    pytest.param(Src.LIFE_EVENT, CR.DIVORCE, QE.DIVORCE, id="seed 001 life event: divorce or legal separation"),
    pytest.param(Src.LIFE_EVENT, CR.DEPENDENT_LEAVES_COLLEGE, QE.DEPENDENT_AGE_OFF, id="seed 001 life event: dependent leaves college"),
    pytest.param(Src.LIFE_EVENT, CR.DEPENDENT_OVER_AGE, QE.DEPENDENT_AGE_OFF, id="seed 001 life event: dependent over age"),
    pytest.param(Src.LIFE_EVENT, LE.MARRIAGE, None, id="seed 001: not all life events trigger COBRA"),
    pytest.param(Src.LIFE_EVENT, CR.MEDICARE, None, id="seed 001: Medicare is an enrollment-editor reason only"),
    pytest.param(Src.LIFE_EVENT, "", None, id="seed 001: a life event without a COBRA reason"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.AUTOMATED_LOSS_OF_DEPENDENT_ELIGIBILITY, QE.DEPENDENT_AGE_OFF,
                 id="seed 001 editor: automated loss of dependent eligibility (36 months)"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.DIVORCE, QE.DIVORCE, id="seed 001 editor: divorce (36 months)"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.MEDICARE, QE.MEDICARE, id="seed 001 editor: employee entitled to Medicare"),
    pytest.param(Src.ENROLLMENT_EDITOR, "death", QE.DEATH, id="seed 001 editor: death of employee"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.DEPENDENT_CHANGE, QE.OTHER, id="seed 001 editor: dependent change"),
    pytest.param(Src.ENROLLMENT_EDITOR, "involuntary", QE.TERMINATION, id="seed 001 editor: involuntary termination"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.OTHER_COBRA, QE.OTHER, id="seed 001 editor: other (COBRA)"),
    pytest.param(Src.ENROLLMENT_EDITOR, "other", QE.TERMINATION, id="seed 001 editor: other termination"),
    pytest.param(Src.ENROLLMENT_EDITOR, "reduction_in_force", QE.TERMINATION, id="seed 001 editor: reduction in force"),
    pytest.param(Src.ENROLLMENT_EDITOR, "retirement", QE.TERMINATION, id="seed 001 editor: retirement"),
    pytest.param(Src.ENROLLMENT_EDITOR, "voluntary", QE.TERMINATION, id="seed 001 editor: voluntary termination"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.LOSS_OF_DEPENDENT_CHILD_STATUS, QE.DEPENDENT_AGE_OFF,
                 id="seed 001 editor: loss of dependent child status (36 months)"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.MILITARY_LEAVE, QE.MILITARY_LEAVE, id="seed 001 editor: military leave"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.NO_LONGER_ELIGIBLE, QE.LOSS_OF_ELIGIBILITY, id="seed 001 editor: no longer eligible"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.REDUCTION_IN_HOURS, QE.REDUCTION_OF_HOURS, id="seed 001 editor: reduction in hours"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.DEPENDENT_OVER_AGE, QE.DEPENDENT_AGE_OFF, id="seed 001 editor: dependent over age"),
    pytest.param(Src.ENROLLMENT_EDITOR, CR.DEPENDENT_LEAVES_COLLEGE, None, id="seed 001: leaving college is a life-event reason only"),
    pytest.param(Src.ENROLLMENT_EDITOR, "gross_misconduct", None, id="seed 001 editor: gross misconduct is not on the list"),
    pytest.param(Src.ENROLLMENT_EDITOR, "", None, id="seed 001: an editor change without a COBRA reason"),
    pytest.param(Src.SYSTEM_DROP, "", QE.DEPENDENT_AGE_OFF, id="seed 001: system-dropped dependents ceased to be eligible"),
    pytest.param(Src.CLASS_CHANGE, ClassChangeDrop.DROP_COBRA, QE.LOSS_OF_ELIGIBILITY, id="seed 001 class change: drop triggers"),
    pytest.param(Src.CLASS_CHANGE, ClassChangeDrop.DROP_NO_COBRA, None, id="seed 001 class change: a drop that warrants no COBRA"),
])
def test_qualifying_event_for(source, reason, event):
    assert rules.qualifying_event_for(source=source, reason=reason) == event


def test_an_unknown_termination_reason_is_refused():
    """codes.TerminationReason is the termination tool's and the census import's whole list."""
    with pytest.raises(ValueError):
        rules.qualifying_event_for(source=Src.TERMINATION_TOOL, reason="walked_out")


@pytest.mark.parametrize("source, event_date, allowed", [
    pytest.param(Src.LIFE_EVENT, D(2026, 10, 24), True, id="seed 001: a life event 30 days back"),
    pytest.param(Src.LIFE_EVENT, D(2026, 10, 23), False, id="seed 001: life events do not go back more than 30 days"),
    pytest.param(Src.LIFE_EVENT, D(2026, 12, 1), True, id="seed 001: a future life event"),
    pytest.param(Src.ENROLLMENT_EDITOR, D(2026, 1, 5), True, id="seed 001: 'if that is the case then use enrollment editor'"),
    pytest.param(Src.TERMINATION_TOOL, D(2025, 12, 23), True, id="seed 001: retro terminations are allowed"),
])
def test_life_event_backdate_allowed(source, event_date, allowed):
    assert rules.life_event_backdate_allowed(source=source, event_date=event_date, today=D(2026, 11, 23)) is allowed


# Initial rights

@pytest.mark.parametrize("source, reason, is_new, relationship, plan_type, triggers", [
    pytest.param(ES.NEW_HIRE, None, True, R.EMPLOYEE, PT.MEDICAL, True,
                 id="seed 001: hired May 5, enrolls in medical, dental and vision: triggers"),
    pytest.param(ES.NEW_HIRE, None, True, R.EMPLOYEE, PT.LIFE, False,
                 id="seed 001: hired May 5, declined all COBRA-qualified plans: no trigger"),
    pytest.param(ES.NEW_HIRE, None, True, R.SPOUSE, PT.DENTAL, True, id="seed 001: newly enrolls a spouse"),
    pytest.param(ES.NEW_HIRE, None, True, R.CHILD, PT.MEDICAL, False,
                 id="2590.606-1(a): the notice goes to employee and spouse; the employee's serves the children"),
    pytest.param(ES.NEW_HIRE, None, True, R.DOMESTIC_PARTNER, PT.MEDICAL, False,
                 id="decision: a domestic partner is no federal qualified beneficiary"),
    pytest.param(ES.NEWLY_ELIGIBLE, None, True, R.EMPLOYEE, PT.VISION, True, id="seed 001: newly eligible window"),
    pytest.param(ES.OPEN_ENROLLMENT, None, True, R.EMPLOYEE, PT.MEDICAL, True,
                 id="seed 001 open enrollment: newly enrolls (did not enroll in new hire)"),
    pytest.param(ES.OPEN_ENROLLMENT, None, True, R.EMPLOYEE, PT.HRA, True,
                 id="seed 001 open enrollment: newly adds a benefit not previously enrolled"),
    pytest.param(ES.OPEN_ENROLLMENT, None, True, R.SPOUSE, PT.MEDICAL, True,
                 id="seed 001 open enrollment: adds a spouse not previously enrolled"),
    pytest.param(ES.OPEN_ENROLLMENT, None, True, R.CHILD, PT.MEDICAL, True,
                 id="seed 001 open enrollment: adds a child not previously enrolled"),
    pytest.param(ES.OPEN_ENROLLMENT, None, False, R.EMPLOYEE, PT.MEDICAL, False,
                 id="seed 001 open enrollment: a renewal of the same coverage"),
    pytest.param(ES.LIFE_EVENT, LE.EMPLOYEE_LOSS_OF_COVERAGE, True, R.EMPLOYEE, PT.MEDICAL, True,
                 id="seed 001 employee add: employee loss of coverage"),
    pytest.param(ES.LIFE_EVENT, LE.DIVORCE, True, R.EMPLOYEE, PT.MEDICAL, True, id="seed 001 employee add: divorce"),
    pytest.param(ES.LIFE_EVENT, LE.DEATH_OF_SPOUSE, True, R.EMPLOYEE, PT.MEDICAL, True, id="seed 001 employee add: death of spouse"),
    pytest.param(ES.LIFE_EVENT, LE.INCREASE_IN_HOURS, True, R.EMPLOYEE, PT.MEDICAL, True,
                 id="seed 001 employee add: increase in hours"),
    pytest.param(ES.LIFE_EVENT, LE.RETURN_FROM_LEAVE, True, R.EMPLOYEE, PT.MEDICAL, True,
                 id="seed 001 employee add: return from leave of absence"),
    pytest.param(ES.LIFE_EVENT, LE.SPOUSE_LOSES_COVERAGE, True, R.EMPLOYEE, PT.MEDICAL, True,
                 id="seed 001 employee add: spouse loses coverage at their employer"),
    pytest.param(ES.LIFE_EVENT, LE.SPOUSE_OPEN_ENROLLMENT, True, R.EMPLOYEE, PT.MEDICAL, True,
                 id="seed 001 employee add: spouse open enrollment"),
    pytest.param(ES.LIFE_EVENT, LE.SPOUSE_LOSES_COVERAGE, True, R.SPOUSE, PT.MEDICAL, False,
                 id="seed 001: an employee-add reason does not trigger for the spouse"),
    pytest.param(ES.LIFE_EVENT, LE.MARRIAGE, True, R.SPOUSE, PT.MEDICAL, True, id="seed 001 spouse add: marriage"),
    pytest.param(ES.LIFE_EVENT, LE.DEPENDENT_LOSS_OF_COVERAGE, True, R.SPOUSE, PT.MEDICAL, True,
                 id="seed 001 spouse add: dependent loss of coverage"),
    pytest.param(ES.LIFE_EVENT, LE.MARRIAGE, True, R.EMPLOYEE, PT.MEDICAL, False,
                 id="seed 001: marriage is a spouse-add reason"),
    pytest.param(ES.LIFE_EVENT, LE.DEPENDENT_LOSS_OF_COVERAGE, True, R.CHILD, PT.MEDICAL, False,
                 id="seed 001: dependent loss of coverage triggers for a spouse add"),
    pytest.param(ES.LIFE_EVENT, LE.BIRTH, True, R.CHILD, PT.MEDICAL, False,
                 id="decision: birth adds a child only, and the general notice goes to employee and spouse"),
    pytest.param(ES.LIFE_EVENT, None, True, R.EMPLOYEE, PT.MEDICAL, False, id="seed 001: a life event without a listed reason"),
    pytest.param(ES.IMPORT, None, True, R.EMPLOYEE, PT.MEDICAL, False, id="seed 001: not when coverage is imported"),
    pytest.param(ES.MODIFY, None, True, R.EMPLOYEE, PT.MEDICAL, False, id="seed 001: not when the modify window is used"),
    pytest.param(ES.NEW_HIRE, None, True, R.EMPLOYEE, PT.EAP, False, id="seed 001: a non-qualified EAP"),
])
def test_triggers_initial_rights(source, reason, is_new, relationship, plan_type, triggers):
    assert rules.triggers_initial_rights(source=source, life_event_reason=reason, is_new_coverage=is_new,
                                         relationship=relationship, plan_type=plan_type) is triggers


@pytest.mark.parametrize("coverage_start, due", [
    pytest.param(D(2018, 7, 1), D(2018, 9, 29), id="seed 003: general notice within 90 days of coverage"),
    pytest.param(D(2026, 12, 1), D(2027, 3, 1), id="2590.606-1(b)(1): 90 days after coverage begins"),
])
def test_initial_rights_deadline(coverage_start, due):
    assert rules.initial_rights_deadline(coverage_start) == due


@pytest.mark.parametrize("today, sendable", [
    pytest.param(D(2018, 5, 20), False, id="seed 001: enrolled May 20, not sent before coverage starts"),
    pytest.param(D(2018, 6, 30), False, id="seed 001: we do not send until coverage has commenced"),
    pytest.param(D(2018, 7, 1), True, id="seed 001: triggers on the Initial Rights file on July 1"),
    pytest.param(D(2018, 7, 5), True, id="seed 001: the vendor may receive it on July 5"),
])
def test_initial_rights_sendable(today, sendable):
    assert rules.initial_rights_sendable(coverage_start=D(2018, 7, 1), today=today) is sendable


# Qualified beneficiaries

EMPLOYEE = Member("employee", R.EMPLOYEE)
SPOUSE = Member("dependent:1", R.SPOUSE)
KIT = Member("dependent:2", R.CHILD)
LEE = Member("dependent:3", R.CHILD)
PARTNER = Member("dependent:4", R.DOMESTIC_PARTNER)
FAMILY = [EMPLOYEE, SPOUSE, KIT, LEE]


@pytest.mark.parametrize("event_type, covered, chosen, state, expected", [
    pytest.param(QE.TERMINATION, FAMILY, None, False, FAMILY,
                 id="seed 002 termination: any individuals covered (employee, spouse, dependents)"),
    pytest.param(QE.REDUCTION_OF_HOURS, FAMILY, None, False, FAMILY,
                 id="seed 002 reduction of hours: employee, spouse and dependent children"),
    pytest.param(QE.MILITARY_LEAVE, FAMILY, None, False, FAMILY, id="decision: military leave is a reduction of hours"),
    pytest.param(QE.LOSS_OF_ELIGIBILITY, FAMILY, None, False, FAMILY, id="decision: loss of eligibility like termination"),
    pytest.param(QE.OTHER, [EMPLOYEE, KIT], None, False, [EMPLOYEE, KIT], id="decision: other, everyone covered"),
    pytest.param(QE.MEDICARE, FAMILY, None, False, [SPOUSE, KIT, LEE],
                 id="seed 002 entitled to Medicare: spouse and dependent children"),
    pytest.param(QE.DEATH, FAMILY, None, False, [SPOUSE, KIT, LEE], id="seed 002 death: spouse and dependent children"),
    pytest.param(QE.DIVORCE, FAMILY, {"dependent:2"}, False, [SPOUSE, KIT],
                 id="seed 002 divorce: spouse and the chosen children"),
    pytest.param(QE.DIVORCE, FAMILY, None, False, [SPOUSE], id="cobra-rules.md divorce: the spouse; no child chosen"),
    pytest.param(QE.DEPENDENT_AGE_OFF, FAMILY, {"dependent:3"}, False, [LEE], id="seed 002 age-off: the chosen child"),
    pytest.param(QE.DEPENDENT_AGE_OFF, FAMILY, {"dependent:1"}, False, [], id="seed 002 age-off: a spouse does not age off"),
    pytest.param(QE.DEPENDENT_AGE_OFF, FAMILY, None, False, [], id="decision: age-off needs the child chosen"),
    pytest.param(QE.TERMINATION, [EMPLOYEE, PARTNER], None, False, [EMPLOYEE],
                 id="decision: a domestic partner is no federal qualified beneficiary"),
    pytest.param(QE.TERMINATION, [EMPLOYEE, PARTNER], None, True, [EMPLOYEE, PARTNER],
                 id="decision: state continuation counts a domestic partner as a spouse"),
    pytest.param(QE.DEATH, [EMPLOYEE, PARTNER, KIT], None, True, [PARTNER, KIT],
                 id="decision: state continuation, death: partner and children"),
])
def test_qualified_beneficiaries(event_type, covered, chosen, state, expected):
    assert rules.qualified_beneficiaries(event_type=event_type, covered=covered, chosen=chosen,
                                         state_continuation=state) == expected


# Maximum period

@pytest.mark.parametrize("event_type, disability, second, months", [
    pytest.param(QE.TERMINATION, False, False, 18, id="cobra-rules.md: termination 18 months"),
    pytest.param(QE.REDUCTION_OF_HOURS, False, False, 18, id="cobra-rules.md: reduction of hours 18 months"),
    pytest.param(QE.MILITARY_LEAVE, False, False, 18, id="seed 001: military leave (COBRA), a reduction of hours"),
    pytest.param(QE.LOSS_OF_ELIGIBILITY, False, False, 18, id="seed 001: no longer eligible (COBRA), 18 months"),
    pytest.param(QE.OTHER, False, False, 18, id="decision: other, 18 months"),
    pytest.param(QE.DEATH, False, False, 36, id="cobra-rules.md: death 36 months"),
    pytest.param(QE.DIVORCE, False, False, 36, id="cobra-rules.md: divorce 36 months"),
    pytest.param(QE.MEDICARE, False, False, 36, id="cobra-rules.md: Medicare 36 months"),
    pytest.param(QE.DEPENDENT_AGE_OFF, False, False, 36, id="cobra-rules.md: age-off 36 months"),
    pytest.param(QE.TERMINATION, True, False, 29, id="cobra-rules.md: disability extension 18 -> 29"),
    pytest.param(QE.REDUCTION_OF_HOURS, False, True, 36, id="cobra-rules.md: second qualifying event -> 36"),
    pytest.param(QE.TERMINATION, True, True, 36, id="cobra-rules.md: second event during a 29-month period -> 36"),
    pytest.param(QE.DIVORCE, True, False, 36, id="ERISA 602(2)(A): disability extends only an 18-month period"),
])
def test_max_period_months(event_type, disability, second, months):
    assert rules.max_period_months(event_type=event_type, disability_extension=disability, second_event=second) == months


@pytest.mark.parametrize("event_type, eligibility_date, event_date, medicare, relationship, disability, expected", [
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), None, R.EMPLOYEE, False, (18, D(2028, 5, 31)),
                 id="seed 002: 18 months from the eligibility date, last day of coverage"),
    pytest.param(QE.TERMINATION, D(2026, 11, 14), D(2026, 11, 13), None, R.EMPLOYEE, False, (18, D(2028, 5, 13)),
                 id="seed 002: coverage ending on the event date starts the period mid-month"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), None, R.SPOUSE, True, (29, D(2029, 4, 30)),
                 id="cobra-rules.md: disability extension to 29 months"),
    pytest.param(QE.DIVORCE, D(2026, 12, 1), D(2026, 11, 13), None, R.SPOUSE, False, (36, D(2029, 11, 30)),
                 id="cobra-rules.md: divorce 36 months"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), D(2026, 3, 1), R.SPOUSE, False, (36, D(2029, 2, 28)),
                 id="cobra-rules.md: Medicare 8 months before termination, spouse: 36 months from Medicare"),
    pytest.param(QE.REDUCTION_OF_HOURS, D(2026, 12, 1), D(2026, 11, 13), D(2026, 3, 1), R.CHILD, False, (36, D(2029, 2, 28)),
                 id="cobra-rules.md: Medicare before reduction of hours, child"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), D(2026, 3, 1), R.EMPLOYEE, False, (18, D(2028, 5, 31)),
                 id="cobra-rules.md: the Medicare rule extends the spouse and children, not the employee"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), D(2025, 7, 1), R.SPOUSE, False, (36, D(2028, 6, 30)),
                 id="cobra-rules.md: Medicare 16 months before: later of 36 from Medicare and 18 from the event"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), D(2025, 6, 1), R.SPOUSE, False, (18, D(2028, 5, 31)),
                 id="cobra-rules.md: 36 from Medicare ends the same day as 18 from the event"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), D(2025, 7, 1), R.SPOUSE, True, (29, D(2029, 4, 30)),
                 id="26 CFR 54.4980B-7: the later end wins, here the disability extension"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), D(2025, 5, 13), R.SPOUSE, False, (18, D(2028, 5, 31)),
                 id="cobra-rules.md: Medicare exactly 18 months before is not less than 18 months"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), D(2026, 11, 13), D(2027, 1, 1), R.SPOUSE, False, (18, D(2028, 5, 31)),
                 id="cobra-rules.md: Medicare after the event is a second event, not this rule"),
    pytest.param(QE.DIVORCE, D(2026, 12, 1), D(2026, 11, 13), D(2026, 3, 1), R.SPOUSE, False, (36, D(2029, 11, 30)),
                 id="cobra-rules.md: the Medicare rule is for termination or reduction of hours only"),
])
def test_max_period_end(event_type, eligibility_date, event_date, medicare, relationship, disability, expected):
    assert rules.max_period_end(event_type=event_type, eligibility_date=eligibility_date, event_date=event_date,
                                medicare_entitlement_date=medicare, relationship=relationship,
                                disability_extension=disability) == expected


@pytest.mark.parametrize("state, expected", [
    pytest.param("CA", (36, D(2029, 11, 30)), id="cobra-rules.md: Cal-COBRA 36 months, also after a termination"),
    pytest.param("IL", (12, D(2027, 11, 30)), id="cobra-rules.md: Illinois 12 months"),
])
def test_max_period_end_under_a_state_law(state, expected):
    state_rule = next(rule for rule in rules.DEFAULT_STATE_RULES if rule.state == state)
    assert rules.max_period_end(event_type=QE.TERMINATION, eligibility_date=D(2026, 12, 1), event_date=D(2026, 11, 13),
                                medicare_entitlement_date=None, relationship=R.EMPLOYEE,
                                state_rule=state_rule) == expected


# Coverage dates

@pytest.mark.parametrize("event_date, coverage_ends, coverage_end, eligibility_date", [
    pytest.param(D(2026, 11, 13), CoverageEnds.END_OF_MONTH, D(2026, 11, 30), D(2026, 12, 1),
                 id="seed 002: coverage usually ends at month end; COBRA starts the day after"),
    pytest.param(D(2018, 12, 23), CoverageEnds.END_OF_MONTH, D(2018, 12, 31), D(2019, 1, 1),
                 id="seed 001: retro termination 12/23/2018, coverage to year end"),
    pytest.param(D(2028, 2, 10), CoverageEnds.END_OF_MONTH, D(2028, 2, 29), D(2028, 3, 1), id="month end in a leap year"),
    pytest.param(D(2026, 11, 13), CoverageEnds.EVENT_DATE, D(2026, 11, 13), D(2026, 11, 14),
                 id="seed 002: some plans end coverage on the event date"),
])
def test_coverage_end_and_eligibility_date(event_date, coverage_ends, coverage_end, eligibility_date):
    assert rules.coverage_end_date(event_date=event_date, coverage_ends=coverage_ends) == coverage_end
    assert rules.cobra_eligibility_date(coverage_end) == eligibility_date


@pytest.mark.parametrize("product_end, today, open_", [
    pytest.param(D(2026, 11, 30), D(2027, 1, 14), True, id="seed 002: within 45 days of the product ending"),
    pytest.param(D(2026, 11, 30), D(2027, 1, 15), False, id="seed 002: 46 days after the product ended"),
    pytest.param(D(2026, 11, 30), D(2026, 11, 23), True, id="seed 002: a product that has not ended yet"),
])
def test_marking_window_open(product_end, today, open_):
    assert rules.marking_window_open(product_end=product_end, today=today) is open_


# Plans of record

def fact(key, plan_type, year, *, effective=None, end=None, year_start=None):
    """An enrollment in a calendar plan year (or one starting on year_start)."""
    start = year_start or D(year, 1, 1)
    return EnrollmentFact(key=key, plan_key=f"{plan_type}-{year}", plan_type=plan_type, plan_year_start=start,
                          plan_year_end=start + relativedelta(years=1) - timedelta(days=1),
                          effective_date=effective or start, end_date=end, coverage_ends=CoverageEnds.END_OF_MONTH,
                          covered_member_keys=frozenset({"employee"}))


NEW_HIRE_MEDICAL = fact("med", PT.MEDICAL, 2018, effective=D(2018, 7, 1))
MED_2018 = fact("med-2018", PT.MEDICAL, 2018, end=D(2018, 12, 31))
DEN_2018 = fact("den-2018", PT.DENTAL, 2018, end=D(2018, 12, 31))
LIFE_2018 = fact("life-2018", PT.LIFE, 2018, end=D(2018, 12, 31))
MED_2019 = fact("med-2019", PT.MEDICAL, 2019)
DEN_2019 = fact("den-2019", PT.DENTAL, 2019)
RENEWED = [MED_2018, DEN_2018, LIFE_2018, MED_2019, DEN_2019]
# 2018 enrollments closed when open enrollment made the 2019 plans current (seed 001: "the 2018 plans have ended")
CLOSED_2018 = [fact("med-2018", PT.MEDICAL, 2018, end=D(2018, 12, 15)), fact("den-2018", PT.DENTAL, 2018, end=D(2018, 12, 15)),
               MED_2019, DEN_2019]
MED_2026 = fact("med-2026", PT.MEDICAL, 2026)
DEN_DROPPED_2026 = fact("den-2026", PT.DENTAL, 2026, end=D(2026, 6, 30))


@pytest.mark.parametrize("event_date, enrollments, source, keys", [
    pytest.param(D(2018, 7, 1), [NEW_HIRE_MEDICAL], Src.TERMINATION_TOOL, ["med"],
                 id="seed 001: coverage effective 7/1/2018, termination 7/1/2018 triggers"),
    pytest.param(D(2018, 6, 30), [NEW_HIRE_MEDICAL], Src.TERMINATION_TOOL, [],
                 id="seed 001: termination 6/30/2018, before coverage starts, does not"),
    pytest.param(D(2018, 12, 23), RENEWED, Src.TERMINATION_TOOL, ["med-2018", "den-2018"],
                 id="seed 001: termination 12/23/2018 entered 1/2/2019 triggers on the 2018 plans, not life"),
    pytest.param(D(2018, 12, 23), CLOSED_2018, Src.TERMINATION_TOOL, ["med-2018", "den-2018"],
                 id="seed 001: a retro termination reinstates the ended 2018 plans"),
    pytest.param(D(2018, 12, 23), CLOSED_2018, Src.IMPORT, ["med-2018", "den-2018"],
                 id="seed 001: an imported retro termination reinstates them too"),
    pytest.param(D(2018, 12, 23), CLOSED_2018, Src.ENROLLMENT_EDITOR, [],
                 id="seed 001: a backdated enrollment-editor drop does not reinstate prior plans"),
    pytest.param(D(2018, 12, 23), CLOSED_2018, Src.LIFE_EVENT, [],
                 id="seed 001: a backdated life event does not reinstate prior plans"),
    pytest.param(D(2018, 12, 23), RENEWED, Src.ENROLLMENT_EDITOR, ["med-2018", "den-2018"],
                 id="seed 001: the enrollment editor uses the enrollments in force on the drop date"),
    pytest.param(D(2019, 1, 15), RENEWED, Src.TERMINATION_TOOL, ["med-2019", "den-2019"],
                 id="seed 001: a future termination uses the plans in force on its date (the renewals)"),
    pytest.param(D(2018, 12, 31), RENEWED, Src.TERMINATION_TOOL, ["med-2018", "den-2018"],
                 id="seed 001: a future termination on the last day of the plan year uses that year's plans"),
    pytest.param(D(2026, 11, 13), [MED_2026, DEN_DROPPED_2026], Src.TERMINATION_TOOL, ["med-2026"],
                 id="seed 001 'coverage is in effect': dental dropped in June is not reinstated"),
    pytest.param(D(2026, 3, 1), [fact("fsa", PT.FSA, 2025, year_start=D(2025, 7, 1))], Src.LIFE_EVENT, ["fsa"],
                 id="seed 001: a plan year that is not the calendar year"),
])
def test_plans_of_record(event_date, enrollments, source, keys):
    found = rules.plans_of_record(event_date=event_date, enrollments=enrollments, source=source)
    assert [e.key for e in found] == keys


# Employer size and the governing law

@pytest.mark.parametrize("full_time, part_time_hours, full_time_hours, count", [
    pytest.param(15, [Decimal(20), Decimal(20), Decimal(10)], 40, Decimal("16.25"),
                 id="seed 003: a part-timer counts hours worked / full-time hours"),
    pytest.param(19, [Decimal(30), Decimal(10)], 40, Decimal("20.00"), id="seed 003: part-timers can make 20"),
    pytest.param(10, [Decimal(45)], 40, Decimal("11.00"), id="decision: a part-timer counts at most 1"),
    pytest.param(19, [Decimal("39.99")], 40, Decimal("19.99"), id="decision: rounding down never makes 20"),
    pytest.param(0, [], 40, Decimal("0.00"), id="no employees"),
])
def test_employer_size_count(full_time, part_time_hours, full_time_hours, count):
    assert rules.employer_size_count(full_time_count=full_time, part_time_hours=part_time_hours,
                                     full_time_hours=full_time_hours) == count


@pytest.mark.parametrize("count, subject", [
    pytest.param(Decimal("20"), True, id="seed 003: 20 or more employees"),
    pytest.param(Decimal("120"), True, id="seed 003: a large employer"),
    pytest.param(Decimal("19.99"), False, id="seed 003: fewer than 20"),
])
def test_subject_to_federal_cobra(count, subject):
    assert rules.subject_to_federal_cobra(prior_year_employee_count=count) is subject


@pytest.mark.parametrize("state, months, cap, disability_cap, election_days", [
    pytest.param("CA", 36, "110", "150", 60, id="cobra-rules.md: Cal-COBRA"),
    pytest.param("NY", 36, "102", None, 60, id="cobra-rules.md: NY"),
    pytest.param("TX", 9, "102", None, 60, id="cobra-rules.md: TX"),
    pytest.param("FL", 18, "115", None, 30, id="cobra-rules.md: FL"),
    pytest.param("IL", 12, "100", None, 30, id="cobra-rules.md: IL"),
    pytest.param("NJ", 18, "102", None, 30, id="cobra-rules.md: NJ"),
    pytest.param("MA", 18, "102", None, 60, id="cobra-rules.md: MA"),
    pytest.param("GA", 3, "100", None, 31, id="cobra-rules.md: GA"),
])
def test_default_state_rules(state, months, cap, disability_cap, election_days):
    rule = STATE_RULES[state]
    assert (rule.max_months, rule.premium_cap_pct, rule.disability_premium_pct, rule.election_days) == (
        months, Decimal(cap), disability_cap and Decimal(disability_cap), election_days)
    assert rule.insured_only and "cobra-rules.md" in rule.source_note


def test_default_state_rules_cover_the_spec_table_once():
    assert sorted(STATE_RULES) == sorted(rule.state for rule in rules.DEFAULT_STATE_RULES) == [
        "CA", "FL", "GA", "IL", "MA", "NJ", "NY", "TX"]


@pytest.mark.parametrize("count, state, self_funded, law, rule_state, reason", [
    pytest.param("120", "NY", False, "federal", "NY", "NY extends it to 36 months",
                 id="seed 003: 20 or more is federal; cobra-rules.md: NY extends federal COBRA"),
    pytest.param("25", "TX", False, "federal", None, "federal: 25 employees", id="seed 003: federal COBRA"),
    pytest.param("25", "CA", True, "federal", None, "federal", id="cobra-rules.md: no state extension for a self-funded plan"),
    pytest.param("30", "NJ", False, "federal", None, "federal", id="seed 003: federal wins over NJ's 2-50"),
    pytest.param("12", "CA", False, "CA", "CA", "CA: 12 employees", id="seed 004: Cal-COBRA for a small CA employer"),
    pytest.param("19.5", "CA", False, "CA", "CA", "under 20", id="seed 004: 19.5 is under 20, within CA's 2-19"),
    pytest.param("12", "NY", False, "NY", "NY", "not verified", id="cobra-rules.md: NY, any size"),
    pytest.param("1", "CA", False, "none", "CA", "does not cover", id="cobra-rules.md: CA covers employers of 2-19"),
    pytest.param("12", "WA", False, "unknown", None, "unknown: check the state's law",
                 id="cobra-rules.md: a state missing from the table is unknown"),
    pytest.param("12", "", False, "unknown", None, "unknown: check the state's law", id="cobra-rules.md: no situs state"),
    pytest.param("12", "CA", True, "none", None, "self-funded", id="cobra-rules.md: a self-funded plan gets no state continuation"),
    pytest.param("12", "WA", True, "none", None, "self-funded", id="cobra-rules.md: self-funded, whatever the state"),
    pytest.param(None, "CA", False, "unknown", None, "employee count", id="seed 003: the count decides, so it must be known"),
])
def test_continuation_law(count, state, self_funded, law, rule_state, reason):
    result = rules.continuation_law(prior_year_employee_count=count and Decimal(count), situs_state=state,
                                    state_rules=STATE_RULES, self_funded=self_funded)
    assert (result.law, result.rule and result.rule.state) == (law, rule_state)
    assert reason in result.reason


def test_continuation_law_shows_when_the_deciding_row_was_verified():
    """cobra-rules.md: store a "last verified" date per row and show it wherever the row decides something."""
    verified = StateRule("MA", 18, Decimal("102"), None, 60, 2, 19, last_verified=D(2026, 11, 1))
    result = rules.continuation_law(prior_year_employee_count=Decimal(8), situs_state="MA", state_rules={"MA": verified})
    assert (result.law, result.reason) == ("MA", "MA: 8 employees last year, under 20 (last verified 2026-11-01)")


def test_a_state_law_that_reaches_self_funded_plans_applies_to_them():
    """cobra-rules.md: state laws apply to insured plans only, which is the row's insured_only flag."""
    reaches = StateRule("ZZ", 12, Decimal("100"), None, 30, None, None, insured_only=False)
    result = rules.continuation_law(prior_year_employee_count=Decimal(8), situs_state="ZZ", state_rules={"ZZ": reaches},
                                    self_funded=True)
    assert result.law == "ZZ"


# Deadlines

CA_LAW = Continuation("CA", STATE_RULES["CA"], "")
FL_LAW = Continuation("FL", STATE_RULES["FL"], "")
FEDERAL_WITH_NY = Continuation("federal", STATE_RULES["NY"], "")


@pytest.mark.parametrize("event_type, eligibility_date, employer_admin, notified, sent, continuation, expected", [
    pytest.param(QE.TERMINATION, D(2026, 12, 1), False, D(2026, 11, 20), D(2026, 11, 30), None,
                 (D(2026, 12, 13), None, D(2026, 12, 4), D(2027, 1, 30)),
                 id="cobra-rules.md: employer 30 days, notice 14 days after told, election 60 after loss of coverage"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), False, D(2026, 11, 20), D(2026, 12, 4), None,
                 (D(2026, 12, 13), None, D(2026, 12, 4), D(2027, 2, 2)),
                 id="cobra-rules.md: election 60 days after the notice when it comes later"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), False, None, None, None,
                 (D(2026, 12, 13), None, D(2026, 12, 27), D(2027, 2, 25)),
                 id="decision: not told and not sent yet, estimated from the last allowed days"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), True, None, None, None,
                 (None, None, D(2026, 12, 27), D(2027, 2, 25)),
                 id="cobra-rules.md: 44 days after the event when the employer is the administrator"),
    pytest.param(QE.DEATH, D(2026, 12, 1), False, D(2026, 11, 16), None, None,
                 (D(2026, 12, 13), None, D(2026, 11, 30), D(2027, 1, 30)),
                 id="cobra-rules.md: death, the employer tells the administrator"),
    pytest.param(QE.MEDICARE, D(2026, 12, 1), False, D(2026, 11, 16), None, None,
                 (D(2026, 12, 13), None, D(2026, 11, 30), D(2027, 1, 30)),
                 id="cobra-rules.md: Medicare, the employer tells the administrator"),
    pytest.param(QE.DIVORCE, D(2026, 12, 1), False, D(2026, 12, 10), None, None,
                 (None, D(2027, 1, 30), D(2026, 12, 24), D(2027, 2, 22)),
                 id="cobra-rules.md: divorce, the beneficiary has 60 days after the later loss of coverage"),
    pytest.param(QE.DEPENDENT_AGE_OFF, D(2026, 11, 14), True, D(2026, 11, 20), None, None,
                 (None, D(2027, 1, 13), D(2026, 12, 4), D(2027, 2, 2)),
                 id="2590.606-4(b): age-off, 14 days after told even when the employer administers"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), False, D(2026, 11, 20), D(2026, 11, 30), CA_LAW,
                 (D(2026, 12, 13), None, D(2026, 12, 4), D(2027, 1, 30)), id="cobra-rules.md: Cal-COBRA, 60 days"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), False, D(2026, 11, 20), D(2026, 12, 5), FL_LAW,
                 (D(2026, 12, 13), None, D(2026, 12, 4), D(2027, 1, 4)), id="cobra-rules.md: FL, 30 days after notice"),
    pytest.param(QE.TERMINATION, D(2026, 12, 1), False, D(2026, 11, 20), D(2026, 11, 30), FEDERAL_WITH_NY,
                 (D(2026, 12, 13), None, D(2026, 12, 4), D(2027, 1, 30)),
                 id="ERISA 605(a): federal COBRA keeps 60 days when a state only extends it"),
])
def test_event_deadlines(event_type, eligibility_date, employer_admin, notified, sent, continuation, expected):
    deadlines = rules.event_deadlines(
        event_type=event_type, event_date=D(2026, 11, 13), eligibility_date=eligibility_date,
        employer_is_administrator=employer_admin, administrator_notified_on=notified, election_notice_sent_on=sent,
        continuation=continuation)
    assert (deadlines.employer_notice_due, deadlines.beneficiary_notice_due, deadlines.election_notice_due,
            deadlines.election_due) == expected


@pytest.mark.parametrize("deadline, day, due", [
    pytest.param(rules.first_premium_due, D(2027, 1, 30), D(2027, 3, 16), id="seed 003: first payment within 45 days"),
    pytest.param(rules.grace_end, D(2027, 3, 1), D(2027, 3, 31), id="seed 003: 30-day grace period"),
    pytest.param(rules.unavailability_notice_due, D(2026, 11, 23), D(2026, 12, 7),
                 id="cobra-rules.md: notice of unavailability 14 days after the request"),
])
def test_day_count_deadlines(deadline, day, due):
    assert deadline(day) == due


# Premiums

@pytest.mark.parametrize("plan_cost, law, state_rule, disability_month, admin_fee, premium", [
    pytest.param("500.00", "federal", None, False, "0", "510.00", id="seed 003: at most 102% of the plan's cost"),
    pytest.param("500.00", "federal", None, True, "0", "750.00", id="cobra-rules.md: 150% in disability months"),
    pytest.param("333.33", "federal", None, False, "0", "339.99", id="decision: rounded down, never above the cap"),
    pytest.param("500.00", "CA", STATE_RULES["CA"], False, "0", "550.00", id="cobra-rules.md: Cal-COBRA 110%"),
    pytest.param("500.00", "CA", STATE_RULES["CA"], True, "0", "750.00", id="cobra-rules.md: Cal-COBRA 150% disability months"),
    pytest.param("500.00", "FL", STATE_RULES["FL"], True, "0", "575.00", id="cobra-rules.md: FL 115%, no disability rate"),
    pytest.param("500.00", "IL", STATE_RULES["IL"], False, "12.50", "512.50", id="cobra-rules.md: IL 100% + admin fee"),
    pytest.param("500.00", "GA", STATE_RULES["GA"], False, "0", "500.00", id="cobra-rules.md: GA 100%"),
])
def test_monthly_premium(plan_cost, law, state_rule, disability_month, admin_fee, premium):
    assert rules.monthly_premium(plan_cost=Decimal(plan_cost), law=law, state_rule=state_rule,
                                 disability_month=disability_month, admin_fee=Decimal(admin_fee)) == Decimal(premium)


def test_monthly_premium_from_a_continuation():
    federal = rules.continuation_law(prior_year_employee_count=Decimal(120), situs_state="NY", state_rules=STATE_RULES)
    assert rules.monthly_premium(plan_cost=Decimal("600.00"), continuation=federal) == Decimal("612.00")


@pytest.mark.parametrize("law, state_rule, admin_fee", [
    pytest.param("federal", None, "5", id="seed 003: the 2% is the administration fee"),
    pytest.param("none", None, "0", id="cobra-rules.md: no continuation, no premium"),
    pytest.param("unknown", None, "0", id="cobra-rules.md: unknown law is never silently federal"),
    pytest.param("CA", None, "0", id="a state law needs its row"),
])
def test_monthly_premium_refuses_what_no_law_allows(law, state_rule, admin_fee):
    with pytest.raises(ValueError):
        rules.monthly_premium(plan_cost=Decimal("500"), law=law, state_rule=state_rule, admin_fee=Decimal(admin_fee))


@pytest.mark.parametrize("due, paid, sufficient", [
    pytest.param("510.00", "510.00", True, id="cobra-rules.md: paid in full"),
    pytest.param("510.00", "520.00", True, id="paid more"),
    pytest.param("510.00", "460.00", True, id="cobra-rules.md: $50 short, less than 10% ($51)"),
    pytest.param("510.00", "459.99", False, id="cobra-rules.md: $50.01 short is significant"),
    pytest.param("300.00", "270.00", True, id="cobra-rules.md: 10% ($30) short, less than $50"),
    pytest.param("300.00", "269.99", False, id="cobra-rules.md: more than 10% short"),
])
def test_is_payment_sufficient(due, paid, sufficient):
    assert rules.is_payment_sufficient(amount_due=Decimal(due), amount_paid=Decimal(paid)) is sufficient
