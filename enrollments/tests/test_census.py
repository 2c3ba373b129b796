"""Census import (shared/spec/census-workbook.md): bad rows, all-or-nothing, idempotence, file shapes, admin, command."""
import copy
import csv
import zipfile
from datetime import date
from io import StringIO

import openpyxl
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from companies.models import Company
from enrollments.census import census_import
from enrollments.cobra.codes import EventSource, QualifyingEventType
from enrollments.models import (
    CensusImport, Dependent, Employee, EmploymentStatus, Enrollment, InitialRightsItem, Plan, QualifyingEvent,
)

TODAY = date(2026, 11, 23)
MODELS = (Company, Plan, Employee, Dependent, Enrollment)

BASE = {
    "Companies": [
        ["company_code", "name", "ein", "address1", "city", "state", "zip", "prior_year_employee_count"],
        ["alpha", "Alpha Foods", "12-3456789", "1 Main St", "Fresno", "CA", "93650", "12"],
    ],
    "Plans": [
        ["company_code", "plan_code", "name", "plan_type", "carrier", "plan_year_start", "plan_year_end",
         "renews_plan_code", "coverage_ends", "monthly_premium"],
        ["alpha", "med", "Alpha Medical", "medical", "Blue Shield", "2025-01-01", "2025-12-31", "", "", "600"],
        ["alpha", "med", "Alpha Medical", "medical", "Blue Shield", "2026-01-01", "2026-12-31", "med", "", "620.00"],
        ["alpha", "den", "Alpha Dental", "dental", "Delta", "2026-01-01", "2026-12-31", "", "event_date", "45.50"],
    ],
    "Employees": [
        ["company_code", "employee_id", "first_name", "last_name", "ssn", "dob", "gender", "address1", "city",
         "state", "zip", "email", "hire_date", "hours_per_week"],
        ["alpha", "E1", "Ana", "Lopez", "123-45-6789", "1980-05-17", "F", "10 Elm St", "Fresno", "CA", "93650",
         "ana@example.com", "2020-01-06", "40"],
        ["alpha", "E2", "Ben", "Ng", "234567890", "1975-02-03", "M", "11 Elm St", "Fresno", "CA", "93650", "",
         "2021-03-01", "30"],
    ],
    "Dependents": [
        ["company_code", "employee_id", "dependent_id", "relationship", "first_name", "last_name", "ssn", "dob",
         "gender"],
        ["alpha", "E1", "D1", "spouse", "Sam", "Lopez", "223-45-6789", "1982-02-03", "M"],
        ["alpha", "E1", "D2", "child", "Kim", "Lopez", "", "2015-06-01", "F"],
    ],
    "Enrollments": [
        ["company_code", "employee_id", "plan_code", "plan_year_start", "tier", "covered_dependents",
         "effective_date", "end_date", "elected_on", "source", "life_event_reason"],
        ["alpha", "E1", "med", "", "family", "D1; D2", "2026-01-01", "", "", "", ""],
        ["alpha", "E1", "den", "", "employee_spouse", "D1", "2026-01-01", "", "", "", ""],
        ["alpha", "E2", "med", "2026-01-01", "employee", "", "2026-01-01", "", "2025-12-01", "import", ""],
    ],
}


def census(changes=None, *, company="alpha"):
    """A copy of the base census for `company`, with {(sheet, row index): {column: value}} applied."""
    sheets = copy.deepcopy(BASE)
    for rows in sheets.values():
        for row in rows[1:]:
            row[0] = company
    for (sheet, index), cells in (changes or {}).items():
        header = sheets[sheet][0]
        for column, value in cells.items():
            sheets[sheet][index][header.index(column)] = value
    return sheets


def drop_column(sheets, sheet, column):
    index = sheets[sheet][0].index(column)
    for row in sheets[sheet]:
        del row[index]
    return sheets


def write_xlsx(path, sheets):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([None if value == "" else value for value in row])
    book.save(path)
    return path


