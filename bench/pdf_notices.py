"""PDF notices benchmark: `python bench/pdf_notices.py [N]` (N election notices, default 1,000).

On a fresh temporary SQLite database, N terminated employees (each with a spouse, on medical and dental) owe an
election notice. Times reports.services.notices_generate — the whole batch: reading the records, rendering each
template, one WeasyPrint pass per document, storing each PDF and its GeneratedNotice, moving the eligibilities to
"notified", and the merged file for printing (streamed to a file) — against a baseline that only has WeasyPrint
render the same pre-rendered HTML documents (same FontConfiguration). R is the ratio of CPU times; peak MB is the
process's peak resident memory, also shown after the first fifth of the notices: the two should match (memory flat
in the number of notices).
"""
import resource
import shutil
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from scratch import django_scratch  # noqa: E402

WORK = django_scratch("bench-pdf-")

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402

from companies.models import Company  # noqa: E402
from enrollments import services as enrollment_services  # noqa: E402
from enrollments.cobra.codes import (  # noqa: E402
    EnrollmentSource,
    EventSource,
    QualifyingEventType,
    Tier,
)
from enrollments.models import Dependent, Employee, Enrollment, Plan  # noqa: E402
from reports import notices, services  # noqa: E402
from reports.models import NoticeKind  # noqa: E402
from reports.pdf import pdf_render  # noqa: E402

TARGET = 1.3
TODAY = date(2026, 11, 23)


def seed(n):
    company = Company.objects.create(code="bench", name="Bench Logistics Inc", state="NY", plan_situs_state="NY",
                                     prior_year_employee_count=Decimal("1500"), address1="400 Pier Ave",
                                     city="Brooklyn", zip="11201", phone="718-555-0199")
    plans = [Plan.objects.create(company=company, code=code, name=name, plan_type=kind, carrier=carrier,
                                 plan_year_start=date(2026, 1, 1), plan_year_end=date(2026, 12, 31),
                                 monthly_premium=Decimal(premium))
             for code, name, kind, carrier, premium in [("med", "Medical PPO", "medical", "Aetna", "650.00"),
                                                        ("den", "Dental", "dental", "Delta Dental", "48.00")]]
    for i in range(n):
        with transaction.atomic():
            employee = Employee(company=company, employee_id=f"E{i:05d}", first_name=f"Pat{i}", last_name=f"Lee{i % 97}",
                                dob=date(1975, 1 + i % 12, 1 + i % 28), gender="FM"[i % 2], address1=f"{i} Harbor St",
                                city="Brooklyn", state="NY", zip="11201", hire_date=date(2019, 4, 1))
            employee.set_ssn(f"{400000000 + i:09d}")
            employee.save()
            spouse = Dependent(employee=employee, dependent_id="D1", relationship="spouse", first_name=f"Sam{i}",
                               last_name=employee.last_name, dob=date(1977, 6, 2), gender="MF"[i % 2])
            spouse.set_ssn(f"{500000000 + i:09d}")
            spouse.save()
            for plan in plans:
                enrollment = Enrollment.objects.create(employee=employee, plan=plan, tier=Tier.EMPLOYEE_SPOUSE,
                                                       effective_date=date(2026, 1, 1), source=EnrollmentSource.IMPORT)
                enrollment.covered_dependents.add(spouse)
            enrollment_services.qualifying_event_mark(
                employee=employee, event_type=QualifyingEventType.TERMINATION, event_date=TODAY - timedelta(days=5),
                source=EventSource.TERMINATION_TOOL, reason="voluntary", today=TODAY)
    return company


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    company = seed(n)
    print(f"seeded {n} qualifying events in {time.perf_counter() - started:.1f}s")
    drafts = notices.notice_drafts(kind=NoticeKind.ELECTION, company=company, as_of=TODAY)
    assert len(drafts) == n, len(drafts)
    documents = [render_to_string(draft.template, draft.context) for draft in drafts]
    pdf_render(documents[0])  # warm up fonts and caches for both sides

    started = time.process_time()
    for html in documents:
        pdf_render(html)
    base = time.process_time() - started

    render, rendered, early = services.notice_render, [0], max(n // 5, 1)
    peaks = {}

    def notice_render(draft):  # notes the peak once the first fifth of the notices are done
        if rendered[0] == early:
            peaks[early] = peak_mb()
        rendered[0] += 1
        return render(draft)

    services.notice_render = notice_render
    started = time.process_time()
    generated, merged = services.notices_generate(kind=NoticeKind.ELECTION, company=company, as_of=TODAY,
                                                  merged_path=WORK / "merged.pdf")
    ours = time.process_time() - started
    services.notice_render = render
    assert len(generated) == n and merged and merged.exists()

    peak = peaks[n] = peak_mb()
    print(f"notices_generate: {ours:.1f}s for {n} notices (+ merged file of {merged.stat().st_size / 1e6:.1f} MB); "
          f"WeasyPrint alone on the same HTML: {base:.1f}s (CPU)")
    print("peak MB " + ", ".join(f"after {count} notices {mb:.0f}" for count, mb in sorted(peaks.items())))
    shutil.rmtree(WORK, ignore_errors=True)
    print(f"pdf_notices: ratio {ours / base:.2f} (target {TARGET}), peak MB {peak:.0f}")


if __name__ == "__main__":
    main()
