"""Excel report benchmark: `python bench/excel_report.py [N]` (N report rows, default 100,000).

On a fresh temporary SQLite database holding N Initial Rights items (half employees, half spouses), times
reports.services.report_write (one streamed query -> openpyxl write-only, full SSNs as for a superuser,
the default columns) against a baseline that writes the same rows with openpyxl write-only from an in-memory
list. R is the ratio of CPU times (best of 3 interleaved runs). Peak memory is traced on separate runs (tracing slows Python down): the report's
peak, the baseline's (its list included, since writing from a list needs the list), and the report's peak on a
tenth of the rows, which shows memory does not grow with rows.
"""
import shutil
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

from scratch import django_scratch  # noqa: E402

WORK = django_scratch("bench-excel-")

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402

from companies.models import Company  # noqa: E402
from enrollments.cobra.codes import EnrollmentSource, Tier  # noqa: E402
from enrollments.models import Dependent, Employee, Enrollment, InitialRightsItem, Plan  # noqa: E402
from reports import selectors, services  # noqa: E402
from reports.columns import DEFAULT_COLUMNS, columns_resolve  # noqa: E402
from reports.models import ReportKind  # noqa: E402

TARGET = 1.5
KIND = ReportKind.INITIAL_RIGHTS
START = date(2026, 11, 1)
DAYS = 10


def seed(n):
    """n // 2 employees each with a covered spouse: n items, coverage starts spread over DAYS days."""
    company = Company.objects.create(code="bench", name="Bench Co", state="NY", prior_year_employee_count=Decimal("500"),
                                     address1="1 Bench St", city="Albany", zip="12207")
    plan = Plan.objects.create(company=company, code="med", name="Medical PPO", plan_type="medical", carrier="Aetna",
                               plan_year_start=date(2026, 1, 1), plan_year_end=date(2026, 12, 31),
                               monthly_premium=Decimal("600"))
    families = n // 2
    with transaction.atomic():
        employees = []
        for i in range(families):
            employee = Employee(company=company, employee_id=f"E{i:06d}", first_name=f"First{i}", last_name=f"Last{i % 997}",
                                dob=date(1970 + i % 30, 1 + i % 12, 1 + i % 28), gender="MF"[i % 2], address1=f"{i} Main St",
                                city="Albany", state="NY", zip="12207", email=f"e{i}@example.com", hire_date=date(2020, 1, 6))
            employee.set_ssn(f"{100000000 + i:09d}")
            employees.append(employee)
        Employee.objects.bulk_create(employees, batch_size=2000)
        employees = list(Employee.objects.filter(company=company).order_by("id"))
        spouses = []
        for i, employee in enumerate(employees):
            spouse = Dependent(employee=employee, dependent_id="D1", relationship="spouse", first_name=f"Spouse{i}",
                               last_name=employee.last_name, dob=date(1972, 3, 9), gender="MF"[(i + 1) % 2])
            spouse.set_ssn(f"{300000000 + i:09d}")
            spouses.append(spouse)
        Dependent.objects.bulk_create(spouses, batch_size=2000)
        spouses = {d.employee_id: d for d in Dependent.objects.filter(employee__company=company)}
        starts = [START + timedelta(days=i % DAYS) for i in range(families)]
        Enrollment.objects.bulk_create([
            Enrollment(employee=employee, plan=plan, tier=Tier.EMPLOYEE_SPOUSE, effective_date=starts[i],
                       source=EnrollmentSource.NEW_HIRE) for i, employee in enumerate(employees)], batch_size=2000)
        enrollments = list(Enrollment.objects.filter(plan=plan).order_by("employee_id"))
        Enrollment.covered_dependents.through.objects.bulk_create([
            Enrollment.covered_dependents.through(enrollment_id=e.pk, dependent_id=spouses[e.employee_id].pk)
            for e in enrollments], batch_size=2000)
        items = []
        for enrollment in enrollments:
            for dependent in (None, spouses[enrollment.employee_id]):
                items.append(InitialRightsItem(
                    enrollment=enrollment, employee_id=enrollment.employee_id, dependent=dependent, plan=plan,
                    coverage_start=enrollment.effective_date, notice_due=enrollment.effective_date + timedelta(days=90),
                    created_on=enrollment.effective_date))
        InitialRightsItem.objects.bulk_create(items, batch_size=2000)
    return company


def report(company, out, days=DAYS):
    return services.report_write(kind=KIND, company=company, columns=DEFAULT_COLUMNS[KIND], date_from=START,
                                 date_to=START + timedelta(days=days - 1), full_ssn=True, output=out)


def baseline(rows, out):
    """openpyxl write-only, same sheet settings, from a list."""
    columns = columns_resolve(KIND, DEFAULT_COLUMNS[KIND])
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Report")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([column.header for column in columns])
    for row in rows:
        sheet.append(row)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    workbook.save(out)


def timed(fn, *args):
    """CPU seconds of this process (SQLite runs in it too): steadier than wall time on a shared machine."""
    started = time.process_time()
    result = fn(*args)
    return time.process_time() - started, result


def traced(fn, *args):
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    company = seed(n)
    print(f"seeded {n} items in {time.perf_counter() - started:.1f}s")
    columns = columns_resolve(KIND, DEFAULT_COLUMNS[KIND])
    rows = list(selectors.report_rows(kind=KIND, company=company, date_from=START,
                                      date_to=START + timedelta(days=DAYS - 1), columns=columns, full_ssn=True))
    assert len(rows) == n, (len(rows), n)
    ours, base = [], []
    for attempt in range(3):
        base.append(timed(baseline, rows, WORK / f"base{attempt}.xlsx")[0])
        seconds, count = timed(report, company, WORK / f"ours{attempt}.xlsx")
        assert count == n
        ours.append(seconds)
    ratio = min(ours) / min(base)
    print(f"report_write: {min(ours):.2f}s; openpyxl write-only from a list: {min(base):.2f}s (CPU, best of 3)")
    del rows
    base_peak = traced(lambda: baseline(list(selectors.report_rows(
        kind=KIND, company=company, date_from=START, date_to=START + timedelta(days=DAYS - 1), columns=columns,
        full_ssn=True)), WORK / "base-traced.xlsx"))
    peak = traced(report, company, WORK / "ours-traced.xlsx")
    tenth = traced(report, company, WORK / "ours-tenth.xlsx", 1)
    print(f"peak traced memory: report {peak:.1f} MB at {n} rows, {tenth:.1f} MB at {n // DAYS} rows; "
          f"baseline with its list {base_peak:.1f} MB (memory ratio {peak / base_peak:.2f})")
    shutil.rmtree(WORK, ignore_errors=True)
    print(f"excel_report: ratio {ratio:.2f} (target {TARGET}), peak MB {peak:.1f}")


if __name__ == "__main__":
    main()
