"""The COBRA admin screens through the Django test client: termination, the wizard, class-change drops, reversals."""
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollments import services, wizard
from enrollments.cobra.codes import EventSource, QualifyingEventType
from enrollments.models import CobraEligibility, EligibilityStatus, EmploymentStatus, QualifyingEvent
from enrollments.tests.factories import DependentFactory, EnrollmentFactory, PlanFactory
from enrollments.tests.test_services import make_family, marked

TERM_DATE = date(2026, 11, 13)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch, today):
    monkeypatch.setattr(wizard, "today", lambda: today)


@pytest.fixture
def family(world):
    return make_family(world.alpha, first_name="Pat")


def step_url(employee, step):
    return reverse("admin:enrollments_employee_cobra_event_step", args=[employee.pk, step])


def start_url(employee):
    return reverse("admin:enrollments_employee_cobra_event", args=[employee.pk])


def terminate_url(employee):
    return reverse("admin:enrollments_employee_terminate", args=[employee.pk])


def change_url(obj):
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


def post_ok(client, url, data, next_url):
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert response.url == next_url
    return response


def product_ids(family, *plan_types):
    return [str(family.enrollments[t].pk) for t in plan_types]


def test_employee_page_offers_both_entries(client, world, family):
    client.force_login(world.hr_alpha)
    html = client.get(change_url(family.employee)).content.decode()
    assert terminate_url(family.employee) in html and "Terminate &amp; Continue to COBRA" in html
    assert start_url(family.employee) in html and "Manage COBRA Event" in html


def test_terminate_and_continue_to_cobra(client, world, family):
    """Seed 002: the termination pre-fills the wizard (Termination, the termination date, day after product end)."""
    client.force_login(world.hr_alpha)
    employee = family.employee
    post_ok(client, terminate_url(employee), {"termination_date": "2026-11-13", "reason": "voluntary", "_continue": "1"},
            step_url(employee, 2))
    employee.refresh_from_db()
    assert employee.employment_status == EmploymentStatus.TERMINATED
    assert not QualifyingEvent.objects.exists()

    response = client.get(step_url(employee, 2))
    form = response.context["form"]
    assert form.initial["event_date"] == TERM_DATE and form.initial["eligibility_date"] == date(2026, 12, 1)
    assert "dependents" not in form.fields and "source" not in form.fields
    assert "Termination of employment" in response.content.decode()
    post_ok(client, step_url(employee, 2), {"event_date": "2026-11-13", "eligibility_date": "2026-12-01"},
            step_url(employee, 3))

    response = client.get(step_url(employee, 3))
    choices = dict(response.context["form"].fields["products"].choices)
    assert set(choices) == set(product_ids(family, "medical", "dental")), "life is not COBRA-qualified"
    post_ok(client, step_url(employee, 3), {"products": product_ids(family, "medical", "dental")}, step_url(employee, 4))

    response = client.get(step_url(employee, 4))
    html = response.content.decode()
    assert len(response.context["rows"]) == 6 and not response.context["problems"]
    for text in ("Pat Doe", "Sam Doe", "Kit Doe", "11/30/2026", "12/01/2026", "36 months", "Election deadline"):
        assert text in html
    post_ok(client, step_url(employee, 4), {"reason": "voluntary"}, change_url(employee))

    event = QualifyingEvent.objects.get()
    assert (event.event_type, event.event_date, event.source, event.entered_by) == (
        QualifyingEventType.TERMINATION, TERM_DATE, EventSource.TERMINATION_TOOL, world.hr_alpha)
    assert marked(event) == {(name, plan) for name in ("Pat", "Sam", "Kit") for plan in ("medical", "dental")}
    html = client.get(change_url(employee)).content.decode()
    assert "COBRA eligibility date(s)" in html and "12/01/2026" in html


def test_death_termination_prefills_death(client, world, family):
    client.force_login(world.hr_alpha)
    employee = family.employee
    post_ok(client, terminate_url(employee), {"termination_date": "2026-11-13", "reason": "death", "_continue": "1"},
            step_url(employee, 2))
    post_ok(client, step_url(employee, 2), {"event_date": "2026-11-13", "eligibility_date": ""}, step_url(employee, 3))
    post_ok(client, step_url(employee, 3), {"products": product_ids(family, "medical")}, step_url(employee, 4))
    post_ok(client, step_url(employee, 4), {"reason": ""}, change_url(employee))
    event = QualifyingEvent.objects.get()
    assert event.event_type == QualifyingEventType.DEATH
    assert marked(event) == {("Sam", "medical"), ("Kit", "medical")}


