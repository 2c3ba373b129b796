"""The COBRA screens in Debian's Chromium: Terminate & Continue to COBRA, a divorce, a Support reversal.

Screenshots of every step land in /tmp/shots/.
"""
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from enrollments import services, wizard
from enrollments.cobra.codes import EventSource, QualifyingEventType
from enrollments.models import CobraEligibility, EligibilityStatus, QualifyingEvent
from enrollments.tests.test_services import make_family

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
PASSWORD = "pw-for-tests-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture
def page(live_server, monkeypatch, today):
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setattr(wizard, "today", lambda: today)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1600, "height": 1000})
        tab.set_default_timeout(15000)
        yield tab
        browser.close()


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(username)


def open_employee(page, live_server, employee):
    page.goto(f"{live_server.url}/admin/enrollments/employee/{employee.pk}/change/")


def test_terminate_and_continue_to_cobra(page, live_server, world):
    family = make_family(world.alpha, first_name="Pat")
    login(page, live_server, "hr_alpha")
    open_employee(page, live_server, family.employee)
    shot(page, "terminate_01_employee")
    page.get_by_role("link", name="Terminate & Continue to COBRA").click()
    page.fill("#id_termination_date", "2026-11-13")
    page.select_option("#id_reason", "voluntary")
    shot(page, "terminate_02_form")
    page.click("input[name=_continue]")

    expect(page.locator("ol.wizard-steps li.current")).to_have_text("2. Dates and individuals")
    expect(page.locator("#id_event_date")).to_have_value("2026-11-13")
    expect(page.locator("#id_eligibility_date")).to_have_value("2026-12-01")
    shot(page, "terminate_03_step2_dates")
    page.click("input[name=_next]")

    expect(page.locator("ol.wizard-steps li.current")).to_have_text("3. Products")
    expect(page.locator(".field-products")).to_contain_text("Medical 2026")
    expect(page.locator(".field-products")).not_to_contain_text("Life 2026")
    shot(page, "terminate_04_step3_products")
    page.click("input[name=_next]")

    expect(page.locator("table.cobra-beneficiaries tbody tr")).to_have_count(6)
    shot(page, "terminate_05_step4_confirm")
    page.click("input[name=_confirm]")

    expect(page.locator(".messagelist")).to_contain_text("6 COBRA eligibilities")
    expect(page.locator(".field-cobra_eligibility")).to_contain_text("12/01/2026")
    shot(page, "terminate_06_employee_after")
    event = QualifyingEvent.objects.get()
    assert (event.event_type, event.source) == (QualifyingEventType.TERMINATION, EventSource.TERMINATION_TOOL)


def test_manage_cobra_event_for_a_divorce(page, live_server, world):
    family = make_family(world.alpha, first_name="Pat")
    login(page, live_server, "broker_a")
    open_employee(page, live_server, family.employee)
    page.get_by_role("link", name="Manage COBRA Event").click()

    page.get_by_label("Divorce or legal separation").check()
    shot(page, "divorce_01_step1_event")
    page.click("input[name=_next]")

    page.fill("#id_event_date", "2026-11-13")
    expect(page.get_by_label("Kit Doe (Child)")).not_to_be_checked()
    shot(page, "divorce_02_step2_individuals")
    page.click("input[name=_next]")

    page.get_by_label("Dental 2026", exact=False).uncheck()
    shot(page, "divorce_03_step3_products")
    page.click("input[name=_next]")

    rows = page.locator("table.cobra-beneficiaries tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Sam Doe")
    expect(rows.first).to_contain_text("36 months")
    shot(page, "divorce_04_step4_confirm")
    page.click("input[name=_confirm]")

    expect(page.locator(".messagelist")).to_contain_text("1 COBRA eligibility")
    expect(page.locator(".field-cobra_eligibility")).to_contain_text("Sam Doe")
    shot(page, "divorce_05_employee_after")
    row = CobraEligibility.objects.get()
    assert (row.dependent, row.plan.plan_type) == (family.spouse, "medical")


def test_support_reverses_a_mark(page, live_server, world, today):
    family = make_family(world.alpha, first_name="Pat", plans=("medical",))
    services.qualifying_event_mark(employee=family.employee, event_type=QualifyingEventType.REDUCTION_OF_HOURS,
                                   event_date=date(2026, 11, 13), source=EventSource.ENROLLMENT_EDITOR, today=today)
    target = CobraEligibility.objects.get(dependent=family.spouse)
    login(page, live_server, "support_user")
    page.goto(f"{live_server.url}/admin/enrollments/cobraeligibility/")
    expect(page.locator("#result_list")).to_contain_text("days left")
    shot(page, "reverse_01_eligibility_list")
    page.goto(f"{live_server.url}/admin/enrollments/cobraeligibility/{target.pk}/change/")
    page.get_by_role("link", name="Reverse mistaken mark").click()
    page.click("input[name=_reverse]")
    expect(page.locator(".field-reason .errorlist")).to_be_visible()
    page.fill("#id_reason", "Spouse was not covered: entered by mistake")
    shot(page, "reverse_02_reason")
    page.click("input[name=_reverse]")

    expect(page.locator(".messagelist")).to_contain_text("Reversed 1")
    shot(page, "reverse_03_after")
    target.refresh_from_db()
    assert target.status == EligibilityStatus.REVERSED
    assert target.history.latest().history_change_reason == "Spouse was not covered: entered by mistake"
