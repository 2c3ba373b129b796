"""Census import (shared/spec/census-workbook.md): one workbook or CSV set in, every bad row out, all or nothing.

Three steps, kept apart so the first two never touch the database row by row:
1. read: an .xlsx workbook, a folder, a .zip or a single .csv -> raw sheets (header + rows);
2. check: parse every cell and resolve every reference against the rows already stored for the
   companies in scope (loaded once, into dicts) -> a plan of creates, updates and terminations;
3. write: bulk writes with history in one transaction, then the COBRA services (initial rights,
   terminations) so a census row gets the same records as the admin screens.
"""
import csv
import io
import logging
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Callable
from xml.parsers import expat

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import prefetch_related_objects
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel
from simple_history.utils import bulk_create_with_history, bulk_update_with_history, get_history_manager_for_model

from companies.models import Company
from companies.pii import ssn_hash, ssn_normalize
from enrollments import services
from enrollments.cobra.codes import (
    CoverageEnds, EnrollmentSource, EventSource, LifeEventReason, PlanType, Relationship, TerminationReason, Tier,
)
from enrollments.models import CensusImport, Dependent, Employee, EmploymentStatus, Enrollment, Gender, Plan

logger = logging.getLogger(__name__)

ZIP_MAX_BYTES = 200 * 1024 * 1024
IN_BATCH = 2000


# ---------------------------------------------------------------- errors and result

@dataclass(frozen=True)
class CensusProblem:
    """One error or warning: where it is and what to do about it. Never carries an SSN or a birth date."""
    sheet: str
    row: int | None
    column: str
    reason: str

    def as_dict(self):
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


def problem_line(problem):
    """`Employees row 4 column ssn: reason` — the form the command prints."""
    problem = problem if isinstance(problem, dict) else problem.as_dict()
    where = problem["sheet"] or "file"
    if problem["row"]:
        where += f" row {problem['row']}"
    if problem["column"]:
        where += f" column {problem['column']}"
    return f"{where}: {problem['reason']}"


@dataclass
class CensusResult:
    status: str
    summary: dict
    errors: list
    warnings: list
    dry_run: bool = False
    record: CensusImport | None = None

    @property
    def status_label(self):
        return CensusImport.Status(self.status).label

    def summary_lines(self):
        lines = []
        for sheet, counts in self.summary.items():
            extra = "".join(f", {n} {name.replace('_', ' ')}" for name, n in counts.items()
                            if name not in ("created", "updated", "unchanged"))
            lines.append(f"{sheet}: {counts['created']} created, {counts['updated']} updated, "
                         f"{counts['unchanged']} unchanged{extra}")
        return lines


class _Rejected(Exception):
    """Raised inside the transaction to roll every write back."""


# ---------------------------------------------------------------- cell parsers (pure)

class CellError(ValueError):
    """A cell that breaks the contract; the message says what is wrong and how to fix it, without the value."""


