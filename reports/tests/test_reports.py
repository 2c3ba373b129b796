"""Excel reports: read back with openpyxl; scoping, masking, background generation and the command."""
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_q.models import OrmQ

from enrollments import services as enrollment_services
from enrollments.cobra.codes import EnrollmentSource
from enrollments.models import CobraEligibility
from enrollments.tests.factories import EmployeeFactory, EnrollmentFactory, PlanFactory
from reports import selectors, services
from reports.columns import DEFAULT_COLUMNS, columns_for
from reports.models import GeneratedReport, JobStatus, ReportKind, SavedReport
from reports.tasks import report_build_task
from reports.tests.conftest import initial_rights, terminate

pytestmark = pytest.mark.django_db
IR, QE = ReportKind.INITIAL_RIGHTS, ReportKind.QUALIFYING_EVENTS


def write(tmp_path, kind, company, date_from, date_to, columns=None, full_ssn=True):
    path = tmp_path / f"{kind}.xlsx"
    count = services.report_write(kind=kind, company=company, columns=columns or DEFAULT_COLUMNS[kind],
                                  date_from=date_from, date_to=date_to, full_ssn=full_ssn, output=path)
    return count, openpyxl.load_workbook(path).active


def values(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_default_ranges_follow_seed_002(today):
    assert selectors.report_default_range(kind=IR, today=today) == (today, today + timedelta(days=6))
    assert selectors.report_default_range(kind=QE, today=today) == (today - timedelta(days=6), today)


def test_initial_rights_report_reads_back(beta_family, alpha_family, today, tmp_path):
    initial_rights(beta_family, today)
    initial_rights(alpha_family, today)
    start = today - timedelta(days=60)
    count, sheet = write(tmp_path, IR, beta_family.company, start, start)
    rows = values(sheet)
    assert rows[0] == [columns_for(IR)[key].header for key in DEFAULT_COLUMNS[IR]]
    assert count == len(rows) - 1 == 4  # employee and spouse, medical and dental each (the child gets no item)
    by_name = {(r[4], r[12]) for r in rows[1:]}
    assert ("Maria", "Beta Dental Plus") in by_name and ("Tomas", "Beta Medical PPO") in by_name
    assert all(r[0] == "Beta Freight" for r in rows[1:])  # alpha's people are not in beta's report
    maria = next(r for r in rows[1:] if r[4] == "Maria")
    assert maria[3] == "Employee" and maria[6] == "123-45-6789"
    assert maria[7] == datetime(1980, 5, 17) and sheet["H2"].is_date
    assert maria[15] == datetime.combine(start, datetime.min.time()) and maria[16] == datetime.combine(start + timedelta(days=90), datetime.min.time())
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:Q{count + 1}"
    assert sheet.column_dimensions["A"].width == columns_for(IR)["company"].width


def test_report_range_filters_dates(beta_family, today, tmp_path):
    initial_rights(beta_family, today)
    count, _ = write(tmp_path, IR, beta_family.company, today, today + timedelta(days=6))
    assert count == 0


def test_qualifying_event_report_reads_back_and_skips_reversed(beta_family, world, today, tmp_path):
    event = terminate(beta_family, today)
    eligibility_date = CobraEligibility.objects.filter(event=event).first().eligibility_date
    columns = ["last_name", "first_name", "relationship", "plan_name", "event_type", "event_date", "eligibility_date", "ssn", "dob"]
    count, sheet = write(tmp_path, QE, beta_family.company, eligibility_date, eligibility_date, columns=columns, full_ssn=False)
    rows = values(sheet)
    assert rows[0] == ["Last name", "First name", "Relationship", "Plan", "COBRA qualifying event",
                       "COBRA qualifying event date", "COBRA eligibility date", "SSN", "Date of birth"]
    assert count == CobraEligibility.objects.filter(event=event).count() == 5
    assert {(r[1], r[3]) for r in rows[1:]} >= {("Maria", "Beta Medical PPO"), ("Lucia", "Beta Medical PPO"), ("Tomas", "Beta Dental Plus")}
    lucia = next(r for r in rows[1:] if r[1] == "Lucia")
    assert lucia[2] == "Child" and lucia[4] == "Termination of employment"
    assert lucia[5] == datetime.combine(event.event_date, datetime.min.time())
    assert lucia[7] == "***-**-6789" and lucia[8] == "**/**/1982"  # masked: no SSN permission
    enrollment_services.eligibility_reverse(eligibilities=list(CobraEligibility.objects.filter(event=event, dependent=beta_family.child)),
                                            reason="marked by mistake", by=world.support)
    count, _ = write(tmp_path, QE, beta_family.company, eligibility_date, eligibility_date, columns=columns)
    assert count == 4


def test_report_query_count_does_not_grow_with_rows(world, today):
    plan = PlanFactory(company=world.beta)

    def queries(n):
        for _ in range(n):
            enrollment = EnrollmentFactory(employee=EmployeeFactory(company=world.beta), plan=plan, effective_date=today,
                                           source=EnrollmentSource.NEW_HIRE)
            enrollment_services.initial_rights_record(enrollment=enrollment, today=today)
        with CaptureQueriesContext(connection) as captured:
            rows = list(selectors.report_rows(kind=IR, company=world.beta, date_from=today, date_to=today,
                                              columns=list(columns_for(IR).values()), full_ssn=True))
        return len(rows), len(captured)

    assert queries(2) == (2, 1)
    assert queries(20) == (22, 1)


def test_background_report_with_status_and_download(beta_family, world, today, client, django_capture_on_commit_callbacks):
    terminate(beta_family, today)
    client.force_login(world.broker_b)
    url = f"/admin/reports/generatedreport/library/{QE}/"
    assert client.get(url).status_code == 200
    post = {"company": world.beta.pk, "date_from": (today - timedelta(days=6)).isoformat(),
            "date_to": (today + timedelta(days=30)).isoformat(), "_generate": "1"}
    for index, key in enumerate(["last_name", "first_name", "ssn", "eligibility_date"], start=1):
        post[f"use_{key}"], post[f"pos_{key}"] = "on", str(index)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, post)
    assert response.status_code == 302
    report = GeneratedReport.objects.get()
    assert report.status == JobStatus.QUEUED and report.columns == ["last_name", "first_name", "ssn", "eligibility_date"]
    assert report.full_ssn is False and OrmQ.objects.count() == 1
    assert "Queued" in client.get("/admin/reports/generatedreport/").content.decode()
    assert report_build_task(report.pk) == JobStatus.DONE
    response = client.get(f"/admin/reports/generatedreport/{report.pk}/download/")
    assert response.status_code == 200
    path = report.file.storage.path(GeneratedReport.objects.get().file.name)
    rows = values(openpyxl.load_workbook(path).active)
    assert rows[0] == ["Last name", "First name", "SSN", "COBRA eligibility date"]
    assert len(rows) == 6 and all(r[2].startswith("***-**-") for r in rows[1:])
    client.force_login(world.broker_a)
    assert client.get(f"/admin/reports/generatedreport/{report.pk}/download/").status_code == 404
    assert "Beta" not in client.get("/admin/reports/generatedreport/").content.decode()


