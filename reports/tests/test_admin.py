"""Admin pages for notices: what is due, one person's notice, a background batch, and the other user's view."""
from datetime import timedelta

import pytest

from reports.models import (
    ContinuationDenial,
    GeneratedNotice,
    JobStatus,
    NoticeBatch,
    NoticeKind,
)
from reports.tasks import notice_batch_task
from reports.tests.conftest import terminate

pytestmark = pytest.mark.django_db
DUE = "/admin/reports/generatednotice/due/"


def test_notices_due_lists_and_generates_one(beta_family, world, today, client):
    terminate(beta_family, today)
    client.force_login(world.broker_b)
    query = {"company": world.beta.pk, "kind": NoticeKind.ELECTION, "as_of": today.isoformat()}
    page = client.get(DUE, query).content.decode()
    assert "1 notice due" in page and "Maria Lopez, Tomas Lopez, Lucia Lopez" in page
    key = f"election:{beta_family.employee.qualifying_events.get().pk}"
    response = client.post(DUE, {**query, "key": key})
    assert response.status_code == 302
    notice = GeneratedNotice.objects.get()
    download = client.get(f"/admin/reports/generatednotice/{notice.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    listing = client.get("/admin/reports/generatednotice/").content.decode()
    assert "Maria Lopez" in listing
    assert "0 notices due" in client.get(DUE, query).content.decode()


def test_other_agency_sees_no_notice_and_cannot_generate(beta_family, world, today, client):
    terminate(beta_family, today)
    client.force_login(world.broker_b)
    client.post(DUE, {"company": world.beta.pk, "kind": NoticeKind.ELECTION, "as_of": today.isoformat(),
                      "key": f"election:{beta_family.employee.qualifying_events.get().pk}"})
    notice = GeneratedNotice.objects.get()
    client.cookies.pop("messages", None)
    client.force_login(world.broker_a)
    assert client.get(f"/admin/reports/generatednotice/{notice.pk}/download/").status_code == 404
    assert "Maria Lopez" not in client.get("/admin/reports/generatednotice/").content.decode()
    page = client.get(DUE, {"company": world.beta.pk, "kind": NoticeKind.ELECTION, "as_of": today.isoformat()})
    assert "Maria Lopez" not in page.content.decode()  # beta is not a choice: the form is invalid


def test_batch_from_the_admin(beta_family, world, today, client, django_capture_on_commit_callbacks):
    terminate(beta_family, today)
    client.force_login(world.broker_b)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DUE, {"company": world.beta.pk, "kind": NoticeKind.ELECTION, "as_of": today.isoformat(),
                                     "_batch": "1"})
    assert response.status_code == 302
    batch = NoticeBatch.objects.get()
    assert notice_batch_task(batch.pk) == JobStatus.DONE
    listing = client.get("/admin/reports/noticebatch/").content.decode()
    assert "Download" in listing
    merged = client.get(f"/admin/reports/noticebatch/{batch.pk}/download/")
    assert merged.status_code == 200
    client.force_login(world.broker_a)
    assert client.get(f"/admin/reports/noticebatch/{batch.pk}/download/").status_code == 404


def test_record_a_denied_request(beta_family, world, today, client):
    client.force_login(world.broker_b)
    response = client.post("/admin/reports/continuationdenial/add/", {
        "employee": beta_family.employee.pk, "request_date": (today - timedelta(days=1)).isoformat(),
        "reason": "Gross misconduct: no qualifying event."})
    assert response.status_code == 302
    denial = ContinuationDenial.objects.get()
    assert denial.recorded_by == world.broker_b
    client.force_login(world.broker_a)
    assert client.get(f"/admin/reports/continuationdenial/{denial.pk}/change/").status_code == 404


def test_library_page(world, client):
    client.force_login(world.hr_alpha)
    page = client.get("/admin/reports/generatedreport/library/").content.decode()
    assert "Initial COBRA Rights Report" in page and "COBRA Qualifying Event Report" in page
    form = client.get("/admin/reports/generatedreport/library/initial_rights/").content.decode()
    assert "New benefit enrollment date from" in form and "Alpha Foods" in form and "Beta Freight" not in form


def test_denial_for_another_employees_dependent_is_refused(beta_family, alpha_family, world, today, client):
    client.force_login(world.admin)
    response = client.post("/admin/reports/continuationdenial/add/", {
        "employee": beta_family.employee.pk, "dependent": alpha_family.spouse.pk,
        "request_date": today.isoformat(), "reason": "Not covered."})
    assert response.status_code == 200 and "Choose one of this employee" in response.content.decode()
    assert not ContinuationDenial.objects.exists()