def test_gross_misconduct_terminates_and_marks_nobody(client, world, family):
    client.force_login(world.hr_alpha)
    response = client.post(terminate_url(family.employee),
                           {"termination_date": "2026-11-13", "reason": "gross_misconduct", "_continue": "1"}, follow=True)
    assert "is not a COBRA qualifying event" in response.content.decode()
    assert not QualifyingEvent.objects.exists()


def test_terminate_employee_button_marks_plans_of_record(client, world, family):
    client.force_login(world.hr_alpha)
    post_ok(client, terminate_url(family.employee), {"termination_date": "2026-11-13", "reason": "voluntary",
                                                     "_terminate": "1"}, change_url(family.employee))
    assert CobraEligibility.objects.count() == 6


def test_manage_cobra_event_divorce_marks_the_spouse(client, world, family):
    client.force_login(world.broker_a)
    employee = family.employee
    assert client.get(start_url(employee)).url == step_url(employee, 1)
    post_ok(client, step_url(employee, 1), {"event_type": "divorce"}, step_url(employee, 2))
    form = client.get(step_url(employee, 2)).context["form"]
    assert set(form.fields["dependents"].queryset) == {family.child}, "the spouse is always eligible after a divorce"
    assert form.fields["source"].initial == EventSource.ENROLLMENT_EDITOR
    post_ok(client, step_url(employee, 2), {"event_date": "2026-11-13", "source": "enrollment_editor"},
            step_url(employee, 3))
    post_ok(client, step_url(employee, 3), {"products": product_ids(family, "medical", "dental")}, step_url(employee, 4))
    rows = client.get(step_url(employee, 4)).context["rows"]
    assert {row["person"].first_name for row in rows} == {"Sam"} and {row["months"] for row in rows} == {36}
    post_ok(client, step_url(employee, 4), {"reason": "divorce"}, change_url(employee))
    event = QualifyingEvent.objects.get()
    assert (event.event_type, event.source) == (QualifyingEventType.DIVORCE, EventSource.ENROLLMENT_EDITOR)
    assert marked(event) == {("Sam", "medical"), ("Sam", "dental")}
    html = client.get(change_url(employee)).content.decode()
    assert "12/01/2026" in html and "Sam Doe" in html, "the employee page shows a dependent's eligibility date"


def test_age_off_needs_the_child_chosen(client, world, family):
    client.force_login(world.hr_alpha)
    employee = family.employee
    client.get(start_url(employee))
    post_ok(client, step_url(employee, 1), {"event_type": "dependent_age_off"}, step_url(employee, 2))
    response = client.post(step_url(employee, 2), {"event_date": "2026-11-13", "source": "enrollment_editor"})
    assert "dependents" in response.context["form"].errors
    post_ok(client, step_url(employee, 2), {"event_date": "2026-11-13", "source": "enrollment_editor",
                                            "dependents": [family.child.pk]}, step_url(employee, 3))
    post_ok(client, step_url(employee, 3), {"products": product_ids(family, "medical")}, step_url(employee, 4))
    post_ok(client, step_url(employee, 4), {"reason": "dependent_over_age"}, change_url(employee))
    event = QualifyingEvent.objects.get()
    assert event.reason == "dependent_over_age"
    assert marked(event) == {("Kit", "medical")}


def test_life_event_path_shows_the_30_day_backdate_rule(client, world, family):
    client.force_login(world.hr_alpha)
    employee = family.employee
    client.get(start_url(employee))
    post_ok(client, step_url(employee, 1), {"event_type": "reduction_of_hours"}, step_url(employee, 2))
    response = client.post(step_url(employee, 2), {"event_date": "2026-10-19", "source": "life_event"})
    assert response.status_code == 200
    assert "cannot be backdated more than 30 days" in str(response.context["form"].errors["event_date"])
    post_ok(client, step_url(employee, 2), {"event_date": "2026-10-19", "source": "enrollment_editor"},
            step_url(employee, 3))


def test_product_ended_over_45_days_ago_is_a_products_error(client, world, family):
    client.force_login(world.hr_alpha)
    employee = family.employee
    client.get(start_url(employee))
    post_ok(client, step_url(employee, 1), {"event_type": "reduction_of_hours"}, step_url(employee, 2))
    post_ok(client, step_url(employee, 2), {"event_date": "2026-09-10", "source": "enrollment_editor"}, step_url(employee, 3))
    response = client.post(step_url(employee, 3), {"products": product_ids(family, "medical")})
    assert response.status_code == 200
    errors = str(response.context["form"].errors["products"])
    assert "Medical 2026 ended on 09/30/2026" in errors and "45 days" in errors


