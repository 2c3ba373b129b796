"""Admin screens: scoping (out of scope = 404), the Add a service wizard, status history, lists without N+1."""
from datetime import date

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollments.tests.factories import PlanFactory
from exchange import services
from exchange.models import Connection, ConnectionStatus
from exchange.tests import helpers


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client
    return as_user


def test_connections_items_and_files_of_other_agencies_answer_404(world, acme, alpha_acme, login):
    helpers.record_event(helpers.covered_family(world.alpha))
    services.exchange_run(as_of=date(2026, 11, 23))
    item, exchange_file = alpha_acme.items.first(), alpha_acme.files.first()
    urls = [reverse("admin:exchange_connection_change", args=[alpha_acme.pk]),
            reverse("admin:exchange_exchangeitem_change", args=[item.pk]),
            reverse("admin:exchange_exchangefile_change", args=[exchange_file.pk]),
            reverse("admin:exchange_connection_history", args=[alpha_acme.pk]),
            reverse("admin:exchange_exchangeitem_history", args=[item.pk])]
    client = login(world.broker_b)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert "Alpha Foods" not in client.get(reverse("admin:exchange_connection_changelist")).content.decode()
    client = login(world.broker_a)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_brokers_see_vendors_and_hr_sees_its_connection_read_only(world, acme, alpha_acme, login):
    client = login(world.broker_b)
    assert "Acme COBRA" in client.get(reverse("admin:exchange_vendor_changelist")).content.decode()
    client = login(world.hr_alpha)
    page = client.get(reverse("admin:exchange_connection_change", args=[alpha_acme.pk]))
    assert page.status_code == 200 and "End participation" not in page.content.decode()
    assert client.post(reverse("admin:exchange_connection_end", args=[alpha_acme.pk]),
                       {"ends_on": "11/23/2026"}).status_code == 403


def test_connection_page_lists_held_people_with_the_missing_fields(world, alpha_acme, login):
    helpers.record_event(helpers.covered_family(world.alpha, dependents=(), first_name="Nodob", dob=None))
    services.exchange_run(as_of=date(2026, 11, 23))
    page = login(world.broker_a).get(reverse("admin:exchange_connection_change", args=[alpha_acme.pk])).content.decode()
    assert "Held back: missing information (1)" in page and "Nodob Doe" in page and "missing date of birth" in page


def test_status_change_in_the_admin_is_recorded_with_who_and_when(world, alpha_acme, login):
    client = login(world.broker_a)
    url = reverse("admin:exchange_connection_change", args=[alpha_acme.pk])
    form = {"subscriber_group": "All employees", "primary_contact": "", "status": "inactive", "ends_on": "",
            **{f"{prefix}-{k}": v for prefix in ("plan_exclusions", "status_changes", "files")
               for k, v in {"TOTAL_FORMS": "0", "INITIAL_FORMS": "0"}.items()}}
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    alpha_acme.refresh_from_db()
    assert alpha_acme.status == ConnectionStatus.INACTIVE
    change = alpha_acme.status_changes.first()
    assert (change.from_status, change.to_status, change.by) == ("active", "inactive", world.broker_a)


def test_broker_ends_participation_now(world, alpha_acme, login):
    login(world.broker_a).post(reverse("admin:exchange_connection_end", args=[alpha_acme.pk]),
                               {"ends_on": date.today().strftime("%Y-%m-%d")})
    alpha_acme.refresh_from_db()
    assert alpha_acme.status == ConnectionStatus.INACTIVE


