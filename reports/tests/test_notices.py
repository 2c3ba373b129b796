"""Each notice, rendered to PDF and read back as text, carries every element cobra-rules.md requires, filled."""
import gc
import re
import tracemalloc
from datetime import timedelta

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from continuation.models import Election
from continuation.rules import ElectionChoice, EndReason
from enrollments.models import CobraEligibility, EligibilityStatus
from reports import services
from reports.pdf import PdfMerge, pdf_render
from reports.models import (
    ContinuationDenial,
    GeneratedNotice,
    JobStatus,
    NoticeBatch,
    NoticeKind,
)
from reports.tests.conftest import initial_rights, terminate

pytestmark = pytest.mark.django_db


def pdf_text(source):
    reader = PdfReader(source)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def long_date(day):
    return f"{day:%B} {day.day}, {day.year}"


def generate(kind, company, today):
    return services.notices_generate(kind=kind, company=company, as_of=today)


def test_election_notice_has_every_required_element(beta_family, today):
    event = terminate(beta_family, today)
    eligibility = CobraEligibility.objects.filter(event=event).order_by("id").first()
    notices, _ = generate(NoticeKind.ELECTION, beta_family.company, today)

    assert len(notices) == 1
    notice = notices[0]
    text = pdf_text(notice.file.path)
    election_due = CobraEligibility.objects.filter(event=event).first().election_due
    required = {
        "1 plan names": ["Beta Medical PPO", "Beta Dental Plus"],
        "1 administrator": ["Beta Freight", "2 Dock Rd", "Albany, NY 12207", "555-0100"],
        "2 qualifying event and date": ["Termination of employment", long_date(event.event_date)],
        "3 each beneficiary and coverage end": ["Maria Lopez", "Tomas Lopez", "Lucia Lopez",
                                                eligibility.coverage_end.strftime("%m/%d/%Y")],
        "4 independent right": ["independent right to elect"],
        "5 how to elect and deadline": ["Election Form", f"no later than {long_date(election_due)}"],
        "6 if not elected, other rights": ["Health Insurance Marketplace", "special enrollment"],
        "7 description of coverage": ["same coverage the Plan gives to similarly situated"],
        "8 how long, early end": [eligibility.max_end.strftime("%m/%d/%Y"), "18 months", "premium is not paid"],
        "9 extensions": ["Disability extension", "29 months", "Second qualifying event", "36 months"],
        "10 duty to notify": ["within 60 days after the date of the Social Security disability determination"],
        "11 premium per beneficiary": ["$612.00", "$51.00", "102%"],
        "12 due dates, address, grace": ["45 days after the date your election is sent", "grace period of 30 days",
                                         "Send payments to: Beta Freight, 2 Dock Rd"],
        "13 address changes": ["address changes"],
        "14 SPD and more information": ["Summary Plan Description", "www.dol.gov/ebsa"],
    }
    missing = {element: [s for s in snippets if s not in text] for element, snippets in required.items()}
    assert {k: v for k, v in missing.items() if v} == {}


def test_election_notice_is_recorded_and_starts_the_election_period(beta_family, today, tmp_path):
    event = terminate(beta_family, today)
    _, merged = services.notices_generate(kind=NoticeKind.ELECTION, company=beta_family.company, as_of=today,
                                          merged_path=tmp_path / "merged.pdf")
    assert merged == tmp_path / "merged.pdf"
    notice = GeneratedNotice.objects.get()
    assert notice.kind == NoticeKind.ELECTION and notice.notice_date == today and notice.on_time
    assert notice.employee == beta_family.employee and notice.dependent is None
    assert notice.due_date == event.entered_on + timedelta(days=14)
    assert set(notice.eligibilities.all()) == set(CobraEligibility.objects.filter(event=event))
    assert set(CobraEligibility.objects.filter(event=event).values_list("status", flat=True)) == {EligibilityStatus.NOTIFIED}
    assert len(PdfReader(merged).pages) == len(PdfReader(notice.file.path).pages)
    again, merged = generate(NoticeKind.ELECTION, beta_family.company, today)
    assert again == [] and merged is None  # nothing due, and no destination asked for: no merged file


def test_federal_company_gets_no_state_notice_and_state_company_no_federal(alpha_family, beta_family, today):
    terminate(alpha_family, today)
    terminate(beta_family, today)
    assert generate(NoticeKind.STATE_ELECTION, beta_family.company, today)[0] == []
    assert generate(NoticeKind.ELECTION, alpha_family.company, today)[0] == []