def test_missing_demographics_block_confirmation(client, world, family):
    family.child.set_ssn(None)
    family.child.dob = None
    family.child.save()
    client.force_login(world.hr_alpha)
    employee = family.employee
    client.get(start_url(employee))
    post_ok(client, step_url(employee, 1), {"event_type": "reduction_of_hours"}, step_url(employee, 2))
    post_ok(client, step_url(employee, 2), {"event_date": "2026-11-13", "source": "enrollment_editor"}, step_url(employee, 3))
    post_ok(client, step_url(employee, 3), {"products": product_ids(family, "medical")}, step_url(employee, 4))
    response = client.get(step_url(employee, 4))
    html = response.content.decode()
    assert "Qualified beneficiaries: Kit Doe is missing SSN, date of birth" in html
    assert 'name="_confirm" disabled' in html
    response = client.post(step_url(employee, 4), {"reason": ""})
    assert response.status_code == 200 and not QualifyingEvent.objects.exists()


def test_wizard_skips_ahead_only_with_earlier_steps_done(client, world, family):
    client.force_login(world.hr_alpha)
    client.get(start_url(family.employee))
    response = client.get(step_url(family.employee, 4))
    assert response.status_code == 302 and response.url == step_url(family.employee, 1)
    assert client.get(step_url(family.employee, 9)).status_code == 404


