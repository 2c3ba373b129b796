"""Census import benchmark: `python bench/import_census.py [N]` (N employees, default 5,000).

Builds an .xlsx census of N employees with dependents and enrollments, then on a fresh temporary SQLite
database times census_import against a baseline that writes the same rows with plain bulk_create from
in-memory lists (no reading, checking, history or COBRA services). Peak memory is traced on a dry run of the
same import, so tracing does not slow the timed run.
"""
import shutil
import sys
import time
import tracemalloc
from datetime import date
from decimal import Decimal

from scratch import django_scratch  # noqa: E402

WORK = django_scratch("bench-census-")

import openpyxl  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

from companies import fields  # noqa: E402
from companies.models import Company  # noqa: E402
from enrollments.census import census_import  # noqa: E402
from enrollments.models import Dependent, Employee, Enrollment, Plan  # noqa: E402

TODAY = date(2026, 11, 23)
TARGET = 3.0
PLANS = [("med", "Medical PPO", "medical", date(2026, 1, 1), "600"), ("den", "Dental", "dental", date(2026, 1, 1), "45")]


def census_rows(n):
    """The census as {sheet: [header, *rows]}: every 2nd employee has a spouse, every 3rd a child; all have
    medical, every 2nd dental too."""
    sheets = {
        "Companies": [["company_code", "name", "state", "prior_year_employee_count"], ["bench", "Bench Co", "NY", n]],
        "Plans": [["company_code", "plan_code", "name", "plan_type", "plan_year_start", "plan_year_end",
                   "monthly_premium"]]
        + [["bench", code, name, kind, start.isoformat(), start.replace(month=12, day=31).isoformat(), premium]
           for code, name, kind, start, premium in PLANS],
        "Employees": [["company_code", "employee_id", "first_name", "last_name", "ssn", "dob", "gender", "address1",
                       "city", "state", "zip", "email", "hire_date", "hours_per_week"]],
        "Dependents": [["company_code", "employee_id", "dependent_id", "relationship", "first_name", "last_name",
                        "ssn", "dob", "gender"]],
        "Enrollments": [["company_code", "employee_id", "plan_code", "tier", "covered_dependents",
                         "effective_date"]],
    }
    for i in range(n):
        emp = f"E{i:06d}"
        sheets["Employees"].append(["bench", emp, f"First{i}", f"Last{i}", f"{100000000 + i:09d}", "1980-05-17",
                                    "FM"[i % 2], f"{i} Main St", "Albany", "NY", "12207", f"e{i}@example.com",
                                    "2020-01-06", "40"])
        covered = []
        if i % 2 == 0:
            sheets["Dependents"].append(["bench", emp, "S", "spouse", f"Spouse{i}", f"Last{i}",
                                         f"{300000000 + i:09d}", "1982-02-03", "MF"[i % 2]])
            covered.append("S")
        if i % 3 == 0:
            sheets["Dependents"].append(["bench", emp, "C1", "child", f"Child{i}", f"Last{i}", "", "2015-06-01", "F"])
            covered.append("C1")
        tier = {0: "employee", 1: "employee_spouse" if "S" in covered else "employee_children", 2: "family"}[len(covered)]
        sheets["Enrollments"].append(["bench", emp, "med", tier, ";".join(covered), "2026-01-01"])
        if i % 2 == 0:
            sheets["Enrollments"].append(["bench", emp, "den", tier, ";".join(covered), "2026-01-01"])
    return sheets


def write_xlsx(path, sheets):
    book = openpyxl.Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def as_dicts(rows):
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:]]


