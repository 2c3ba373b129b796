"""The columns each report offers: header, the database fields it reads, its kind and width.

A column reads one or more fields through `values_list`; the person columns read the dependent's value
when the row is a dependent's, else the employee's (one CASE in SQL, no per-row query).
"""
from dataclasses import dataclass
from operator import itemgetter

from django.db.models import Case, CharField, F, When

from companies.pii import dob_mask, ssn_format, ssn_mask
from enrollments.cobra.codes import (
    EnrollmentSource,
    PlanType,
    QualifyingEventType,
    Relationship,
    Tier,
)
from enrollments.models import EligibilityStatus, Gender
from enrollments.selectors import (
    beneficiary_address,
    beneficiary_is_employee,
    beneficiary_relationship,
    beneficiary_value,
)
from reports.models import ReportKind

TEXT, DATE, NUMBER, MONEY = "text", "date", "number", "money"
MEMBER_ID = Case(When(beneficiary_is_employee(), then=F("employee__employee_id")), default=F("dependent__dependent_id"), output_field=CharField())


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    fields: tuple  # names of values_list entries: ORM paths, or keys of ANNOTATIONS
    kind: str = TEXT
    width: int = 14
    full: object = None  # (values...) -> cell value, when the user may see SSNs
    masked: object = None  # (values...) -> cell value, otherwise
    labels: tuple = ()  # TextChoices.choices: the code is written as its label
    masked_fields: tuple = ()  # what `masked` reads instead of `fields`, so full SSNs are never fetched

    def fields_for(self, full_ssn):
        return self.fields if full_ssn or not self.masked_fields else self.masked_fields


ANNOTATIONS = {
    "member_id": MEMBER_ID,
    "relationship": beneficiary_relationship(),
    "first_name": beneficiary_value("first_name"),
    "last_name": beneficiary_value("last_name"),
    "dob": beneficiary_value("dob"),
    "gender": beneficiary_value("gender"),
    "ssn_last4": beneficiary_value("ssn_last4"),
    "ssn": beneficiary_value("ssn"),  # one CASE: only the beneficiary's own SSN is fetched and decrypted
    "address1": beneficiary_address("address1"),
    "city": beneficiary_address("city"),
    "state": beneficiary_address("state"),
    "zip": beneficiary_address("zip"),
}


PERSON_COLUMNS = [
    Column("company", "Company", ("employee__company__name",), width=24),
    Column("employee_id", "Employee ID", ("employee__employee_id",), width=12),
    Column("member_id", "Member ID", ("member_id",), width=12),
    Column("relationship", "Relationship", ("relationship",), width=12, labels=Relationship.choices),
    Column("first_name", "First name", ("first_name",), width=14),
    Column("last_name", "Last name", ("last_name",), width=16),
    Column("employee_name", "Employee name", ("employee__first_name", "employee__last_name"), width=22,
           full=lambda first, last: f"{first} {last}", masked=lambda first, last: f"{first} {last}"),
    Column("ssn", "SSN", ("ssn",), width=13, full=ssn_format, masked=ssn_mask, masked_fields=("ssn_last4",)),
    Column("dob", "Date of birth", ("dob",), kind=DATE, width=12, full=lambda dob: dob, masked=dob_mask),
    Column("gender", "Gender", ("gender",), width=8, labels=Gender.choices),
    Column("address1", "Address", ("address1",), width=24),
    Column("city", "City", ("city",), width=14),
    Column("state", "State", ("state",), width=7),
    Column("zip", "ZIP", ("zip",), width=9),
    Column("email", "Employee e-mail", ("employee__email",), width=26),
    Column("hire_date", "Hire date", ("employee__hire_date",), kind=DATE, width=12),
]

PLAN_COLUMNS = [
    Column("plan_name", "Plan", ("plan__name",), width=22),
    Column("plan_code", "Plan code", ("plan__code",), width=12),
    Column("plan_type", "Plan type", ("plan__plan_type",), width=12, labels=PlanType.choices),
    Column("carrier", "Carrier", ("plan__carrier",), width=16),
    Column("monthly_premium", "Plan monthly cost", ("plan__monthly_premium",), kind=MONEY, width=12),
]