def test_other_agency_gets_404_on_every_screen(client, world, family):
    client.force_login(world.broker_b)
    employee = family.employee
    for url in (start_url(employee), step_url(employee, 1), step_url(employee, 3), terminate_url(employee),
                reverse("admin:enrollments_enrollment_class_change_drop", args=[family.enrollments["medical"].pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(terminate_url(employee), {"termination_date": "2026-11-13", "reason": "voluntary"}).status_code == 404
    employee.refresh_from_db()
    assert employee.employment_status == EmploymentStatus.ACTIVE
    client.force_login(world.broker_a)
    assert client.get(step_url(employee, 1)).status_code == 200


@pytest.fixture
def marked_event(family, world, today):
    return services.qualifying_event_mark(employee=family.employee, event_type=QualifyingEventType.REDUCTION_OF_HOURS,
                                          event_date=TERM_DATE, source=EventSource.ENROLLMENT_EDITOR,
                                          by=world.hr_alpha, today=today)


def test_hr_cannot_reverse(client, world, marked_event):
    row = marked_event.eligibilities.first()
    client.force_login(world.hr_alpha)
    assert "Reverse mistaken mark" not in client.get(change_url(row)).content.decode()
    url = reverse("admin:enrollments_cobraeligibility_reverse", args=[row.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"reason": "oops"}).status_code == 403
    assert client.post(reverse("admin:enrollments_qualifyingevent_reverse", args=[marked_event.pk]),
                       {"reason": "oops"}).status_code == 403
    row.refresh_from_db()
    assert row.status == EligibilityStatus.ELIGIBLE


def test_support_reverses_one_mark_with_a_reason(client, world, marked_event):
    row = marked_event.eligibilities.first()
    client.force_login(world.support)
    assert "Reverse mistaken mark" in client.get(change_url(row)).content.decode()
    url = reverse("admin:enrollments_cobraeligibility_reverse", args=[row.pk])
    response = client.post(url, {"reason": ""})
    assert "reason" in response.context["form"].errors
    post_ok(client, url, {"reason": "Marked on the wrong employee"}, change_url(row))
    row.refresh_from_db()
    assert row.status == EligibilityStatus.REVERSED and row.reversed_by == world.support
    assert row.history.latest().history_change_reason == "Marked on the wrong employee"
    assert marked_event.eligibilities.exclude(status=EligibilityStatus.REVERSED).count() == 5


def test_superuser_reverses_a_whole_event(client, world, marked_event):
    client.force_login(world.admin)
    assert "Reverse this event's marks" in client.get(change_url(marked_event)).content.decode()
    post_ok(client, reverse("admin:enrollments_qualifyingevent_reverse", args=[marked_event.pk]),
            {"reason": "Duplicate of the termination"}, change_url(marked_event))
    assert set(marked_event.eligibilities.values_list("status", flat=True)) == {EligibilityStatus.REVERSED}


@pytest.mark.parametrize("answer, events", [("yes", 1), ("no", 0)])
def test_class_change_drop_asks_whether_it_is_a_qualifying_event(client, world, family, answer, events):
    enrollment = family.enrollments["medical"]
    client.force_login(world.hr_alpha)
    html = client.get(change_url(enrollment)).content.decode()
    url = reverse("admin:enrollments_enrollment_class_change_drop", args=[enrollment.pk])
    assert url in html
    assert "Is this drop a COBRA qualifying event?" in client.get(url).content.decode()
    post_ok(client, url, {"last_day": "2026-11-13", "cobra_event": answer}, change_url(enrollment))
    enrollment.refresh_from_db()
    assert enrollment.end_date == date(2026, 11, 30)
    assert QualifyingEvent.objects.filter(source=EventSource.CLASS_CHANGE).count() == events


def test_eligibility_list_has_filters_and_deadline_column(client, world, marked_event, today):
    beta = make_family(world.beta, first_name="Bea", plans=("medical",))
    services.qualifying_event_mark(employee=beta.employee, event_type=QualifyingEventType.DIVORCE, event_date=TERM_DATE,
                                   source=EventSource.ENROLLMENT_EDITOR, dependents=[beta.spouse], today=today)
    client.force_login(world.support)
    response = client.get(reverse("admin:enrollments_cobraeligibility_changelist"))
    html = response.content.decode()
    assert "Deadline" in html and "days left" in html
    filters = {spec.title for spec in response.context["cl"].filter_specs if spec.has_output()}
    assert {"company", "event type", "COBRA eligibility date", "status"} <= filters
    response = client.get(reverse("admin:enrollments_cobraeligibility_changelist"),
                          {"event__event_type__exact": "divorce"})
    assert {row.employee for row in response.context["cl"].result_list} == {beta.employee}


# Query counts: a constant number per screen, whatever the number of employees, plans, dependents and events.

def _walk_queries(client, employee, plan_ids, limits=None, assert_max=None):
    """Walk the wizard; count each request's queries, or assert each stays within `limits`."""
    counts = []

    def measure(method, url, data=None):
        context = assert_max(limits[len(counts)]) if limits else CaptureQueriesContext(connection)
        with context as queries:
            response = getattr(client, method)(url, data or {})
        assert response.status_code in (200, 302), url
        counts.append(len(queries))

    client.get(start_url(employee))
    measure("get", step_url(employee, 1))
    measure("post", step_url(employee, 1), {"event_type": "reduction_of_hours"})
    measure("get", step_url(employee, 2))
    measure("post", step_url(employee, 2), {"event_date": "2026-11-13", "source": "enrollment_editor"})
    measure("get", step_url(employee, 3))
    measure("post", step_url(employee, 3), {"products": plan_ids})
    measure("get", step_url(employee, 4))
    return counts


def _grow(world, family, today):
    extra = [DependentFactory(employee=family.employee, relationship="child", first_name=f"Kid{n}") for n in range(4)]
    for n in range(5):
        plan = PlanFactory(company=world.alpha, plan_type=["vision", "dental", "medical", "hra", "fsa"][n], code=f"extra-{n}")
        enrollment = EnrollmentFactory(employee=family.employee, plan=plan, dependents=[family.spouse, family.child, *extra])
        family.enrollments[f"extra-{n}"] = enrollment
    for n in range(6):
        other = make_family(world.alpha, first_name=f"Other{n}", plans=("medical",))
        services.qualifying_event_mark(employee=other.employee, event_type=QualifyingEventType.REDUCTION_OF_HOURS,
                                       event_date=TERM_DATE, source=EventSource.ENROLLMENT_EDITOR, today=today)


def test_wizard_steps_run_constant_queries(client, world, family, today, django_assert_max_num_queries):
    client.force_login(world.hr_alpha)
    small = _walk_queries(client, family.employee, product_ids(family, "medical"))
    _grow(world, family, today)
    big_ids = [str(e.pk) for key, e in family.enrollments.items() if key != "life"]
    _walk_queries(client, family.employee, big_ids, limits=small, assert_max=django_assert_max_num_queries)


def test_eligibility_changelist_runs_constant_queries(client, world, family, today, django_assert_max_num_queries):
    services.qualifying_event_mark(employee=family.employee, event_type=QualifyingEventType.REDUCTION_OF_HOURS,
                                   event_date=TERM_DATE, source=EventSource.ENROLLMENT_EDITOR, today=today)
    client.force_login(world.hr_alpha)
    url = reverse("admin:enrollments_cobraeligibility_changelist")
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(world, family, today)
    assert CobraEligibility.objects.count() > 20
    with django_assert_max_num_queries(len(small)):
        assert client.get(url).status_code == 200


def test_employee_page_eligibility_dates_run_constant_queries(client, world, family, today, django_assert_max_num_queries):
    client.force_login(world.hr_alpha)
    with CaptureQueriesContext(connection) as small:
        client.get(change_url(family.employee))
    _grow(world, family, today)
    services.qualifying_event_mark(employee=family.employee, event_type=QualifyingEventType.REDUCTION_OF_HOURS,
                                   event_date=TERM_DATE, source=EventSource.ENROLLMENT_EDITOR, today=today)
    with django_assert_max_num_queries(len(small)):
        client.get(change_url(family.employee))
