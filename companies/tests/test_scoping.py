"""Scoping leak tests: two agencies' data side by side; every scoped admin page must hide the other's rows."""
from datetime import date

import pytest
from django.contrib import admin
from django.urls import reverse

from companies.models import Company
from companies.scoping import ScopedAdmin
from enrollments.models import CobraEligibility, InitialRightsItem, QualifyingEvent
from enrollments.tests.factories import DependentFactory, EmployeeFactory, EnrollmentFactory, PlanFactory


def _company_records(company):
    plan = PlanFactory(company=company, code=f"{company.code}-med")
    employee = EmployeeFactory(company=company, last_name=f"Of{company.code.title()}")
    dependent = DependentFactory(employee=employee)
    enrollment = EnrollmentFactory(employee=employee, plan=plan, dependents=[dependent])
    event = QualifyingEvent.objects.create(employee=employee, event_type="termination", event_date=date(2026, 11, 10),
                                           entered_on=date(2026, 11, 12), source="termination_tool")
    eligibility = CobraEligibility.objects.create(
        event=event, employee=employee, enrollment=enrollment, plan=plan, coverage_end=date(2026, 11, 30),
        eligibility_date=date(2026, 12, 1), max_months=18, max_end=date(2028, 5, 31), continuation_law="federal",
        election_due=date(2027, 1, 30))
    item = InitialRightsItem.objects.create(enrollment=enrollment, employee=employee, plan=plan,
                                            coverage_start=plan.plan_year_start, notice_due=date(2026, 4, 1),
                                            created_on=date(2026, 1, 1))
    return [company, plan, employee, dependent, enrollment, event, eligibility, item]


@pytest.fixture
def two_sides(world):
    return {"alpha": _company_records(world.alpha), "beta": _company_records(world.beta)}


def _scoped_admins():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, ScopedAdmin) and model_admin.company_path is not None]


def _in_company(model, model_admin, company):
    path = model_admin.company_path
    return model._default_manager.filter(**({"pk": company.pk} if path == "" else {path: company}))


CORE_MODELS = {"company", "plan", "employee", "dependent", "enrollment", "qualifyingevent", "cobraeligibility",
               "initialrightsitem"}


def test_every_core_model_is_scoped():
    scoped = {model._meta.model_name for model, _ in _scoped_admins()}
    assert CORE_MODELS <= scoped


@pytest.mark.parametrize("username", ["broker_a", "hr_alpha"])
def test_changelists_show_only_own_companies(client, world, two_sides, username):
    client.force_login(getattr(world, username))
    checked = 0
    for model, model_admin in _scoped_admins():
        own = _in_company(model, model_admin, world.alpha).first()
        other = _in_company(model, model_admin, world.beta).first()
        if own is None or other is None:
            continue
        opts = model._meta
        if not model_admin.has_view_permission(_request(world, username)):
            continue
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert response.status_code == 200, opts.model_name
        shown = {obj.pk for obj in response.context["cl"].result_list}
        assert own.pk in shown, opts.model_name
        assert other.pk not in shown, f"{opts.model_name} leaks another agency's row"
        checked += 1
    assert checked >= 6


def _request(world, username):
    from django.test import RequestFactory
    request = RequestFactory().get("/")
    request.user = getattr(world, username)
    return request


@pytest.mark.parametrize("view", ["change", "history"])
def test_out_of_scope_object_is_404(client, world, two_sides, view):
    client.force_login(world.broker_a)
    checked = 0
    for model, model_admin in _scoped_admins():
        other = _in_company(model, model_admin, world.beta).first()
        own = _in_company(model, model_admin, world.alpha).first()
        if other is None or own is None or not model_admin.has_view_permission(_request(world, "broker_a")):
            continue
        opts = model._meta
        url_name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
        assert client.get(reverse(url_name, args=[own.pk])).status_code == 200, opts.model_name
        assert client.get(reverse(url_name, args=[other.pk])).status_code == 404, f"{opts.model_name} {view}"
        checked += 1
    assert checked >= 6


def test_support_sees_every_company(client, world, two_sides):
    client.force_login(world.support)
    response = client.get(reverse("admin:enrollments_employee_changelist"))
    companies = {e.company_id for e in response.context["cl"].result_list}
    assert companies == {world.alpha.pk, world.beta.pk}


def test_company_list_filter_and_dropdowns_are_scoped(client, world, two_sides):
    client.force_login(world.broker_a)
    response = client.get(reverse("admin:enrollments_employee_changelist"))
    html = response.content.decode()
    assert "Alpha Foods" in html and "Beta Freight" not in html
    response = client.get(reverse("admin:enrollments_plan_add"))
    company_choices = response.context["adminform"].form.fields["company"].queryset
    assert list(company_choices) == [world.alpha]
    employee = two_sides["alpha"][2]
    response = client.get(reverse("admin:enrollments_enrollment_add"))
    form = response.context["adminform"].form
    assert set(form.fields["employee"].queryset) == {employee}
    assert set(form.fields["plan"].queryset.values_list("company__code", flat=True)) == {"alpha"}


def test_autocomplete_is_scoped(client, world, two_sides):
    client.force_login(world.broker_a)
    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "enrollments", "model_name": "plan", "field_name": "company", "term": ""})
    assert response.status_code == 200
    names = {row["text"] for row in response.json()["results"]}
    assert any("Alpha" in n for n in names) and not any("Beta" in n for n in names)


def test_hr_sees_only_own_company(world):
    assert list(Company.objects.for_user(world.hr_alpha)) == [world.alpha]
    assert list(Company.objects.for_user(world.broker_b)) == [world.beta]