def test_state_election_notice_uses_the_states_law_and_rate(alpha_family, today):
    event = terminate(alpha_family, today)
    notices, _ = generate(NoticeKind.STATE_ELECTION, alpha_family.company, today)
    text = pdf_text(notices[0].file.path)
    election_due = CobraEligibility.objects.filter(event=event).first().election_due
    for snippet in ["Cal-COBRA", "(CA)", "$660.00", "$55.00", "110%", "60 days", long_date(election_due),
                    "Alpha Medical HMO", "Ana Reyes", "Tomas Reyes", "Lucia Reyes", "Alpha Foods", "1 Main St",
                    "last verified", "independent right to elect", "Summary Plan Description", "grace period of 30 days"]:
        assert snippet in text, snippet


def test_general_notice_has_every_required_element(beta_family, today):
    initial_rights(beta_family, today)
    notices, _ = generate(NoticeKind.GENERAL, beta_family.company, today)
    recipients = sorted(n.recipient_name for n in notices)
    assert recipients == ["Maria Lopez", "Tomas Lopez"]  # the employee and the covered spouse (2590.606-1)
    maria = next(n for n in notices if n.recipient_name == "Maria Lopez")
    assert maria.due_date == today - timedelta(days=60) + timedelta(days=90) and maria.on_time
    text = pdf_text(maria.file.path)
    required = {
        "1 plan and contact": ["Beta Medical PPO", "Beta Dental Plus", "Beta Freight", "2 Dock Rd", "555-0100"],
        "2 description": ["qualifying event", "qualified beneficiary", "102%", "18 months", "36 months"],
        "3 divorce, separation, dependent status": ["divorce or legal separation", "within 60 days"],
        "4 disability, second event": ["Disability extension", "Second qualifying event"],
        "5 address changes": ["address changes"],
        "6 SPD": ["Summary Plan Description"],
    }
    missing = {element: [s for s in snippets if s not in text] for element, snippets in required.items()}
    assert {k: v for k, v in missing.items() if v} == {}
    assert generate(NoticeKind.GENERAL, beta_family.company, today)[0] == []


def test_general_notice_waits_for_coverage_to_start(beta_family, today):
    initial_rights(beta_family, today)
    assert generate(NoticeKind.GENERAL, beta_family.company, today - timedelta(days=61))[0] == []


def test_unavailability_notice_gives_the_reason(beta_family, today):
    denial = ContinuationDenial.objects.create(
        employee=beta_family.employee, request_date=today - timedelta(days=2),
        reason="You were not covered under the Plan on the day before the qualifying event.")
    notices, _ = generate(NoticeKind.UNAVAILABILITY, beta_family.company, today)
    notice = notices[0]
    assert notice.denial == denial and notice.due_date == today + timedelta(days=12)
    text = pdf_text(notice.file.path)
    for snippet in ["not entitled to continuation coverage", "not covered under the Plan on the day before the qualifying event",
                    long_date(denial.request_date), "Maria Lopez", "Beta Freight", "555-0100"]:
        assert snippet in text, snippet


def test_early_termination_notice_gives_reason_date_and_other_coverage(beta_family, today):
    event = terminate(beta_family, today, days_ago=40)
    eligibilities = list(CobraEligibility.objects.filter(event=event, dependent__isnull=True))
    ended_on = today - timedelta(days=1)
    for eligibility in eligibilities:
        Election.objects.create(
            eligibility=eligibility, choice=ElectionChoice.ELECT, sent_on=today - timedelta(days=30), recorded_on=today,
            plan=eligibility.plan, end_reason=EndReason.NON_PAYMENT, ended_on=ended_on,
            termination_notice_due=today + timedelta(days=14))
        eligibility.status = EligibilityStatus.TERMINATED
        eligibility.save()
    notices, _ = generate(NoticeKind.EARLY_TERMINATION, beta_family.company, today)
    assert [n.recipient_name for n in notices] == ["Maria Lopez"]
    text = pdf_text(notices[0].file.path)
    for snippet in ["Premium not paid in time", long_date(ended_on), "Beta Medical PPO", "Beta Dental Plus",
                    "Health Insurance Marketplace", "Conversion", "Beta Freight"]:
        assert snippet in text, snippet
    assert set(Election.objects.values_list("termination_notice_sent_on", flat=True)) == {today}