def test_full_ssn_report_needs_ssn_permission_to_download(beta_family, world, today, client):
    world.beta.hr_users.add(world.hr_alpha)
    report = services.report_request(kind=QE, company=world.beta, columns=["ssn"], date_from=today, date_to=today,
                                     by=world.hr_alpha)
    assert report.full_ssn is True
    report_build_task(report.pk)
    client.force_login(world.support)
    assert client.get(f"/admin/reports/generatedreport/{report.pk}/download/").status_code == 403


def test_company_out_of_scope_is_refused(world, today, client):
    with pytest.raises(services.ReportError) as error:
        services.report_request(kind=IR, company=world.beta, columns=["company"], date_from=today, date_to=today,
                                by=world.broker_a)
    assert "company" in error.value.errors
    client.force_login(world.broker_a)
    response = client.post(f"/admin/reports/generatedreport/library/{IR}/", {
        "company": world.beta.pk, "date_from": today.isoformat(), "date_to": today.isoformat(),
        "use_company": "on", "pos_company": "1", "_generate": "1"})
    assert response.status_code == 200 and GeneratedReport.objects.count() == 0


def test_save_custom_report_and_reopen(world, client, today):
    client.force_login(world.broker_a)
    url = f"/admin/reports/generatedreport/library/{IR}/"
    post = {"company": world.alpha.pk, "date_from": today.isoformat(), "date_to": today.isoformat(),
            "name": "Alpha weekly", "_save": "1", "use_plan_name": "on", "pos_plan_name": "1",
            "use_last_name": "on", "pos_last_name": "2"}
    response = client.post(url, post)
    saved = SavedReport.objects.get()
    assert response.status_code == 302 and saved.columns == ["plan_name", "last_name"] and saved.company == world.alpha
    page = client.get(f"{url}?saved={saved.pk}").content.decode()
    assert "Alpha weekly" in page
    client.force_login(world.broker_b)
    assert client.get(f"{url}?saved={saved.pk}").status_code == 404
    assert "Alpha weekly" not in client.get("/admin/reports/savedreport/").content.decode()


def test_unknown_column_is_named(world, today):
    with pytest.raises(services.ReportError) as error:
        services.report_request(kind=IR, company=world.beta, columns=["nope"], date_from=today, date_to=today,
                                by=world.admin)
    assert "nope" in str(error.value)


def test_build_report_command(beta_family, today, tmp_path, capsys):
    initial_rights(beta_family, today)
    start = today - timedelta(days=60)
    out = tmp_path / "ir.xlsx"
    call_command("build_report", "initial_rights", "--company", "beta", "--from", start.isoformat(),
                 "--to", start.isoformat(), "--output", str(out))
    assert "rows written" in capsys.readouterr().out
    rows = values(openpyxl.load_workbook(out).active)
    assert rows[0][0] == "Company" and len(rows) > 1
    assert any(r[6] == "123-45-6789" for r in rows[1:])  # as a superuser: full SSNs
    assert date(1980, 5, 17) == rows[1][7].date()
