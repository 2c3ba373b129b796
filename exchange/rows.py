"""One item list, one row shape: what the CSV and the 834 builders both write (exchange-file.md)."""
import hashlib

from django.db.models import TextField
from django.db.models.functions import Cast

from companies import fields
from enrollments.cobra.codes import Relationship
from enrollments.models import ADDRESS_FIELDS, member_address

COLUMNS = [
    "record_type", "record_id", "action", "company_code", "company_name", "ein", "employee_id", "member_id",
    "relationship", "first_name", "last_name", "ssn", "dob", "gender", "address1", "city", "state", "zip",
    "plan_code", "plan_name", "plan_type", "carrier", "coverage_tier", "coverage_start", "coverage_end",
    "qualifying_event", "qualifying_event_date", "cobra_eligibility_date", "max_coverage_months", "max_coverage_end",
    "continuation_law",
]

ITEM_RELATED = [
    "eligibility__employee", "eligibility__dependent", "eligibility__plan", "eligibility__enrollment", "eligibility__event",
    "initial_rights__employee", "initial_rights__dependent", "initial_rights__plan", "initial_rights__enrollment",
]


class SsnUnreadable(Exception):
    """A stored SSN did not decrypt to 9 digits (wrong SECRET_KEY / SALT_KEY): the file must not go out."""


def ssn_plain(token, *, member_id):
    """Decrypt one stored SSN. Anything but 9 digits stops the build (the items stay unsent): a vendor file must
    never carry ciphertext or a damaged value."""
    if not token:
        return ""
    try:
        ssn = fields.decrypt(token)
    except fields.Undecryptable:
        ssn = None
    if not (ssn and len(ssn) == 9 and ssn.isdigit()):
        raise SsnUnreadable(f"The SSN of member {member_id} cannot be decrypted: check SECRET_KEY and SALT_KEY.")
    return ssn


def _iso(day):
    return day.isoformat() if day else ""


def beneficiary(record):
    """The person a record is about; a dependent gets its employee from the record (no extra query)."""
    if record.dependent_id is None:
        return record.employee
    record.dependent.employee = record.employee
    return record.dependent


def demographics(person):
    """What a vendor keys a person on: name, SSN, birth date, gender, mailing address."""
    return {"first_name": person.first_name, "last_name": person.last_name, "ssn": person.ssn or "",
            "dob": _iso(person.dob), "gender": person.gender, **person.mailing_address()}


def fingerprint(person):
    """Digest of the demographics, to see whether a corrected record must be re-sent as a `change`."""
    values = demographics(person)
    return hashlib.sha256("|".join(values[k] or "" for k in sorted(values)).encode()).hexdigest()


PERSON_FIELDS = ["first_name", "last_name", "dob", "gender", "address1", "city", "state", "zip"]


def _lookups(kind):
    """{row key: ORM lookup} of everything a row needs, from the item through its record."""
    record = "eligibility" if kind == "QE" else "initial_rights"
    lookups = {
        "record_id": "record_id", "action": "action",
        "employee_id": f"{record}__employee__employee_id", "hire_date": f"{record}__employee__hire_date",
        "dependent_id": f"{record}__dependent__dependent_id", "dependent_relationship": f"{record}__dependent__relationship",
        **{f"employee_{name}": f"{record}__employee__{name}" for name in PERSON_FIELDS},
        **{f"dependent_{name}": f"{record}__dependent__{name}" for name in PERSON_FIELDS},
        "plan_code": f"{record}__plan__code", "plan_name": f"{record}__plan__name",
        "plan_type": f"{record}__plan__plan_type", "carrier": f"{record}__plan__carrier",
        "coverage_tier": f"{record}__enrollment__tier",
    }
    if kind == "QE":
        lookups.update({
            "coverage_start": "eligibility__enrollment__effective_date", "coverage_end": "eligibility__coverage_end",
            "qualifying_event": "eligibility__event__event_type", "qualifying_event_date": "eligibility__event__event_date",
            "cobra_eligibility_date": "eligibility__eligibility_date", "max_coverage_months": "eligibility__max_months",
            "max_coverage_end": "eligibility__max_end", "continuation_law": "eligibility__continuation_law",
        })
    else:
        lookups["coverage_start"] = "initial_rights__coverage_start"
    return record, lookups


def _row(values, kind, company, company_law):
    """One file row from one item's plain values."""
    is_dependent = values["dependent_id"] is not None
    who = "dependent" if is_dependent else "employee"
    person = {name: values[f"{who}_{name}"] for name in PERSON_FIELDS}
    if is_dependent:
        person.update(member_address(person, {name: values[f"employee_{name}"] for name in ADDRESS_FIELDS}))
    token = values["dependent_ssn_token"] if is_dependent else values["employee_ssn_token"]
    qe = kind == "QE"
    member_id = f"{values['employee_id']}-{values['dependent_id']}" if is_dependent else values["employee_id"]
    return {
        "record_type": kind, "record_id": values["record_id"], "action": values["action"],
        "company_code": company.code, "company_name": company.name, "ein": company.ein,
        "employee_id": values["employee_id"],
        "member_id": member_id,
        "relationship": values["dependent_relationship"] if is_dependent else Relationship.EMPLOYEE.value,
        **person, "ssn": ssn_plain(token, member_id=member_id), "dob": _iso(person["dob"]),
        "plan_code": values["plan_code"], "plan_name": values["plan_name"], "plan_type": values["plan_type"],
        "carrier": values["carrier"], "coverage_tier": values["coverage_tier"],
        "coverage_start": _iso(values["coverage_start"]),
        "coverage_end": _iso(values["coverage_end"]) if qe else "",
        "qualifying_event": values["qualifying_event"] if qe else "",
        "qualifying_event_date": _iso(values["qualifying_event_date"]) if qe else "",
        "cobra_eligibility_date": _iso(values["cobra_eligibility_date"]) if qe else "",
        "max_coverage_months": values["max_coverage_months"] if qe else "",
        "max_coverage_end": _iso(values["max_coverage_end"]) if qe else "",
        "continuation_law": values["continuation_law"] if qe else company_law,
        # Not CSV columns: the 834 needs them.
        "hire_date": _iso(values["hire_date"]), "is_subscriber": not is_dependent,
    }


def file_rows(items, kind, company, company_law, chunk_size=2000):
    """Stream the rows of a file's items of one kind: one query, plain values, one SSN decrypted per row."""
    record, lookups = _lookups(kind)
    keys = [*lookups, "employee_ssn_token", "dependent_ssn_token"]
    # The SSN columns come raw (cast to text) so only the member's own is decrypted.
    queryset = items.order_by("id").values_list(
        *lookups.values(), Cast(f"{record}__employee__ssn", TextField()), Cast(f"{record}__dependent__ssn", TextField()))
    for values in queryset.iterator(chunk_size=chunk_size):
        yield _row(dict(zip(keys, values)), kind, company, company_law)