def test_batch_runs_in_the_background_with_a_merged_file(beta_family, alpha_family, today, world,
                                                         django_capture_on_commit_callbacks):
    initial_rights(beta_family, today)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = services.notice_batch_request(kind=NoticeKind.GENERAL, company=world.beta, as_of=today, by=world.broker_b)
    assert batch.status == JobStatus.QUEUED and len(callbacks) == 1
    from reports.tasks import notice_batch_task
    assert notice_batch_task(batch.pk) == JobStatus.DONE
    batch.refresh_from_db()
    assert batch.notice_count == 2 and batch.notices.count() == 2
    pages = sum(len(PdfReader(n.file.path).pages) for n in batch.notices.all())
    merged = PdfReader(batch.merged_file.path)
    assert len(merged.pages) == pages
    # every notice's pages, in the order the notices were generated
    assert pdf_text(batch.merged_file.path) == " ".join(pdf_text(n.file.path) for n in batch.notices.order_by("id"))
    assert [item.title for item in merged.outline if not isinstance(item, list)].count("General notice of COBRA rights") == 2


def test_batch_for_a_company_out_of_scope_is_refused(world, today):
    with pytest.raises(services.ReportError):
        services.notice_batch_request(kind=NoticeKind.GENERAL, company=world.alpha, as_of=today, by=world.broker_b)


def test_build_notices_command(beta_family, today, tmp_path, capsys):
    terminate(beta_family, today)
    out = tmp_path / "out"
    call_command("build_notices", "election", "--company", "beta", "--as-of", today.isoformat(), "--output", str(out))
    files = sorted(p.name for p in out.iterdir())
    assert "merged.pdf" in files and len(files) == 2
    assert "1 notice(s) generated (COBRA election notice)" in capsys.readouterr().out
    assert GeneratedNotice.objects.filter(kind=NoticeKind.ELECTION).count() == 1
    assert NoticeBatch.objects.get().status == JobStatus.DONE


def test_a_failed_batch_leaves_no_merged_file(beta_family, today, tmp_path, monkeypatch):
    initial_rights(beta_family, today)
    render, calls = services.notice_render, []

    def flaky(draft):
        calls.append(draft)
        if len(calls) == 2:
            raise RuntimeError("renderer crashed")
        return render(draft)

    monkeypatch.setattr(services, "notice_render", flaky)
    batch = NoticeBatch.objects.create(kind=NoticeKind.GENERAL, company=beta_family.company, as_of=today)
    batch = services.notice_batch_run(batch=batch, output_dir=tmp_path)
    assert batch.status == JobStatus.FAILED and "renderer crashed" in batch.error and not batch.merged_file
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("merged")]


def _small_pdf(title, pages=2):
    body = "".join(f'<h1 style="break-before: page">{title} part {i}</h1><p>{title} text {i}</p>' for i in range(pages))
    return pdf_render(f"<html><body>{body}</body></html>")


def test_pdf_merge_streams_pages_and_bookmarks_in_order(tmp_path):
    path = tmp_path / "merged.pdf"
    with PdfMerge(path) as merge:
        for name in ["Alpha", "Bravo", "Charlie"]:
            merge.add(_small_pdf(name))
    assert path.exists() and not (tmp_path / "merged.pdf.part").exists()
    reader = PdfReader(path, strict=True)
    assert [page.extract_text().split()[0] for page in reader.pages] == ["Alpha", "Alpha", "Bravo", "Bravo", "Charlie", "Charlie"]
    assert [(item.title, reader.get_destination_page_number(item)) for item in reader.outline] == [
        (f"{name} part {i}", 2 * n + i) for n, name in enumerate(["Alpha", "Bravo", "Charlie"]) for i in range(2)]


def test_pdf_merge_with_nothing_added_or_failing_leaves_no_file(tmp_path):
    assert PdfMerge(tmp_path / "empty.pdf").close() is None
    with pytest.raises(RuntimeError):
        with PdfMerge(tmp_path / "failed.pdf") as merge:
            merge.add(_small_pdf("Alpha"))
            raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_pdf_merge_memory_does_not_grow_with_the_documents(tmp_path):
    """What the merge keeps between documents (pypdf's PdfWriter keeps every page) must not grow with them."""
    pdf = _small_pdf("Alpha", pages=3)

    def kept(count):
        merge = PdfMerge(tmp_path / f"{count}.pdf")
        gc.collect()
        tracemalloc.start()
        for _ in range(count):
            merge.add(pdf)
        gc.collect()  # each reader's reference cycles: count what is kept, not what awaits the collector
        size, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        merge.close()
        return size

    assert kept(40) < kept(10) + 30_000  # ~150 bytes per document (PdfWriter kept ~140 KB each)
    assert len(PdfReader(tmp_path / "40.pdf").pages) == 120