def _text_of(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def text(max_length):
    def parse(value):
        result = _text_of(value)
        if len(result) > max_length:
            raise CellError(f"is longer than {max_length} characters: shorten it")
        return result
    return parse


_CODE = re.compile(r"^[-a-zA-Z0-9_]+$")


def key_code(value):
    result = text(50)(value)
    if not _CODE.match(result):
        raise CellError("may hold only letters, digits, '-' and '_': fix the code")
    return result


def choice(enum, *, exclude=()):
    allowed = [value for value in enum.values if value not in exclude]

    def parse(value):
        result = _text_of(value).lower()
        if result not in allowed:
            raise CellError(f"is not a known code: use one of {', '.join(allowed)}")
        return result
    return parse


def gender(value):
    result = _text_of(value).upper()
    if result not in Gender.values:
        raise CellError(f"is not a known code: use one of {', '.join(Gender.values)}")
    return result


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def a_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    result = _text_of(value)
    if _ISO_DATE.match(result):
        try:
            return date.fromisoformat(result)
        except ValueError:
            pass
    raise CellError("is not a date: use YYYY-MM-DD (e.g. 2026-01-31) or an Excel date cell")


def decimal(max_digits):
    limit = Decimal(10) ** (max_digits - 2)

    def parse(value):
        try:
            result = Decimal(_text_of(value).replace(",", ""))
        except InvalidOperation:
            raise CellError("is not a number: enter digits only, e.g. 40 or 612.50") from None
        if not result.is_finite() or result < 0:
            raise CellError("must be a number of zero or more: fix the amount")
        result = result.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if result >= limit:
            raise CellError(f"must be less than {limit:,}: fix the amount")
        return result
    return parse


def ssn(value):
    if isinstance(value, (int, float)) and float(value).is_integer() and 0 < value < 10 ** 9:
        value = f"{int(value):09d}"  # Excel drops an SSN's leading zeros when the cell is a number
    try:
        return ssn_normalize(value)
    except ValueError:
        raise CellError("must be NNN-NN-NNNN or 9 digits: fix the number") from None


_EIN = re.compile(r"^(\d{2})-?(\d{7})$")


def ein(value):
    match = _EIN.match(_text_of(value))
    if not match:
        raise CellError("must be NN-NNNNNNN: fix the number")
    return f"{match[1]}-{match[2]}"


def state(value):
    result = _text_of(value).upper()
    if result not in _state_codes():
        raise CellError("is not a US state code: use the 2-letter code, e.g. CA")
    return result


@cache
def _state_codes():
    return frozenset(code for code, _ in Employee._meta.get_field("state").choices)


_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


def zip_code(value):
    if isinstance(value, (int, float)) and float(value).is_integer():
        value = f"{int(value):05d}"  # Excel drops a ZIP's leading zeros when the cell is a number
    result = _text_of(value)
    if not _ZIP.match(result):
        raise CellError("must be NNNNN or NNNNN-NNNN: fix the ZIP code")
    return result


def email(value):
    result = text(254)(value)
    try:
        validate_email(result)
    except ValidationError:
        raise CellError("is not an e-mail address: fix it or leave the cell blank") from None
    return result


def id_list(value):
    ids = []
    for part in _text_of(value).split(";"):
        part = part.strip()
        if part and part not in ids:
            ids.append(part)
    return ids


# ---------------------------------------------------------------- the contract

@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable
    required: bool = False
    pii: bool = False  # the value never appears in a message


@dataclass(frozen=True)
class SheetSpec:
    name: str
    key: tuple
    columns: tuple


def _address():
    return (Column("address1", text(200)), Column("city", text(100)), Column("state", state), Column("zip", zip_code))


SHEETS = {
    "companies": SheetSpec("Companies", ("company_code",), (
        Column("company_code", key_code, required=True), Column("name", text(200), required=True),
        Column("ein", ein), *_address(), Column("plan_situs_state", state),
        Column("prior_year_employee_count", decimal(8)),
    )),
    "plans": SheetSpec("Plans", ("company_code", "plan_code", "plan_year_start"), (
        Column("company_code", key_code, required=True), Column("plan_code", key_code, required=True),
        Column("name", text(200), required=True), Column("plan_type", choice(PlanType), required=True),
        Column("carrier", text(200)), Column("plan_year_start", a_date, required=True),
        Column("plan_year_end", a_date, required=True), Column("renews_plan_code", key_code),
        Column("coverage_ends", choice(CoverageEnds)), Column("monthly_premium", decimal(10)),
    )),
    "employees": SheetSpec("Employees", ("company_code", "employee_id"), (
        Column("company_code", key_code, required=True), Column("employee_id", text(50), required=True),
        Column("first_name", text(100), required=True), Column("last_name", text(100), required=True),
        Column("ssn", ssn, pii=True), Column("dob", a_date, pii=True), Column("gender", gender), *_address(),
        Column("email", email), Column("hire_date", a_date, required=True), Column("hours_per_week", decimal(5)),
    )),
    "dependents": SheetSpec("Dependents", ("company_code", "employee_id", "dependent_id"), (
        Column("company_code", key_code, required=True), Column("employee_id", text(50), required=True),
        Column("dependent_id", text(50), required=True),
        Column("relationship", choice(Relationship, exclude=[Relationship.EMPLOYEE]), required=True),
        Column("first_name", text(100), required=True), Column("last_name", text(100), required=True),
        Column("ssn", ssn, pii=True), Column("dob", a_date, pii=True), Column("gender", gender),
    )),
    "enrollments": SheetSpec("Enrollments", ("company_code", "employee_id", "plan_code"), (
        Column("company_code", key_code, required=True), Column("employee_id", text(50), required=True),
        Column("plan_code", key_code, required=True), Column("plan_year_start", a_date), Column("tier", choice(Tier)),
        Column("covered_dependents", id_list), Column("effective_date", a_date, required=True),
        Column("end_date", a_date), Column("elected_on", a_date), Column("source", choice(EnrollmentSource)),
        Column("life_event_reason", choice(LifeEventReason)),
    )),
    "terminations": SheetSpec("Terminations", ("company_code", "employee_id"), (
        Column("company_code", key_code, required=True), Column("employee_id", text(50), required=True),
        Column("termination_date", a_date, required=True), Column("reason", choice(TerminationReason)),
    )),
}


# ---------------------------------------------------------------- step 1: read

@dataclass
class RawSheet:
    title: str
    header_row: int
    header: list
    rows: list  # [(row number, tuple of cell values)]


def _raw_rows(numbered_rows):
    """Header = first non-blank row; blank rows after it are skipped."""
    header_row, header, rows = None, None, []
    for number, values in numbered_rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if header is None:
            header_row, header = number, [str(v).strip().lower() if v is not None else "" for v in values]
        else:
            rows.append((number, tuple(values)))
    return header_row, header or [], rows


def _decode(data):
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_sheet(title, data):
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header_row, header, rows = _raw_rows(
        (n, tuple(cell if cell.strip() else None for cell in row)) for n, row in enumerate(reader, start=1))
    return RawSheet(title, header_row, header, rows)


def _local(name):
    return name.rpartition(":")[2]


def _parse_xml(data, start=None, end=None, text=None):
    """Stream an XML part through expat with handlers on local tag names (any namespace prefix)."""
    parser = expat.ParserCreate()
    parser.buffer_text = True
    if start:
        parser.StartElementHandler = lambda name, attrs: start(_local(name), attrs)
    if end:
        parser.EndElementHandler = lambda name: end(_local(name))
    if text:
        parser.CharacterDataHandler = text
    parser.Parse(data, True)


def _attr(attrs, name):
    for key, value in attrs.items():
        if _local(key) == name:
            return value
    return None


def _column_index(reference):
    index = 0
    for char in reference:
        if not char.isalpha():
            break
        index = index * 26 + ord(char.upper()) - 64
    return index - 1


class _Workbook:
    """Reads the cell values of an .xlsx workbook straight from its XML parts: openpyxl's reader is ~5x slower.

    Dates come back as datetimes when their cell style is a date format, as Excel shows them.
    """

    def __init__(self, archive):
        self.archive = archive
        names = set(archive.namelist())
        self.sheet_paths, self.epoch = self._workbook()
        self.strings = self._shared_strings() if "xl/sharedStrings.xml" in names else []
        self.date_styles = self._date_styles() if "xl/styles.xml" in names else set()

    def _workbook(self):
        targets = {}

        def relationship(tag, attrs):
            if tag == "Relationship":
                targets[attrs.get("Id")] = attrs.get("Target", "")

        _parse_xml(self.archive.read("xl/_rels/workbook.xml.rels"), start=relationship)
        sheets, flags = [], {}

        def start(tag, attrs):
            if tag == "sheet":
                target = targets.get(_attr(attrs, "id"), "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                sheets.append((attrs.get("name", ""), path))
            elif tag == "workbookPr":
                flags["1904"] = attrs.get("date1904", "0").lower() in ("1", "true")

        _parse_xml(self.archive.read("xl/workbook.xml"), start=start)
        return sheets, MAC_EPOCH if flags.get("1904") else WINDOWS_EPOCH

    def _shared_strings(self):
        strings, parts, state = [], [], {"phonetic": 0, "in_text": False}

        def start(tag, attrs):
            if tag == "si":
                parts.clear()
            elif tag == "rPh":
                state["phonetic"] += 1
            elif tag == "t" and not state["phonetic"]:
                state["in_text"] = True

        def end(tag):
            if tag == "si":
                strings.append("".join(parts))
            elif tag == "rPh":
                state["phonetic"] -= 1
            elif tag == "t":
                state["in_text"] = False

        _parse_xml(self.archive.read("xl/sharedStrings.xml"), start, end,
                   lambda data: parts.append(data) if state["in_text"] else None)
        return strings

    def _date_styles(self):
        custom, formats, depth = {}, [], {"cellXfs": False}

        def start(tag, attrs):
            if tag == "numFmt":
                custom[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
            elif tag == "cellXfs":
                depth["cellXfs"] = True
            elif tag == "xf" and depth["cellXfs"]:
                formats.append(int(attrs.get("numFmtId", 0)))

        def end(tag):
            if tag == "cellXfs":
                depth["cellXfs"] = False

        _parse_xml(self.archive.read("xl/styles.xml"), start, end)
        return {index for index, fmt_id in enumerate(formats)
                if is_date_format(custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, ""))}

    def rows(self, path):
        """(row number, tuple of values) for each row of one sheet. Plain closures: this loop runs once per cell."""
        rows, cells, parts = [], {}, []
        row_number, column, kind, style, capture = 0, -1, "n", 0, False

        def start(name, attrs):
            nonlocal row_number, column, kind, style, capture
            tag = name.rpartition(":")[2]
            if tag == "c":
                reference = attrs.get("r")
                column = _column_index(reference) if reference else column + 1
                kind, style = attrs.get("t", "n"), int(attrs.get("s", 0))
                parts.clear()
            elif tag == "v" or tag == "t":
                capture = True
            elif tag == "row":
                row_number = int(attrs.get("r") or row_number + 1)
                column = -1
                cells.clear()

        def end(name):
            nonlocal capture
            tag = name.rpartition(":")[2]
            if tag == "v" or tag == "t":
                capture = False
            elif tag == "c":
                if parts:
                    cells[column] = self._value(kind, style, "".join(parts))
            elif tag == "row" and cells:
                values = [None] * (max(cells) + 1)
                for index, value in cells.items():
                    values[index] = value
                rows.append((row_number, tuple(values)))

        def text(data):
            if capture:
                parts.append(data)

        parser = expat.ParserCreate()
        parser.buffer_text = True
        parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, text
        parser.Parse(self.archive.read(path), True)
        return rows

    def _value(self, kind, style, raw):
        if kind == "s":
            return self.strings[int(raw)]
        if kind in ("str", "inlineStr", "e", "d"):
            return raw
        if kind == "b":
            return raw == "1"
        number = float(raw) if any(c in raw for c in ".eE") else int(raw)
        if style in self.date_styles:
            return from_excel(number, self.epoch)
        return number


def _xlsx_sheets(source):
    with zipfile.ZipFile(source) as archive:
        book = _Workbook(archive)
        sheets = []
        for title, path in book.sheet_paths:
            header_row, header, rows = _raw_rows(book.rows(path))
            sheets.append(RawSheet(title, header_row, header, rows))
        return sheets


def _zip_sheets(source):
    with zipfile.ZipFile(source) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and m.filename.lower().endswith(".csv")
                   and not Path(m.filename).name.startswith(("._", "~$"))]
        if sum(m.file_size for m in members) > ZIP_MAX_BYTES:
            raise CellError("is too large: split the census into several uploads")
        return [_csv_sheet(Path(m.filename).stem, archive.read(m)) for m in members]


def _file_name(path_or_file):
    name = getattr(path_or_file, "name", None) or str(path_or_file)
    return Path(name).name or name


def read_sheets(path_or_file):
    """The raw sheets of a workbook, a folder or .zip of CSV files, or one CSV file. Raises CellError when unreadable."""
    if isinstance(path_or_file, (str, Path)):
        path = Path(path_or_file)
        if path.is_dir():
            return [_csv_sheet(p.stem, p.read_bytes()) for p in sorted(path.iterdir())
                    if p.suffix.lower() == ".csv" and p.is_file()]
        if not path.is_file():
            raise CellError("was not found: check the path")
        source, suffix = path, path.suffix.lower()
    else:
        source, suffix = path_or_file, Path(_file_name(path_or_file)).suffix.lower()
        if hasattr(source, "seek"):
            source.seek(0)
    try:
        if suffix == ".csv":
            data = source.read_bytes() if isinstance(source, Path) else source.read()
            return [_csv_sheet(Path(_file_name(path_or_file)).stem, data)]
        if suffix in (".xlsx", ".xlsm"):
            return _xlsx_sheets(source)
        if suffix == ".zip":
            return _zip_sheets(source)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, IndexError, expat.ExpatError) as error:
        if isinstance(error, CellError):
            raise
        raise CellError(f"could not be read as {suffix or 'a census'}: save it again as .xlsx, or as CSV files "
                        "in a folder or .zip") from None
    raise CellError("is not a census file: upload an .xlsx workbook, or a .zip of CSV files named after the sheets "
                    "(employees.csv, ...)")