def write_csv_folder(folder, sheets):
    folder.mkdir()
    for name, rows in sheets.items():
        with open(folder / f"{name.lower()}.csv", "w", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def write_zip(path, sheets):
    with zipfile.ZipFile(path, "w") as archive:
        for name, rows in sheets.items():
            buffer = StringIO()
            csv.writer(buffer).writerows(rows)
            archive.writestr(f"census/{name.lower()}.csv", buffer.getvalue())
    return path


def run(tmp_path, sheets, user, name="census.xlsx", **kwargs):
    return census_import(path_or_file=write_xlsx(tmp_path / name, sheets), user=user, today=TODAY, **kwargs)


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def history_counts():
    through_history = apps.get_model("enrollments", "HistoricalEnrollment_covered_dependents")
    return {**{model.__name__: model.history.count() for model in MODELS}, "covered": through_history.objects.count()}


# ---------------------------------------------------------------- happy path

def test_import_creates_every_sheet_and_records_the_import(world, tmp_path):
    result = run(tmp_path, census(), world.admin)

    assert result.errors == []
    assert result.status == CensusImport.Status.APPLIED
    assert result.summary["Companies"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert result.summary["Plans"]["created"] == 3
    assert result.summary["Employees"]["created"] == 2
    assert result.summary["Dependents"]["created"] == 2
    assert result.summary["Enrollments"]["created"] == 3
    ana = Employee.objects.get(company=world.alpha, employee_id="E1")
    assert (ana.ssn, ana.ssn_last4, ana.dob, ana.hours_per_week) == ("123456789", "6789", date(1980, 5, 17), 40)
    assert Employee.objects.get(employee_id="E2").ssn == "234567890"
    medical_2026 = Plan.objects.get(company=world.alpha, code="med", plan_year_start=date(2026, 1, 1))
    assert medical_2026.renews == Plan.objects.get(code="med", plan_year_start=date(2025, 1, 1))
    assert medical_2026.coverage_ends == "end_of_month"
    assert Plan.objects.get(code="den").coverage_ends == "event_date"
    family = Enrollment.objects.get(employee=ana, plan=medical_2026)
    assert sorted(family.covered_dependents.values_list("dependent_id", flat=True)) == ["D1", "D2"]
    assert (family.source, family.elected_on) == ("import", date(2026, 1, 1))
    assert Enrollment.objects.get(employee__employee_id="E2").elected_on == date(2025, 12, 1)
    assert family.history.get().covered_dependents.count() == 2  # the history row carries the m2m snapshot
    assert ana.history.get().history_user == world.admin
    record = result.record
    assert (record.status, record.uploaded_by, record.file_name) == ("applied", world.admin, "census.xlsx")
    assert list(record.companies.all()) == [world.alpha]


def test_import_source_owes_no_initial_rights_but_a_new_hire_row_does(world, tmp_path):
    sheets = census({("Enrollments", 3): {"source": "new_hire", "effective_date": "2026-11-01",
                                          "elected_on": "2026-10-20"}})
    result = run(tmp_path, sheets, world.admin)

    assert result.errors == []
    items = InitialRightsItem.objects.all()
    assert {item.employee.employee_id for item in items} == {"E2"}  # seed 001: imports never trigger, new hires do
    assert result.summary["Enrollments"]["initial_rights_items"] == len(items)


# ---------------------------------------------------------------- bad input, table-driven

BAD_ROWS = [
    ("unknown code", {("Plans", 1): {"plan_type": "medic"}}, ("Plans", 2, "plan_type", "plan_type 'medic' is not a known code")),
    ("bad date", {("Employees", 1): {"hire_date": "2020-13-45"}}, ("Employees", 2, "hire_date", "is not a date: use YYYY-MM-DD")),
    ("bad date, day/month/year", {("Enrollments", 1): {"effective_date": "01/01/2026"}},
     ("Enrollments", 2, "effective_date", "'01/01/2026' is not a date")),
    ("malformed SSN", {("Employees", 2): {"ssn": "12-3456-78"}}, ("Employees", 3, "ssn", "ssn must be NNN-NN-NNNN or 9 digits")),
    ("bad birth date", {("Dependents", 1): {"dob": "1982-02-30"}}, ("Dependents", 2, "dob", "dob is not a date")),
    ("blank required cell", {("Employees", 1): {"first_name": ""}}, ("Employees", 2, "first_name", "first_name is required")),
    ("unknown gender", {("Employees", 1): {"gender": "X"}}, ("Employees", 2, "gender", "use one of M, F, U")),
    ("bad state", {("Employees", 1): {"state": "Cal"}}, ("Employees", 2, "state", "is not a US state code")),
    ("bad ZIP", {("Employees", 1): {"zip": "9365"}}, ("Employees", 2, "zip", "must be NNNNN or NNNNN-NNNN")),
    ("bad EIN", {("Companies", 1): {"ein": "123"}}, ("Companies", 2, "ein", "must be NN-NNNNNNN")),
    ("bad e-mail", {("Employees", 1): {"email": "ana@"}}, ("Employees", 2, "email", "is not an e-mail address")),
    ("bad number", {("Employees", 1): {"hours_per_week": "forty"}}, ("Employees", 2, "hours_per_week", "is not a number")),
    ("unknown relationship", {("Dependents", 1): {"relationship": "employee"}},
     ("Dependents", 2, "relationship", "use one of spouse, domestic_partner, child")),
    ("plan year ends before it starts", {("Plans", 3): {"plan_year_end": "2025-12-31"}},
     ("Plans", 4, "plan_year_end", "plan_year_end must be after plan_year_start")),
    ("renews nothing", {("Plans", 3): {"renews_plan_code": "den"}}, ("Plans", 4, "renews_plan_code", "matches no earlier plan")),
    ("unknown employee", {("Dependents", 2): {"employee_id": "E9"}}, ("Dependents", 3, "employee_id", "Unknown employee_id 'E9'")),
    ("unknown plan", {("Enrollments", 2): {"plan_code": "vis"}}, ("Enrollments", 3, "plan_code", "Unknown plan_code 'vis'")),
    ("unknown plan year", {("Enrollments", 3): {"plan_year_start": "2024-01-01"}},
     ("Enrollments", 4, "plan_code", "Unknown plan_code 'med' for plan year 2024-01-01")),
    ("plan year not in force", {("Enrollments", 1): {"effective_date": "2027-03-01"}},
     ("Enrollments", 2, "plan_year_start", "none is in force on effective_date: give plan_year_start")),
    ("unknown dependent covered", {("Enrollments", 1): {"covered_dependents": "D1;D7"}},
     ("Enrollments", 2, "covered_dependents", "Unknown dependent_id 'D7' of employee 'E1'")),
    ("end before start", {("Enrollments", 2): {"end_date": "2025-12-31"}}, ("Enrollments", 3, "end_date", "end_date is before effective_date")),
    ("unknown source", {("Enrollments", 2): {"source": "walk_in"}}, ("Enrollments", 3, "source", "is not a known code")),
    ("unknown company", {("Employees", 2): {"company_code": "zeta"}}, ("Employees", 3, "company_code", "Unknown company_code 'zeta'")),
    ("bad company code", {("Companies", 1): {"company_code": "al pha"}}, ("Companies", 2, "company_code", "only letters, digits")),
]


@pytest.mark.parametrize("changes, expected", [case[1:] for case in BAD_ROWS], ids=[case[0] for case in BAD_ROWS])
def test_a_bad_row_is_reported_where_it_is_and_nothing_is_written(world, tmp_path, changes, expected):
    before = counts()

    result = run(tmp_path, census(changes), world.admin)

    sheet, row, column, reason = expected
    found = [e for e in result.errors if (e["sheet"], e["row"], e["column"]) == (sheet, row, column)]
    assert found, result.errors
    assert reason in found[0]["reason"]
    assert result.status == CensusImport.Status.REJECTED
    assert counts() == before
    assert CensusImport.objects.get().errors == result.errors


EXTRA_ROWS = [
    ("duplicate employee", "Employees", [["alpha", "E1", "Ann", "Lopez", "", "", "", "", "", "", "", "", "2020-01-06", ""]],
     ("Employees", 4, "employee_id", "Duplicate employee_id 'E1' (also on row 2)")),
    ("duplicate dependent", "Dependents", [["alpha", "E1", "D1", "spouse", "Sam", "Lopez", "", "", ""]],
     ("Dependents", 4, "dependent_id", "Duplicate dependent_id 'D1' of employee 'E1'")),
    ("duplicate enrollment", "Enrollments", [["alpha", "E1", "den", "2026-01-01", "", "", "2026-01-01", "", "", "", ""]],
     ("Enrollments", 5, "plan_code", "Duplicate enrollment of employee 'E1' in plan 'den'")),
    ("termination of an unknown employee", "Terminations",
     [["company_code", "employee_id", "termination_date", "reason"], ["alpha", "E7", "2026-11-13", ""]],
     ("Terminations", 2, "employee_id", "Unknown employee_id 'E7'")),
    ("unknown termination reason", "Terminations",
     [["company_code", "employee_id", "termination_date", "reason"], ["alpha", "E1", "2026-11-13", "fired"]],
     ("Terminations", 2, "reason", "'fired' is not a known code: use one of voluntary")),
    ("termination before hire", "Terminations",
     [["company_code", "employee_id", "termination_date", "reason"], ["alpha", "E1", "2019-01-01", ""]],
     ("Terminations", 2, "termination_date", "before the employee's hire_date")),
]


@pytest.mark.parametrize("sheet, rows, expected", [case[1:] for case in EXTRA_ROWS], ids=[case[0] for case in EXTRA_ROWS])
def test_an_extra_bad_row_is_reported(world, tmp_path, sheet, rows, expected):
    sheets = census()
    if sheet in sheets:
        sheets[sheet].extend(rows)
    else:
        sheets[sheet] = rows

    result = run(tmp_path, sheets, world.admin)

    assert any((e["sheet"], e["row"], e["column"]) == expected[:3] and expected[3] in e["reason"] for e in result.errors), \
        result.errors
    assert counts()["Employee"] == 0


def test_a_missing_required_column_is_reported_on_the_header_row(world, tmp_path):
    result = run(tmp_path, drop_column(census(), "Employees", "hire_date"), world.admin)

    assert {"sheet": "Employees", "row": 1, "column": "hire_date",
            "reason": "The Employees sheet has no hire_date column: add it to the header row."} in result.errors
    assert counts()["Employee"] == 0


def test_every_error_is_listed_not_just_the_first(world, tmp_path):
    sheets = census({("Employees", 2): {"ssn": "1234", "hire_date": "soon"}, ("Plans", 3): {"plan_type": "gold"},
                     ("Dependents", 2): {"dob": "someday"}, ("Enrollments", 1): {"covered_dependents": "D1;D9"}})

    result = run(tmp_path, sheets, world.admin)

    # rows that only point at a bad row (E2's enrollment, the dental enrollment) add no second error
    assert [(e["sheet"], e["row"], e["column"]) for e in result.errors] == [
        ("Plans", 4, "plan_type"), ("Employees", 3, "hire_date"), ("Employees", 3, "ssn"), ("Dependents", 3, "dob"),
        ("Enrollments", 2, "covered_dependents")]


def test_messages_and_logs_never_carry_ssns_or_birth_dates(world, tmp_path, caplog):
    sheets = census({("Employees", 1): {"ssn": "123-45-678"}, ("Employees", 2): {"dob": "1975-02-31"}})

    with caplog.at_level("DEBUG"):
        result = run(tmp_path, sheets, world.admin)

    assert len(result.errors) == 2
    text = str(result.errors) + caplog.text + str(CensusImport.objects.get().errors)
    for secret in ("123-45-678", "12345678", "1975-02-31"):
        assert secret not in text


def test_unknown_columns_and_sheets_are_warnings(world, tmp_path):
    sheets = census()
    sheets["Employees"][0].append("favourite_colour")
    for row in sheets["Employees"][1:]:
        row.append("blue")
    sheets["Notes"] = [["anything"], ["at all"]]

    result = run(tmp_path, sheets, world.admin)

    assert result.errors == []
    assert result.status == CensusImport.Status.APPLIED
    assert {(w["sheet"], w["column"]) for w in result.warnings} == {("Employees", "favourite_colour"), ("Notes", "")}


def test_an_unreadable_file_is_rejected_with_a_fix(world, tmp_path):
    path = tmp_path / "census.xlsx"
    path.write_text("not a workbook")

    result = census_import(path_or_file=path, user=world.admin, today=TODAY)

    assert result.status == CensusImport.Status.REJECTED
    assert "save it again as .xlsx" in result.errors[0]["reason"]


# ---------------------------------------------------------------- all or nothing, idempotence, updates

def test_one_bad_row_among_good_ones_writes_nothing(world, tmp_path):
    sheets = census({("Enrollments", 3): {"plan_code": "nope"}})
    before, history_before = counts(), history_counts()

    result = run(tmp_path, sheets, world.admin)

    assert len(result.errors) == 1
    assert counts() == before
    assert history_counts() == history_before
    assert result.record.status == "rejected"


def test_a_termination_cobra_cannot_be_marked_for_rolls_back_the_whole_census(world, tmp_path):
    sheets = census()
    sheets["Terminations"] = [["company_code", "employee_id", "termination_date", "reason"],
                              ["alpha", "E1", "2026-11-13", ""]]  # E1's child has no SSN: a vendor would reject it
    before = counts()

    result = run(tmp_path, sheets, world.admin)

    assert result.errors == [{"sheet": "Terminations", "row": 2, "column": "termination_date",
                              "reason": "COBRA cannot be marked for this termination: Kim Lopez is missing SSN. "
                                        "Fix it in this census, or leave the row out."}]
    assert counts() == before
    assert QualifyingEvent.objects.count() == 0


def test_a_termination_without_coverage_on_that_date_marks_no_event(world, tmp_path):
    sheets = census()
    sheets["Employees"].append(["alpha", "E3", "Cy", "Park", "", "", "", "", "", "", "", "", "2020-01-06", ""])
    sheets["Terminations"] = [["company_code", "employee_id", "termination_date", "reason"],
                              ["alpha", "E3", "2026-11-13", "involuntary"],  # never enrolled
                              ["alpha", "E2", "2025-06-30", ""]]  # before E2's 2026 coverage began

    result = run(tmp_path, sheets, world.admin)

    assert result.errors == []
    assert set(Employee.objects.filter(employment_status=EmploymentStatus.TERMINATED)
               .values_list("employee_id", flat=True)) == {"E2", "E3"}
    assert QualifyingEvent.objects.count() == 0
    assert result.summary["Terminations"]["qualifying_events"] == 0


def test_importing_the_same_workbook_twice_changes_nothing(world, tmp_path):
    sheets = census()
    sheets["Terminations"] = [["company_code", "employee_id", "termination_date", "reason"],
                              ["alpha", "E2", "2026-11-13", "involuntary"]]
    first = run(tmp_path, sheets, world.admin)
    assert first.errors == []
    before, history_before = counts(), history_counts()
    events = QualifyingEvent.objects.count()

    second = run(tmp_path, sheets, world.admin)

    assert second.errors == []
    assert second.status == CensusImport.Status.UNCHANGED
    assert all(s["created"] == s["updated"] == 0 for s in second.summary.values())
    assert second.summary["Employees"]["unchanged"] == 2
    assert second.summary["Enrollments"]["unchanged"] == 3
    assert second.summary["Terminations"]["unchanged"] == 1
    assert counts() == before
    assert history_counts() == history_before
    assert QualifyingEvent.objects.count() == events


def test_a_changed_row_is_updated_in_place_with_history(world, tmp_path):
    run(tmp_path, census(), world.admin)
    ana = Employee.objects.get(employee_id="E1")
    family = Enrollment.objects.get(employee=ana, plan__code="med")

    result = run(tmp_path, census({("Employees", 1): {"last_name": "Lopez-Diaz", "ssn": "123-45-0000"},
                                   ("Enrollments", 1): {"covered_dependents": "D1", "tier": "employee_spouse"}}),
                 world.broker_a)

    assert result.errors == []
    assert result.summary["Employees"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert result.summary["Enrollments"] == {"created": 0, "updated": 1, "unchanged": 2, "initial_rights_items": 0}
    updated = Employee.objects.get(pk=ana.pk)
    assert (updated.last_name, updated.ssn, updated.ssn_last4, updated.first_name) == ("Lopez-Diaz", "123450000", "0000", "Ana")
    latest = updated.history.first()
    assert (latest.history_type, latest.last_name, latest.history_user) == ("~", "Lopez-Diaz", world.broker_a)
    assert updated.history.count() == 2
    family.refresh_from_db()
    assert family.tier == "employee_spouse"
    assert list(family.covered_dependents.values_list("dependent_id", flat=True)) == ["D1"]
    snapshot = family.history.first()
    assert snapshot.history_type == "~"
    assert [c.dependent.dependent_id for c in snapshot.covered_dependents.all()] == ["D1"]


def test_blank_optional_cells_keep_what_is_stored(world, tmp_path):
    run(tmp_path, census(), world.admin)

    result = run(tmp_path, census({("Employees", 1): {"ssn": "", "email": "", "dob": ""}}), world.admin)

    assert result.status == CensusImport.Status.UNCHANGED
    ana = Employee.objects.get(employee_id="E1")
    assert (ana.ssn_last4, ana.email, ana.dob) == ("6789", "ana@example.com", date(1980, 5, 17))


def sized_census(n):
    sheets = census()
    sheets["Employees"][1:] = [["alpha", f"E{i}", "Pat", f"Doe{i}", f"{100000000 + i:09d}", "1980-05-17", "F",
                                "1 Elm St", "Fresno", "CA", "93650", "", "2020-01-06", "40"] for i in range(n)]
    sheets["Dependents"][1:] = [["alpha", f"E{i}", "D1", "spouse", "Sam", f"Doe{i}", "", "", ""] for i in range(n)]
    sheets["Enrollments"][1:] = [["alpha", f"E{i}", "den", "", "employee_spouse", "D1", "2026-01-01", "", "", "", ""]
                                 for i in range(n)]
    return sheets


def test_queries_do_not_grow_with_rows(world, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run(tmp_path, sized_census(1), world.admin)  # the company and plans exist from here on

    def queries(n):
        Employee.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            result = run(tmp_path, sized_census(n), world.admin, name=f"{n}.xlsx")
        assert result.errors == [] and result.summary["Employees"]["created"] == n
        # the initial rights service runs once per enrollment in its own savepoint; nothing else is per row
        return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]

    assert len(queries(20)) == len(queries(2))


def test_dry_run_counts_but_writes_nothing(world, tmp_path):
    result = run(tmp_path, census(), world.admin, dry_run=True)

    assert result.errors == []
    assert result.summary["Employees"]["created"] == 2
    assert counts()["Employee"] == 0
    assert CensusImport.objects.count() == 0


# ---------------------------------------------------------------- terminations

def test_a_termination_row_marks_a_qualifying_event(world, tmp_path):
    sheets = census(company="beta")
    sheets["Companies"][1][1:] = ["Beta Freight", "98-7654321", "2 Dock Rd", "Albany", "NY", "12207", "120"]
    sheets["Terminations"] = [["company_code", "employee_id", "termination_date", "reason"],
                              ["beta", "E2", "2026-11-13", ""]]

    result = run(tmp_path, sheets, world.admin)

    assert result.errors == []
    ben = Employee.objects.get(company=world.beta, employee_id="E2")
    assert (ben.employment_status, ben.termination_date, ben.termination_reason) == (
        EmploymentStatus.TERMINATED, date(2026, 11, 13), "voluntary")  # seed 001: blank reason = voluntary
    event = QualifyingEvent.objects.get(employee=ben)
    assert (event.event_type, event.source, event.event_date) == (
        QualifyingEventType.TERMINATION, EventSource.IMPORT, date(2026, 11, 13))
    assert event.entered_by == world.admin
    assert event.eligibilities.count() >= 1
    assert result.summary["Terminations"] == {"created": 1, "updated": 0, "unchanged": 0, "qualifying_events": 1}
    assert Employee.objects.get(employee_id="E1").employment_status == EmploymentStatus.ACTIVE


def test_a_future_termination_is_scheduled(world, tmp_path):
    sheets = census(company="beta")
    del sheets["Companies"]
    sheets["Terminations"] = [["company_code", "employee_id", "termination_date", "reason"],
                              ["beta", "E2", "2026-12-15", "retirement"]]

    first = run(tmp_path, sheets, world.admin)
    second = run(tmp_path, sheets, world.admin)

    ben = Employee.objects.get(company=world.beta, employee_id="E2")
    assert (first.errors, second.errors) == ([], [])
    assert (ben.future_termination_date, ben.employment_status) == (date(2026, 12, 15), EmploymentStatus.ACTIVE)
    assert second.summary["Terminations"]["unchanged"] == 1


# ---------------------------------------------------------------- file shapes

def test_csv_folder_and_zip_import_like_the_workbook(world, tmp_path):
    folder = write_csv_folder(tmp_path / "census", census())
    from_folder = census_import(path_or_file=folder, user=world.admin, today=TODAY)
    assert from_folder.errors == []
    assert from_folder.summary["Employees"]["created"] == 2
    snapshot = counts()

    from_zip = census_import(path_or_file=write_zip(tmp_path / "census.zip", census()), user=world.admin, today=TODAY)

    assert from_zip.errors == []
    assert from_zip.status == CensusImport.Status.UNCHANGED
    assert counts() == snapshot


def test_headers_sheet_names_and_excel_cells_are_forgiving(world, tmp_path):
    sheets = census()
    sheets["employees"] = sheets.pop("Employees")
    sheets["employees"][0] = [f"  {name.upper()} " for name in sheets["employees"][0]]
    columns = sheets["employees"][0]
    order = list(reversed(range(len(columns))))
    sheets["employees"] = [[row[i] for i in order] for row in sheets["employees"]]
    row = sheets["employees"][1]
    row[order.index(columns.index("  HIRE_DATE "))] = date(2020, 1, 6)  # a real Excel date cell
    row[order.index(columns.index("  HOURS_PER_WEEK "))] = 40  # a number cell
    row[order.index(columns.index("  ZIP "))] = 2134  # Excel dropped the leading zero
    sheets["Plans"][1][sheets["Plans"][0].index("plan_type")] = "Medical"

    result = run(tmp_path, sheets, world.admin)

    assert result.errors == []
    ana = Employee.objects.get(employee_id="E1")
    assert (ana.hire_date, ana.hours_per_week, ana.zip) == (date(2020, 1, 6), 40, "02134")


# ---------------------------------------------------------------- scope

def test_a_broker_cannot_import_another_agencys_company(world, tmp_path):
    sheets = census()
    sheets["Employees"].append(["beta", "B1", "Bo", "Beta", "", "", "", "", "", "", "", "", "2020-01-06", ""])
    sheets["Companies"].append(["beta", "Beta Freight", "", "", "", "", "", ""])

    result = run(tmp_path, sheets, world.broker_a)

    assert {"sheet": "Companies", "row": 3, "column": "company_code",
            "reason": "company_code 'beta' is not one of your companies: use another code, "
                      "or ask support to give you access."} in result.errors
    assert counts()["Employee"] == 0


def test_an_unknown_company_outside_scope_is_an_error_on_every_sheet(world, tmp_path):
    sheets = census()
    sheets["Employees"].append(["beta", "B1", "Bo", "Beta", "", "", "", "", "", "", "", "", "2020-01-06", ""])

    result = run(tmp_path, sheets, world.hr_alpha)

    assert [(e["sheet"], e["row"], e["column"]) for e in result.errors] == [("Employees", 4, "company_code")]
    assert "Unknown company_code 'beta'" in result.errors[0]["reason"]


def test_a_broker_creates_a_new_company_for_their_agency(world, tmp_path):
    result = run(tmp_path, census(company="gamma"), world.broker_a)

    assert result.errors == []
    gamma = Company.objects.get(code="gamma")
    assert gamma.broker_agency == world.agency_a
    assert Company.objects.for_user(world.broker_a).filter(code="gamma").exists()
    assert not Company.objects.for_user(world.broker_b).filter(code="gamma").exists()


def test_hr_cannot_create_companies(world, tmp_path):
    result = run(tmp_path, census(company="gamma"), world.hr_alpha)

    assert result.errors[0]["row"] == 2 and result.errors[0]["column"] == "company_code"
    assert "only a broker or support can create companies" in result.errors[0]["reason"]
    assert len(result.errors) == 1
    assert not Company.objects.filter(code="gamma").exists()


# ---------------------------------------------------------------- the command

def test_command_prints_the_summary(world, tmp_path):
    out = StringIO()
    call_command("import_census", str(write_xlsx(tmp_path / "c.xlsx", census())), "--today", "2026-11-23", stdout=out)

    assert "Employees: 2 created, 0 updated, 0 unchanged" in out.getvalue()
    assert "Census import: Applied." in out.getvalue()


def test_command_prints_every_error_and_fails(world, tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", census({("Employees", 2): {"ssn": "1"}, ("Plans", 1): {"plan_type": "x"}}))
    out = StringIO()

    with pytest.raises(CommandError, match="2 error"):
        call_command("import_census", str(path), "--dry-run", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Plans row 2 column plan_type: plan_type 'x' is not a known code")
    assert lines[1] == "Employees row 3 column ssn: ssn must be NNN-NN-NNNN or 9 digits: fix the number"


# ---------------------------------------------------------------- the admin upload screen

def upload(client, sheets, tmp_path, **data):
    content = write_xlsx(tmp_path / "upload.xlsx", sheets).read_bytes()
    return client.post(reverse("admin:enrollments_censusimport_upload"),
                        {"file": SimpleUploadedFile("upload.xlsx", content), **data})


def test_admin_upload_shows_the_summary_and_lists_the_import(world, tmp_path, client):
    client.force_login(world.broker_a)
    assert client.get(reverse("admin:enrollments_censusimport_upload")).status_code == 200

    response = upload(client, census(), tmp_path)

    assert response.status_code == 200
    assert "Census imported." in response.content.decode()
    assert Employee.objects.filter(company=world.alpha).count() == 2
    record = CensusImport.objects.get()
    assert record.uploaded_by == world.broker_a
    listing = client.get(reverse("admin:enrollments_censusimport_changelist")).content.decode()
    assert "upload.xlsx" in listing and "Upload a census" in listing
    detail = client.get(reverse("admin:enrollments_censusimport_change", args=[record.pk]))
    assert detail.status_code == 200
    assert "<table class=\"census-summary\">" in detail.content.decode()


def test_admin_upload_shows_every_error_and_writes_nothing(world, tmp_path, client):
    client.force_login(world.hr_alpha)

    response = upload(client, census({("Employees", 1): {"hire_date": "yesterday"}}), tmp_path)

    page = response.content.decode()
    assert "Census rejected: nothing was written" in page
    assert "hire_date &#x27;yesterday&#x27; is not a date" in page
    assert Employee.objects.count() == 0
    assert CensusImport.objects.get().status == "rejected"


def test_admin_dry_run_writes_nothing(world, tmp_path, client):
    client.force_login(world.hr_alpha)

    response = upload(client, census(), tmp_path, dry_run="on")

    assert "Check passed" in response.content.decode()
    assert Employee.objects.count() == 0


def test_other_users_do_not_see_an_import(world, tmp_path, client):
    record = run(tmp_path, census(), world.broker_a).record

    client.force_login(world.broker_b)
    assert "census.xlsx" not in client.get(reverse("admin:enrollments_censusimport_changelist")).content.decode()
    assert client.get(reverse("admin:enrollments_censusimport_change", args=[record.pk])).status_code == 404
    client.force_login(world.hr_alpha)
    assert client.get(reverse("admin:enrollments_censusimport_change", args=[record.pk])).status_code == 200


def test_support_may_read_imports_but_not_upload(world, tmp_path, client):
    record = run(tmp_path, census(), world.broker_a).record
    client.force_login(world.support)

    assert client.get(reverse("admin:enrollments_censusimport_change", args=[record.pk])).status_code == 200
    assert client.get(reverse("admin:enrollments_censusimport_upload")).status_code == 403
