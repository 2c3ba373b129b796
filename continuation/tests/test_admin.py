"""The continuation admin pages: they load, stay inside the user's companies, and their actions call the services."""
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from continuation import services
from continuation.models import CarrierSwitchOffer, Election, OfferAnswer
from continuation.rules import EndReason, month_end
from continuation.tests.conftest import make_family
from enrollments.tests.factories import PlanFactory

D = date
pytestmark = pytest.mark.django_db
PAGES = ["election", "payment", "carrierswitchoffer", "digest", "dailyrun", "continuationsettings"]


def _grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="continuation", codename__in=codenames))


@pytest.fixture
def elected(world, plans):
    """B1 at beta and A1 at alpha, each elected and paid for December."""
    alpha_plan = PlanFactory(company=world.alpha, code="alpha-med", plan_year_start=D(2026, 7, 1), plan_year_end=D(2027, 6, 30),
                             monthly_premium=Decimal("400.00"))
    for company, plan_list, employee_id in ((world.beta, [plans["med"]], "B1"), (world.alpha, [alpha_plan], "A1")):
        employee, _, _ = make_family(company, plan_list, employee_id=employee_id)
        services.election_record(employee=employee, dependent=None, choice="elect", sent_on=D(2026, 12, 1), today=D(2026, 12, 1))
    return world


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_for_a_superuser(client, elected, page):
    client.force_login(elected.admin)
    assert client.get(reverse(f"admin:continuation_{page}_changelist")).status_code == 200


def test_the_election_list_links_the_dashboard_and_stays_in_scope(client, elected):
    _grant(elected.broker_a, "view_election")
    client.force_login(elected.broker_a)
    response = client.get(reverse("admin:continuation_election_changelist"))
    assert {e.eligibility.employee.employee_id for e in response.context["cl"].result_list} == {"A1"}
    assert reverse("admin:continuation_dashboard") in response.content.decode()
    other = Election.objects.get(eligibility__employee__employee_id="B1")
    assert client.get(reverse("admin:continuation_election_change", args=[other.pk])).status_code == 404


def test_without_the_eligibility_permission_the_dashboard_is_forbidden(client, elected):
    elected.broker_a.groups.clear()
    client.force_login(elected.broker_a)
    assert client.get(reverse("admin:continuation_dashboard")).status_code == 403


def test_actions_call_the_services(client, elected):
    _grant(elected.broker_a, "view_election", "change_election")
    client.force_login(elected.broker_a)
    election = Election.objects.get(eligibility__employee__employee_id="A1")
    url = reverse("admin:continuation_election_changelist")
    client.post(url, {"action": "confirm_today", "_selected_action": [election.pk]})
    client.post(url, {"action": "early_end_requested_today", "_selected_action": [election.pk]})
    election.refresh_from_db()
    today = timezone.localdate()
    assert election.confirmed_on == today
    assert (election.scheduled_end, election.end_reason) == (month_end(today), EndReason.EARLY_END_REQUESTED)


def test_carrier_switch_answers(client, elected, plans):
    renewal = PlanFactory(company=elected.beta, code="med", plan_type="medical", carrier="Kaiser",
                          plan_year_start=D(2027, 7, 1), plan_year_end=D(2028, 6, 30), renews=plans["med"])
    services.carrier_switch_offers_make(as_of=D(2027, 5, 1))
    offer = CarrierSwitchOffer.objects.get()
    assert (offer.new_plan, offer.answer_due) == (renewal, D(2027, 6, 30))
    _grant(elected.broker_b, "view_carrierswitchoffer", "change_carrierswitchoffer")
    client.force_login(elected.broker_b)
    client.post(reverse("admin:continuation_carrierswitchoffer_changelist"),
                {"action": "accept_today", "_selected_action": [offer.pk]})
    offer.refresh_from_db()
    assert offer.answer == OfferAnswer.ACCEPTED
