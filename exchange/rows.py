"""One item list, one row shape: what the CSV and the 834 builders both write (exchange-file.md)."""
import hashlib

from enrollments.cobra.codes import Relationship

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


def item_row(item, company, company_law):
    """The file row of one outbox item (its record, person and plan already loaded).

    `company_law` is the company's continuation law, for Initial Rights rows (QE rows carry their own).
    """
    record = item.record
    person = beneficiary(record)
    employee, plan = record.employee, record.plan
    row = {
        "record_type": item.kind, "record_id": item.record_id, "action": item.action,
        "company_code": company.code, "company_name": company.name, "ein": company.ein,
        "employee_id": employee.employee_id, "member_id": person.member_id,
        "relationship": person.relationship,
        **demographics(person),
        "plan_code": plan.code, "plan_name": plan.name, "plan_type": plan.plan_type, "carrier": plan.carrier,
        "coverage_tier": record.enrollment.tier,
        "coverage_start": _iso(record.enrollment.effective_date if item.kind == "QE" else record.coverage_start),
        "coverage_end": "", "qualifying_event": "", "qualifying_event_date": "", "cobra_eligibility_date": "",
        "max_coverage_months": "", "max_coverage_end": "", "continuation_law": "",
        # Not CSV columns: the 834 needs them.
        "hire_date": _iso(employee.hire_date), "is_subscriber": person.relationship == Relationship.EMPLOYEE,
    }
    if item.kind == "QE":
        row.update({
            "coverage_end": _iso(record.coverage_end), "qualifying_event": record.event.event_type,
            "qualifying_event_date": _iso(record.event.event_date), "cobra_eligibility_date": _iso(record.eligibility_date),
            "max_coverage_months": record.max_months, "max_coverage_end": _iso(record.max_end),
            "continuation_law": record.continuation_law,
        })
    else:
        row["continuation_law"] = company_law
    return row


def file_rows(items, company, company_law, chunk_size=2000):
    """Stream the rows of a file's items: one query, no per-row queries."""
    for item in items.select_related(*ITEM_RELATED).order_by("id").iterator(chunk_size=chunk_size):
        yield item_row(item, company, company_law)
