"""record_election, record_payment and run_daily as an operator types them."""
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from continuation.models import DailyRun, Election, Payment
from continuation.tests.conftest import eligibilities, make_family
from enrollments.tests.factories import PlanFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_record_election_per_line_for_a_dependent_member_id(family):
    employee, (spouse, _), _ = family
    output = run("record_election", "E100-1", "elect", "--sent", "2027-01-05", "--plans", "med")
    assert "E100-1 med: Elected" in output and "E100-1 den: Waived" in output
    assert {code: e.status for code, e in eligibilities(employee, spouse).items()} == {"med": "elected", "den": "waived"}


def test_record_payment_by_postmark(family):
    run("record_election", "E100", "elect", "--sent", "2027-01-05")
    output = run("record_payment", "E100", "1122.00", "--sent", "2027-02-19", "--period", "2026-12")
    assert "Applied, paid through 2027-01-31" in output
    assert Payment.objects.get().periods == 2


def test_errors_name_the_argument_and_the_fix(family):
    with pytest.raises(CommandError, match="--sent: 2027-13-01 is not a date; use YYYY-MM-DD"):
        run("record_election", "E100", "elect", "--sent", "2027-13-01")
    with pytest.raises(CommandError, match="member_id: no employee or dependent E999"):
        run("record_election", "E999", "elect", "--sent", "2027-01-05")
    with pytest.raises(CommandError, match="not enrolled in vis"):
        run("record_election", "E100", "elect", "--sent", "2027-01-05", "--plans", "vis")
    with pytest.raises(CommandError, match="no elected continuation coverage"):
        run("record_payment", "E100", "561", "--sent", "2027-01-05")
    with pytest.raises(CommandError, match="amount: ten is not an amount"):
        run("record_payment", "E100", "ten", "--sent", "2027-01-05")


def test_an_employee_id_in_two_companies_needs_company(world, family):
    alpha_plan = PlanFactory(company=world.alpha, code="alpha-med", plan_year_start=date(2026, 7, 1),
                             plan_year_end=date(2027, 6, 30))
    make_family(world.alpha, [alpha_plan], employee_id="E100")
    with pytest.raises(CommandError, match="E100 exists in companies alpha, beta; add --company CODE"):
        run("record_election", "E100", "elect", "--sent", "2027-01-05")
    run("record_election", "E100", "waive", "--sent", "2027-01-05", "--company", "alpha")
    assert Election.objects.get().eligibility.employee.company == world.alpha


def test_run_daily_as_of_is_recorded_once(family):
    run("record_election", "E100", "elect", "--sent", "2027-01-05")
    first = run("run_daily", "--as-of", "2027-02-20")
    assert "non_payment: 2" in first
    assert run("run_daily", "--as-of", "2027-02-20") == first
    assert DailyRun.objects.filter(as_of=date(2027, 2, 20), finished_at__isnull=False).count() == 1
    with pytest.raises(CommandError, match="--as-of: 2027-02-30 is not a date"):
        run("run_daily", "--as-of", "2027-02-30")


def test_record_extension_disability_and_second_event(family):
    output = run("record_extension", "E100", "disability", "--disabled-on", "2026-12-15", "--determined-on", "2027-04-01",
                 "--notified-on", "2027-05-01")
    assert "med: 29 months, to 2029-04-30" in output
    output = run("record_extension", "E100-1", "divorce", "--event-date", "2027-06-01", "--notified-on", "2027-07-01")
    assert "med: 36 months, to 2029-11-30" in output
    with pytest.raises(CommandError, match="--event-date is required"):
        run("record_extension", "E100-2", "death", "--notified-on", "2027-07-01")
    with pytest.raises(CommandError, match="use employee_id-dependent_id"):
        run("record_extension", "E100", "death", "--event-date", "2027-06-01", "--notified-on", "2027-07-01")


def test_record_end_request_ends_at_month_end(family):
    run("record_election", "E100-1", "elect", "--sent", "2027-01-05")
    output = run("record_end", "E100-1", "early_end_requested", "--on", "2027-03-10", "--plans", "med")
    assert output == "E100-1 med: coverage ends 2027-03-31\n"
    with pytest.raises(CommandError, match="has no continuation of vis"):
        run("record_end", "E100-1", "medicare", "--on", "2027-03-10", "--plans", "vis")