def baseline(sheets):
    """The same rows with plain bulk_create from in-memory lists; rolled back so the import starts on a fresh DB."""
    started = time.perf_counter()
    with transaction.atomic():
        company_row = as_dicts(sheets["Companies"])[0]
        company = Company.objects.create(code=company_row["company_code"], name=company_row["name"],
                                         state=company_row["state"],
                                         prior_year_employee_count=company_row["prior_year_employee_count"])
        plans = Plan.objects.bulk_create([
            Plan(company=company, code=r["plan_code"], name=r["name"], plan_type=r["plan_type"],
                 plan_year_start=date.fromisoformat(r["plan_year_start"]),
                 plan_year_end=date.fromisoformat(r["plan_year_end"]), monthly_premium=Decimal(r["monthly_premium"]))
            for r in as_dicts(sheets["Plans"])])
        plan_by_code = {p.code: p for p in plans}
        employees = []
        for r in as_dicts(sheets["Employees"]):
            employee = Employee(company=company, employee_id=r["employee_id"], first_name=r["first_name"],
                                last_name=r["last_name"], dob=date.fromisoformat(r["dob"]), gender=r["gender"],
                                address1=r["address1"], city=r["city"], state=r["state"], zip=r["zip"],
                                email=r["email"], hire_date=date.fromisoformat(r["hire_date"]),
                                hours_per_week=Decimal(r["hours_per_week"]))
            employee.set_ssn(r["ssn"])
            employees.append(employee)
        Employee.objects.bulk_create(employees)
        employee_by_id = {e.employee_id: e for e in employees}
        dependents = []
        for r in as_dicts(sheets["Dependents"]):
            dependent = Dependent(employee=employee_by_id[r["employee_id"]], dependent_id=r["dependent_id"],
                                  relationship=r["relationship"], first_name=r["first_name"],
                                  last_name=r["last_name"], dob=date.fromisoformat(r["dob"]), gender=r["gender"])
            dependent.set_ssn(r["ssn"] or None)
            dependents.append(dependent)
        Dependent.objects.bulk_create(dependents)
        dependent_by_key = {(d.employee.employee_id, d.dependent_id): d for d in dependents}
        enrollments, covered = [], []
        for r in as_dicts(sheets["Enrollments"]):
            effective = date.fromisoformat(r["effective_date"])
            enrollments.append(Enrollment(employee=employee_by_id[r["employee_id"]], plan=plan_by_code[r["plan_code"]],
                                          tier=r["tier"], effective_date=effective, elected_on=effective))
            covered.append([dependent_by_key[(r["employee_id"], d)] for d in r["covered_dependents"].split(";") if d])
        Enrollment.objects.bulk_create(enrollments)
        through = Enrollment.covered_dependents.through
        through.objects.bulk_create([through(enrollment_id=e.pk, dependent_id=d.pk)
                                     for e, people in zip(enrollments, covered) for d in people])
        elapsed = time.perf_counter() - started
        transaction.set_rollback(True)
    return elapsed


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    try:
        call_command("migrate", verbosity=0)
        fields.encrypt("000000000")  # derive the SSN encryption key once, outside both timings
        sheets = census_rows(n)
        path = write_xlsx(WORK / "census.xlsx", sheets)
        rows = sum(len(r) - 1 for r in sheets.values())
        print(f"census: {n} employees, {len(sheets['Dependents']) - 1} dependents, "
              f"{len(sheets['Enrollments']) - 1} enrollments, {rows} rows, {path.stat().st_size / 1e6:.1f} MB xlsx")

        base = baseline(sheets)
        print(f"baseline (plain bulk_create): {base:.2f} s, {rows / base:,.0f} rows/s")

        tracemalloc.start()
        checked = census_import(path_or_file=path, user=None, today=TODAY, dry_run=True)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        assert not checked.errors, checked.errors[:5]

        started = time.perf_counter()
        result = census_import(path_or_file=path, user=None, today=TODAY)
        ours = time.perf_counter() - started
        assert not result.errors and result.status == "applied", result.errors[:5]
        assert Employee.objects.count() == n
        print(f"census_import: {ours:.2f} s, {rows / ours:,.0f} rows/s")

        started = time.perf_counter()
        again = census_import(path_or_file=path, user=None, today=TODAY)
        print(f"census_import again (nothing changed): {time.perf_counter() - started:.2f} s, {again.status}")

        print(f"import_census: ratio {ours / base:.2f} (target {TARGET}), peak MB {peak:.0f}")
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