# ---------------------------------------------------------------- step 2: check

@dataclass
class Row:
    sheet: str
    number: int
    values: dict


@dataclass
class Change:
    """The write one model needs: new objects, changed objects (with their changed fields), unchanged count."""
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)  # [(obj, [fields])]
    unchanged: int = 0


class Census:
    """Checks a census against what is stored, then writes it. One instance per import."""

    def __init__(self, *, user, today, file_name):
        self.user = user
        self.today = today
        self.file_name = file_name
        self.errors = []
        self.warnings = []
        self.rows = {key: [] for key in SHEETS}
        self.companies = {}
        self.new_companies = set()
        self.plans = {}
        self.plan_years = {}
        self.employees = {}
        self.dependents = {}
        self.enrollments = {}
        self.covered = {}  # enrollment key -> set of dependent keys stored before this import
        self.covered_links = {}  # (enrollment key, dependent key) -> through row id
        self.changes = {key: Change() for key in SHEETS}
        self.terminations = []
        self.broken = {key: set() for key in SHEETS}  # keys of rows already reported as bad
        self.initial_rights = 0
        self.qualifying_events = 0

    # -- helpers

    def error(self, sheet, row, column, reason):
        self.errors.append(CensusProblem(sheet, row, column, reason))

    def warn(self, sheet, row, column, reason):
        self.warnings.append(CensusProblem(sheet, row, column, reason))

    def row_error(self, row, column, reason):
        self.error(row.sheet, row.number, column, reason)

    # -- parse every sheet (pure)

    def parse(self, raw_sheets):
        seen = {}
        for raw in raw_sheets:
            key = raw.title.strip().lower()
            spec = SHEETS.get(key)
            if spec is None:
                self.warn(raw.title, None, "", f"Unknown sheet '{raw.title}' ignored: the sheets are "
                          f"{', '.join(s.name for s in SHEETS.values())}.")
                continue
            if not raw.header:
                continue  # an empty sheet is the same as no sheet
            if key in seen:
                self.error(spec.name, None, "", f"The {spec.name} sheet appears twice: merge the two into one.")
                continue
            seen[key] = raw
            self._parse_sheet(spec, key, raw)
        if not seen:
            self.error("", None, "", "No census rows found: name the sheets (or CSV files) "
                       f"{', '.join(s.name for s in SHEETS.values())}.")

    def _parse_sheet(self, spec, key, raw):
        columns = {c.name: c for c in spec.columns}
        positions = {}
        for index, name in enumerate(raw.header):
            if not name:
                continue
            if name in positions:
                self.error(spec.name, raw.header_row, name, f"Column {name} appears twice: delete one of them.")
            elif name in columns:
                positions[name] = index
            else:
                self.warn(spec.name, raw.header_row, name, f"Unknown column {name} ignored.")
        missing = [c.name for c in spec.columns if c.required and c.name not in positions]
        for name in missing:
            self.error(spec.name, raw.header_row or 1, name,
                       f"The {spec.name} sheet has no {name} column: add it to the header row.")
        if any(name in missing for name in spec.key if name in columns and columns[name].required):
            return  # rows without their key cannot be checked any further
        for number, cells in raw.rows:
            values, ok = {}, True
            for name, index in positions.items():
                column = columns[name]
                cell = cells[index] if index < len(cells) else None
                if cell is None or (isinstance(cell, str) and not cell.strip()):
                    if column.required:
                        self.error(spec.name, number, name, f"{name} is required: fill it in.")
                        ok = False
                    continue
                try:
                    values[name] = column.parse(cell)
                except CellError as problem:
                    shown = "" if column.pii else f" '{_text_of(cell)[:60]}'"
                    self.error(spec.name, number, name, f"{name}{shown} {problem}")
                    ok = False
            if ok:
                self.rows[key].append(Row(spec.name, number, values))
            elif all(name in values for name in spec.key if columns[name].required):
                self.broken[key].add(tuple(values.get(name) for name in spec.key))

    def _unique(self, key, rows, describe):
        """Drop and report rows whose key repeats an earlier row's."""
        spec = SHEETS[key]
        first, kept = {}, []
        for row in rows:
            row_key = tuple(row.values.get(name) for name in spec.key)
            if row_key in first:
                self.row_error(row, spec.key[-1], f"Duplicate {describe(row)} (also on row {first[row_key]}): "
                                                  "keep one row for it.")
                continue
            first[row_key] = row.number
            kept.append(row)
        return kept

    # -- scope and what is stored

    def _unrestricted(self):
        user = self.user
        return user is None or user.is_superuser or user.groups.filter(name="Support").exists()

    def load(self):
        """Resolve company codes against the user's scope, then load what is stored for those companies."""
        codes = {row.values["company_code"] for rows in self.rows.values() for row in rows}
        stored = {c.code: c for c in Company.objects.filter(code__in=codes).select_related("broker_agency")}
        if self._unrestricted():
            allowed = set(stored)
        else:
            allowed = set(Company.objects.for_user(self.user).filter(code__in=codes).values_list("code", flat=True))
        self.companies = {code: stored[code] for code in allowed}
        agency, agency_problem = self._agency_for_new()
        kept = []
        for row in self.rows["companies"]:
            code = row.values["company_code"]
            if code in stored and code not in allowed:
                self.row_error(row, "company_code", f"company_code '{code}' is not one of your companies: "
                               "use another code, or ask support to give you access.")
                self.broken["companies"].add((code,))
            elif code not in stored and agency_problem:
                self.row_error(row, "company_code", f"Company '{code}' is new and {agency_problem}")
                self.broken["companies"].add((code,))
            else:
                if code not in stored and code not in self.companies:
                    self.companies[code] = Company(code=code, broker_agency=agency)
                    self.new_companies.add(code)
                kept.append(row)
        self.rows["companies"] = kept
        for key in list(SHEETS)[1:]:
            kept = []
            for row in self.rows[key]:
                code = row.values["company_code"]
                if code in self.companies:
                    kept.append(row)
                elif (code,) not in self.broken["companies"]:
                    self.row_error(row, "company_code", f"Unknown company_code '{code}': add the company to the "
                                   "Companies sheet, or use the code of a company you manage.")
            self.rows[key] = kept
        self._load_stored([c for c in self.companies.values() if c.pk])

    def _agency_for_new(self):
        """The broker agency a new company belongs to, or why this user cannot create one."""
        if self._unrestricted():
            return None, None
        agencies = list(self.user.broker_agencies.all()[:2])
        if len(agencies) == 1:
            return agencies[0], None
        if agencies:
            return None, "you belong to several broker agencies: ask support to create it."
        return None, "only a broker or support can create companies: ask your broker to add it."

    def _load_stored(self, companies):
        if not companies:
            return
        code_of = {c.pk: c.code for c in companies}
        by_code = {c.code: c for c in companies}
        plans_by_pk = {}
        for plan in Plan.objects.filter(company__in=companies):
            plan.company = by_code[code_of[plan.company_id]]
            self.plans[(plan.company.code, plan.code, plan.plan_year_start)] = plan
            plans_by_pk[plan.pk] = plan
        employees_by_pk = {}
        for employee in Employee.objects.filter(company__in=companies).defer("ssn"):
            employee.company = by_code[code_of[employee.company_id]]
            self.employees[(employee.company.code, employee.employee_id)] = employee
            employees_by_pk[employee.pk] = employee
        dependent_key = {}
        for dependent in Dependent.objects.filter(employee__company__in=companies).defer("ssn"):
            dependent.employee = employees_by_pk[dependent.employee_id]
            key = (dependent.employee.company.code, dependent.employee.employee_id, dependent.dependent_id)
            self.dependents[key] = dependent
            dependent_key[dependent.pk] = key
        enrollment_key = {}
        for enrollment in Enrollment.objects.filter(employee__company__in=companies):
            enrollment.employee = employees_by_pk[enrollment.employee_id]
            enrollment.plan = plans_by_pk[enrollment.plan_id]
            key = (enrollment.employee.company.code, enrollment.employee.employee_id, enrollment.plan.code,
                   enrollment.plan.plan_year_start)
            self.enrollments[key] = enrollment
            self.covered[key] = set()
            enrollment_key[enrollment.pk] = key
        through = Enrollment.covered_dependents.through
        for link_id, enrollment_id, dependent_id in through.objects.filter(
                enrollment__employee__company__in=companies).values_list("id", "enrollment_id", "dependent_id"):
            key = (enrollment_key[enrollment_id], dependent_key[dependent_id])
            self.covered[key[0]].add(key[1])
            self.covered_links[key] = link_id

    # -- per sheet: resolve references and compare with what is stored

    def check(self):
        self._check_companies()
        self._check_plans()
        self._check_employees()
        self._check_dependents()
        self._check_enrollments()
        self._check_terminations()

    def _apply(self, key, obj, values, *, new, also_changed=(), touched=False):
        """Copy given values onto obj; record a create, an update with its changed fields, or no change.

        `also_changed` names fields the caller already set; `touched` marks a change outside the fields (m2m).
        """
        changed = [name for name, value in values.items() if new or getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        changed += also_changed
        change = self.changes[key]
        if new:
            change.created.append(obj)
        elif changed or touched:
            change.updated.append((obj, changed))
        else:
            change.unchanged += 1

    def _check_companies(self):
        rows = self._unique("companies", self.rows["companies"], lambda r: f"company_code '{r.values['company_code']}'")
        for row in rows:
            v = row.values
            values = {name: v[name] for name in ("name", "ein", "address1", "city", "state", "zip", "plan_situs_state",
                                                 "prior_year_employee_count") if name in v}
            company = self.companies[v["company_code"]]
            self._apply("companies", company, values, new=v["company_code"] in self.new_companies)

    def _check_plans(self):
        rows = self._unique("plans", self.rows["plans"], lambda r: f"plan_code '{r.values['plan_code']}' for "
                            f"plan year {r.values['plan_year_start']:%Y-%m-%d}")
        renewing = []
        for row in rows:
            v = row.values
            if v["plan_year_end"] <= v["plan_year_start"]:
                self.row_error(row, "plan_year_end", "plan_year_end must be after plan_year_start: fix the dates.")
                self.broken["plans"].add((v["company_code"], v["plan_code"], v["plan_year_start"]))
                continue
            key = (v["company_code"], v["plan_code"], v["plan_year_start"])
            values = {"name": v["name"], "plan_type": v["plan_type"], "plan_year_end": v["plan_year_end"]}
            values.update({name: v[name] for name in ("carrier", "coverage_ends", "monthly_premium") if name in v})
            plan = self.plans.get(key)
            new = plan is None
            if new:
                plan = self.plans[key] = Plan(company=self.companies[key[0]], code=key[1], plan_year_start=key[2])
            renewing.append((row, plan, values, new))
        self.plan_years = defaultdict(list)  # (company code, plan code) -> plans of every year
        for (company, code, _), plan in self.plans.items():
            self.plan_years[(company, code)].append(plan)
        for row, plan, values, new in renewing:
            renews_code = row.values.get("renews_plan_code")
            also_changed = []
            if renews_code:
                earlier = [p for p in self.plan_years[(plan.company.code, renews_code)]
                           if p.plan_year_start < plan.plan_year_start]
                renewed = max(earlier, key=lambda p: p.plan_year_start) if earlier else None
                if renewed is None and not any(k[:2] == (plan.company.code, renews_code) and k[2] < plan.plan_year_start
                                               for k in self.broken["plans"]):
                    self.row_error(row, "renews_plan_code", f"renews_plan_code '{renews_code}' matches no earlier plan "
                                   "year of this company: add last year's plan to the Plans sheet or fix the code.")
                elif renewed and (new or renewed.pk is None or plan.renews_id != renewed.pk):
                    plan.renews = renewed
                    also_changed.append("renews")
            self._apply("plans", plan, values, new=new, also_changed=also_changed)

    def _check_employees(self):
        rows = self._unique("employees", self.rows["employees"], lambda r: f"employee_id '{r.values['employee_id']}'")
        for row in rows:
            v = row.values
            key = (v["company_code"], v["employee_id"])
            values = {name: v[name] for name in ("first_name", "last_name", "dob", "gender", "address1", "city",
                                                 "state", "zip", "email", "hire_date", "hours_per_week") if name in v}
            employee = self.employees.get(key)
            new = employee is None
            if new:
                employee = self.employees[key] = Employee(company=self.companies[key[0]], employee_id=key[1])
            self._apply("employees", employee, values, new=new, also_changed=self._ssn(employee, v))

    @staticmethod
    def _ssn(person, row_values):
        """An SSN is compared by its keyed hash, so stored SSNs are never decrypted."""
        digits = row_values.get("ssn")
        if digits and ssn_hash(digits) != person.ssn_hash:
            person.set_ssn(digits)
            return ["ssn", "ssn_hash", "ssn_last4"]
        return []

    def _employee(self, row):
        key = (row.values["company_code"], row.values["employee_id"])
        employee = self.employees.get(key)
        if employee is None and key not in self.broken["employees"]:
            self.row_error(row, "employee_id", f"Unknown employee_id '{row.values['employee_id']}' for company "
                           f"'{row.values['company_code']}': add the employee to the Employees sheet or fix the id.")
        return employee

    def _check_dependents(self):
        rows = self._unique("dependents", self.rows["dependents"],
                            lambda r: f"dependent_id '{r.values['dependent_id']}' of employee '{r.values['employee_id']}'")
        for row in rows:
            v = row.values
            key = (v["company_code"], v["employee_id"], v["dependent_id"])
            employee = self._employee(row)
            if employee is None:
                self.broken["dependents"].add(key)
                continue
            values = {name: v[name] for name in ("relationship", "first_name", "last_name", "dob", "gender") if name in v}
            dependent = self.dependents.get(key)
            new = dependent is None
            if new:
                dependent = self.dependents[key] = Dependent(employee=employee, dependent_id=key[2])
            self._apply("dependents", dependent, values, new=new, also_changed=self._ssn(dependent, v))

    def _plan_for(self, row):
        v = row.values
        company, code = v["company_code"], v["plan_code"]
        if "plan_year_start" in v:
            plan = self.plans.get((company, code, v["plan_year_start"]))
            if plan is None and (company, code, v["plan_year_start"]) not in self.broken["plans"]:
                self.row_error(row, "plan_code", f"Unknown plan_code '{code}' for plan year "
                               f"{v['plan_year_start']:%Y-%m-%d}: add the plan to the Plans sheet or fix the code.")
            return plan
        candidates = self.plan_years.get((company, code), [])
        if not candidates and any(k[:2] == (company, code) for k in self.broken["plans"]):
            return None
        if not candidates:
            self.row_error(row, "plan_code", f"Unknown plan_code '{code}' for company '{company}': add the plan to the "
                           "Plans sheet or fix the code.")
            return None
        in_force = [p for p in candidates if p.plan_year_start <= v["effective_date"] <= p.plan_year_end]
        if len(in_force) == 1:
            return in_force[0]
        if len(candidates) == 1:
            return candidates[0]
        self.row_error(row, "plan_year_start", f"plan_code '{code}' has several plan years and none is in force on "
                       "effective_date: give plan_year_start.")
        return None

    def _check_enrollments(self):
        first = {}
        for row in self.rows["enrollments"]:
            v = row.values
            employee = self._employee(row)
            plan = self._plan_for(row)
            if employee is None or plan is None:
                continue
            if v.get("end_date") and v["end_date"] < v["effective_date"]:
                self.row_error(row, "end_date", "end_date is before effective_date: fix the dates.")
                continue
            key = (v["company_code"], v["employee_id"], plan.code, plan.plan_year_start)
            if key in first:
                self.row_error(row, "plan_code", f"Duplicate enrollment of employee '{v['employee_id']}' in plan "
                               f"'{plan.code}' (also on row {first[key]}): keep one row for it.")
                continue
            first[key] = row.number
            wanted = None
            if "covered_dependents" in v:
                wanted = [(v["company_code"], v["employee_id"], d) for d in v["covered_dependents"]]
                missing = [d for d in wanted if d not in self.dependents]
                unknown = [d[2] for d in missing if d not in self.broken["dependents"]]
                if unknown:
                    self.row_error(row, "covered_dependents", f"Unknown dependent_id {', '.join(map(repr, unknown))} of "
                                   f"employee '{v['employee_id']}': add them to the Dependents sheet or remove them here.")
                if missing:
                    continue
            values = {name: v[name] for name in ("tier", "effective_date", "end_date", "elected_on", "source",
                                                 "life_event_reason") if name in v}
            enrollment = self.enrollments.get(key)
            new = enrollment is None
            if new:
                enrollment = self.enrollments[key] = Enrollment(employee=employee, plan=plan)
                values.setdefault("elected_on", v["effective_date"])
                self.covered[key] = set()
            enrollment._census_key = key
            enrollment._census_new = new
            enrollment._census_covered = set(wanted) if wanted is not None else self.covered[key]
            self._apply("enrollments", enrollment, values, new=new,
                        touched=enrollment._census_covered != self.covered[key])

    def _check_terminations(self):
        rows = self._unique("terminations", self.rows["terminations"],
                            lambda r: f"termination of employee '{r.values['employee_id']}'")
        for row in rows:
            employee = self._employee(row)
            if employee is None:
                continue
            when = row.values["termination_date"]
            if employee.hire_date and when < employee.hire_date:
                self.row_error(row, "termination_date", "termination_date is before the employee's hire_date: "
                               "fix the dates.")
                continue
            stored = employee.future_termination_date if when > self.today else (
                employee.termination_date if employee.employment_status == EmploymentStatus.TERMINATED else None)
            change = self.changes["terminations"]
            if stored == when:
                change.unchanged += 1
                continue
            if employee.termination_date or employee.future_termination_date:
                change.updated.append((employee, ["termination_date"]))
            else:
                change.created.append(employee)
            self.terminations.append((row, employee, when, row.values.get("reason") or TerminationReason.VOLUNTARY))

    # -- step 3: write

    @property
    def changed(self):
        return any(c.created or c.updated for c in self.changes.values())

    def write(self):
        reason = f"Census import {self.file_name}"[:100]
        self._write("companies", Company, reason)
        for start in sorted({p.plan_year_start for p in self.changes["plans"].created}):
            # a plan may renew one created in this same import: earlier plan years go first
            self._write_created(Plan, [p for p in self.changes["plans"].created if p.plan_year_start == start], reason)
        self._write_updated(Plan, self.changes["plans"].updated, reason)
        self._write("employees", Employee, reason)
        self._write("dependents", Dependent, reason)
        self._write_enrollments(reason)
        self._record_initial_rights()
        self._terminate()

    def _write(self, key, model, reason):
        self._write_created(model, self.changes[key].created, reason)
        self._write_updated(model, self.changes[key].updated, reason)

    def _write_created(self, model, objs, reason):
        if not objs:
            return
        if _m2m_history_fields(model):
            model._default_manager.bulk_create(objs)
            _history_with_m2m(model, objs, update=False, user=self.user, reason=reason)
        else:
            bulk_create_with_history(objs, model, default_user=self.user, default_change_reason=reason)

    def _write_updated(self, model, updated, reason):
        if not updated:
            return
        groups = defaultdict(list)
        for obj, fields in updated:
            groups[tuple(sorted(fields))].append(obj)
        with_m2m = bool(_m2m_history_fields(model))
        for fields, objs in groups.items():
            if with_m2m:
                if fields:
                    model._default_manager.bulk_update(objs, fields)
            else:
                bulk_update_with_history(objs, model, list(fields), default_user=self.user,
                                         default_change_reason=reason)
        if with_m2m:
            _history_with_m2m(model, [obj for obj, _ in updated], update=True, user=self.user, reason=reason)

    def _write_enrollments(self, reason):
        change = self.changes["enrollments"]
        if change.created:
            Enrollment.objects.bulk_create(change.created)
        groups = defaultdict(list)
        for obj, fields in change.updated:
            if fields:
                groups[tuple(sorted(fields))].append(obj)
        for fields, objs in groups.items():
            Enrollment.objects.bulk_update(objs, fields)
        through = Enrollment.covered_dependents.through
        removed, added = [], []
        for enrollment in change.created + [obj for obj, _ in change.updated]:
            key = enrollment._census_key
            removed.extend(self.covered_links[(key, d)] for d in self.covered[key] - enrollment._census_covered)
            added.extend(through(enrollment_id=enrollment.pk, dependent_id=self.dependents[d].pk)
                         for d in enrollment._census_covered - self.covered[key])
        for chunk in _chunks(removed):
            through.objects.filter(pk__in=chunk).delete()
        through.objects.bulk_create(added)
        new_links = defaultdict(list)
        for link in added:
            new_links[link.enrollment_id].append(link)
        _history_with_m2m(Enrollment, change.created, update=False, user=self.user, reason=reason, links=new_links)
        _history_with_m2m(Enrollment, [obj for obj, _ in change.updated], update=True, user=self.user, reason=reason)

    def _record_initial_rights(self):
        """New and changed enrollments go through the one service that decides who is owed a general notice."""
        change = self.changes["enrollments"]
        todo = change.created + [obj for obj, _ in change.updated]
        for chunk in _chunks(todo):
            prefetch_related_objects(chunk, "covered_dependents", "initial_rights_items")
            for enrollment in chunk:
                before = frozenset()
                if not enrollment._census_new:
                    before = frozenset(["employee", *(f"dependent:{self.dependents[k].pk}"
                                                      for k in self.covered[enrollment._census_key])])
                self.initial_rights += len(services.initial_rights_record(
                    enrollment=enrollment, covered_before=before, today=self.today))

    def _terminate(self):
        """Seed 001: an imported termination triggers COBRA, but only on the plans the employee had on that date."""
        for row, employee, when, reason in self.terminations:
            try:
                event = services.employee_terminate(employee=employee, termination_date=when, reason=reason,
                                                    by=self.user, today=self.today, source=EventSource.IMPORT)
            except services.CobraEventError as problem:
                for messages in problem.errors.values():
                    for message in messages:
                        self.row_error(row, "termination_date", f"COBRA cannot be marked for this termination: "
                                       f"{message.rstrip('.')}. Fix it in this census, or leave the row out.")
                continue
            if event is not None:
                self.qualifying_events += 1

    # -- outcome

    def summary(self):
        result = {}
        for key, spec in SHEETS.items():
            change = self.changes[key]
            result[spec.name] = {"created": len(change.created), "updated": len(change.updated),
                                 "unchanged": change.unchanged}
        result["Enrollments"]["initial_rights_items"] = self.initial_rights
        result["Terminations"]["qualifying_events"] = self.qualifying_events
        return result

    def touched_companies(self, *, applied):
        """The companies an import row named; a rejected import's new companies were never written."""
        return [c for code, c in self.companies.items() if applied or code not in self.new_companies]


# ---------------------------------------------------------------- history helpers

def _chunks(items, size=IN_BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _m2m_history_fields(model):
    return get_history_manager_for_model(model).model._history_m2m_fields


def _history_with_m2m(model, objs, *, update, user, reason, links=None):
    """History rows for bulk-written objects, with the many-to-many snapshot `save()` + `.set()` would record.

    `links` (owner pk -> through rows) saves reading back the rows of a single m2m field the caller just wrote.
    """
    if not objs:
        return
    history = get_history_manager_for_model(model)
    rows = history.bulk_history_create(objs, update=update, default_user=user, default_change_reason=reason)
    for m2m_field in history.model._history_m2m_fields:
        m2m_history = apps.get_model(history.model._meta.app_label, f"{history.model.__name__}_{m2m_field.name}")
        through = m2m_field.remote_field.through
        owner = m2m_field.m2m_field_name()
        if links is None:
            links = defaultdict(list)
            for chunk in _chunks([o.pk for o in objs]):
                for link in through.objects.filter(**{f"{owner}_id__in": chunk}):
                    links[getattr(link, f"{owner}_id")].append(link)
        m2m_history.objects.bulk_create([
            m2m_history(history=row, **{f.attname: getattr(link, f.attname) for f in through._meta.fields})
            for row in rows for link in links[row.id]])


# ---------------------------------------------------------------- entry point

def _problem_dicts(problems):
    order = {spec.name: index for index, spec in enumerate(SHEETS.values())}
    ordered = sorted(problems, key=lambda p: (order.get(p.sheet, -1), p.row or 0, p.column))
    return [p.as_dict() for p in ordered]


def census_import(*, path_or_file, user, today, dry_run=False):
    """Import a census workbook (shared/spec/census-workbook.md): every error reported, nothing written on any error.

    Importing the same file twice changes nothing the second time. `user` scopes the companies (None: all, as
    for the command line); `dry_run` checks and counts everything, then rolls back and records nothing.
    """
    user = None if isinstance(user, AnonymousUser) else user
    file_name = _file_name(path_or_file)
    census = Census(user=user, today=today, file_name=file_name)
    try:
        raw_sheets = read_sheets(path_or_file)
    except CellError as problem:
        census.error("", None, "", f"The file {file_name} {problem}")
    else:
        census.parse(raw_sheets)
        census.load()
        census.check()
    status = CensusImport.Status.APPLIED if census.changed else CensusImport.Status.UNCHANGED
    record = None
    if not census.errors:
        try:
            with transaction.atomic():
                census.write()
                if census.errors or dry_run:
                    raise _Rejected
                record = _record(census, status)
        except _Rejected:
            pass
    if census.errors:
        status = CensusImport.Status.REJECTED
        record = None if dry_run else _record(census, status)
    result = CensusResult(status=status, summary=_summary(census, status), errors=_problem_dicts(census.errors),
                          warnings=_problem_dicts(census.warnings), dry_run=dry_run, record=record)
    logger.info("census import %s by user %s: %s, %d errors, %d warnings%s", record.pk if record else "-",
                user.pk if user else "-", status, len(result.errors), len(result.warnings), " (dry run)" if dry_run else "")
    return result


def _summary(census, status):
    return {} if status == CensusImport.Status.REJECTED else census.summary()


def _record(census, status):
    record = CensusImport(file_name=census.file_name[:255], uploaded_by=census.user, status=status,
                          summary=_summary(census, status), errors=_problem_dicts(census.errors),
                          warnings=_problem_dicts(census.warnings))
    record._history_user = census.user
    record.save()
    record.companies.set(census.touched_companies(applied=status != CensusImport.Status.REJECTED))
    return record