def test_add_a_service_wizard(world, acme, login):
    world.alpha.ein = ""
    world.alpha.save()
    this_year = PlanFactory(company=world.alpha, code="vis", plan_type="vision", plan_year_start=date(2026, 1, 1),
                            plan_year_end=date(2026, 12, 31))
    client = login(world.broker_a)
    step = lambda n: reverse("admin:exchange_connection_add_service", args=[n])  # noqa: E731
    page = client.get(step(1)).content.decode()
    assert "Alpha Foods" in page and "Beta Freight" not in page and "All employees" in page
    assert client.post(step(1), {"company": world.beta.pk, "vendor": acme.pk, "subscriber_group": "All employees"}).status_code == 200
    narrower = client.post(step(1), {"company": world.alpha.pk, "vendor": acme.pk, "subscriber_group": "Managers"})
    assert narrower.status_code == 200 and "Select a valid choice" in narrower.content.decode()
    assert client.post(step(1), {"company": world.alpha.pk, "vendor": acme.pk, "subscriber_group": "All employees"}).status_code == 302
    company_info = {"ein": "", "address1": "1 Main St", "city": "Fresno", "state": "CA", "zip": "93650", "phone": "559-555-0100"}
    assert "This field is required" in client.post(step(2), company_info).content.decode()
    assert client.post(step(2), company_info | {"ein": "12-3456789"}).status_code == 302
    page = client.get(step(3)).content.decode()
    assert "broker_a" in page and "hr_alpha" in page and "broker_b" not in page
    assert client.post(step(3), {"primary_contact": world.hr_alpha.pk}).status_code == 302
    assert "vis" in client.get(step(4)).content.decode()
    assert client.post(step(4), {"excluded_plans": [this_year.pk]}).status_code == 302
    assert "Vision" in client.get(step(5)).content.decode()
    response = client.post(step(5))
    connection = Connection.objects.get(company=world.alpha, vendor=acme)
    assert response.url == reverse("admin:exchange_connection_change", args=[connection.pk])
    assert (connection.status, connection.primary_contact, connection.subscriber_group) == ("new", world.hr_alpha, "All employees")
    assert list(connection.plan_exclusions.values_list("plan_id", flat=True)) == [this_year.pk]
    world.alpha.refresh_from_db()
    assert world.alpha.ein == "12-3456789"
    assert login(world.hr_alpha).get(step(1)).status_code == 403


def test_renewed_plans_of_an_excluded_plan_are_shown_to_re_confirm(world, alpha_acme, login):
    last = PlanFactory(company=world.alpha, code="vis", plan_type="vision", plan_year_start=date(2025, 1, 1),
                       plan_year_end=date(2025, 12, 31))
    renewal = PlanFactory(company=world.alpha, code="vis", plan_type="vision", plan_year_start=date(2026, 1, 1),
                          plan_year_end=date(2026, 12, 31), renews=last)
    services.plan_exclusions_set(connection=alpha_acme, plans=[last], excluded=True)
    assert services.selectors.exclusions_to_confirm(connection=alpha_acme) == [renewal]
    page = login(world.broker_a).get(reverse("admin:exchange_connection_change", args=[alpha_acme.pk])).content.decode()
    assert "Renewed plans to re-confirm" in page
    services.plan_exclusions_set(connection=alpha_acme, plans=[renewal], excluded=False)
    assert services.selectors.exclusions_to_confirm(connection=alpha_acme) == []


def test_item_list_and_reconciliation_use_a_constant_number_of_queries(world, alpha_acme, login):
    client = login(world.broker_a)
    url = reverse("admin:exchange_exchangeitem_changelist")

    def queries():
        with CaptureQueriesContext(db_connection) as captured:
            assert client.get(url).status_code == 200
            assert client.get(reverse("admin:exchange_connection_reconciliation")).status_code == 200
        return len(captured)

    helpers.record_event(helpers.covered_family(world.alpha))
    services.exchange_run(as_of=date(2026, 11, 23))
    few = queries()
    for _ in range(5):
        helpers.record_event(helpers.covered_family(world.alpha, dependents=(), zip=""))
    services.exchange_run(as_of=date(2026, 11, 24))
    assert queries() == few


def test_a_new_connections_page_says_how_many_items_wait_for_pending(world, acme, login):
    connection = helpers.connect(world.alpha, acme, status=ConnectionStatus.NEW)
    helpers.record_event(helpers.covered_family(world.alpha, dependents=("spouse",)))
    page = login(world.broker_a).get(reverse("admin:exchange_connection_change", args=[connection.pk])).content.decode()
    assert "2 items wait for the vendor to move" in page