REPORT_COLUMNS = {
    ReportKind.INITIAL_RIGHTS: [
        *PERSON_COLUMNS, *PLAN_COLUMNS,
        Column("tier", "Coverage tier", ("enrollment__tier",), width=14, labels=Tier.choices),
        Column("coverage_start", "New benefit enrollment date", ("coverage_start",), kind=DATE, width=14),
        Column("notice_due", "General notice due", ("notice_due",), kind=DATE, width=14),
        Column("enrollment_source", "Enrollment source", ("enrollment__source",), width=16, labels=EnrollmentSource.choices),
    ],
    ReportKind.QUALIFYING_EVENTS: [
        *PERSON_COLUMNS,
        Column("termination_date", "Termination date", ("employee__termination_date",), kind=DATE, width=12),
        Column("event_type", "COBRA qualifying event", ("event__event_type",), width=20, labels=QualifyingEventType.choices),
        Column("event_date", "COBRA qualifying event date", ("event__event_date",), kind=DATE, width=14),
        Column("eligibility_date", "COBRA eligibility date", ("eligibility_date",), kind=DATE, width=14),
        Column("coverage_end", "Coverage end", ("coverage_end",), kind=DATE, width=12),
        *PLAN_COLUMNS,
        Column("continuation_law", "Continuation law", ("continuation_law",), width=10),
        Column("max_months", "Maximum period (months)", ("max_months",), kind=NUMBER, width=10),
        Column("max_end", "Maximum period ends", ("max_end",), kind=DATE, width=12),
        Column("election_due", "Election due", ("election_due",), kind=DATE, width=12),
        Column("status", "Status", ("status",), width=12, labels=EligibilityStatus.choices),
    ],
}

DEFAULT_COLUMNS = {
    ReportKind.INITIAL_RIGHTS: ["company", "employee_id", "member_id", "relationship", "first_name", "last_name", "ssn",
                                "dob", "address1", "city", "state", "zip", "plan_name", "carrier", "tier",
                                "coverage_start", "notice_due"],
    ReportKind.QUALIFYING_EVENTS: ["company", "employee_id", "member_id", "relationship", "first_name", "last_name",
                                   "ssn", "dob", "address1", "city", "state", "zip", "event_type", "event_date",
                                   "eligibility_date", "plan_name", "carrier", "max_end", "election_due"],
}


def columns_for(kind):
    return {column.key: column for column in REPORT_COLUMNS[ReportKind(kind)]}


def columns_resolve(kind, keys):
    """The chosen columns in the chosen order; ValueError naming an unknown or repeated key."""
    available = columns_for(kind)
    unknown = [key for key in keys if key not in available]
    if unknown:
        raise ValueError(f"Unknown column(s) for this report: {', '.join(unknown)}")
    if len(set(keys)) != len(keys):
        raise ValueError("A column is chosen twice.")
    if not keys:
        raise ValueError("Choose at least one column.")
    return [available[key] for key in keys]


def row_plan(columns, *, full_ssn):
    """(field names to fetch, annotations, one getter per column over the fetched tuple)."""
    names = []
    for column in columns:
        for name in column.fields_for(full_ssn):
            if name not in names:
                names.append(name)
    position = {name: index for index, name in enumerate(names)}
    getters = []
    for column in columns:
        indexes = [position[name] for name in column.fields_for(full_ssn)]
        convert = column.full if full_ssn else column.masked
        if column.labels:
            labels = dict(column.labels)
            index = indexes[0]
            getters.append(lambda row, labels=labels, index=index: labels.get(row[index], row[index]))
        elif convert is None:
            getters.append(itemgetter(indexes[0]))
        else:
            getters.append(_converter(convert, indexes))
    annotations = {name: ANNOTATIONS[name] for name in names if name in ANNOTATIONS}
    return names, annotations, getters


def _converter(convert, indexes):
    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: convert(row[index])
    return lambda row: convert(*(row[i] for i in indexes))
