"""The standard CSV file: exact columns and name (exchange-file.md §1)."""
import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from exchange import rows, services
from exchange.delivery import drop_folder
from exchange.models import ExchangeFile, ItemStatus
from exchange.rows import COLUMNS, SsnUnreadable, ssn_plain
from exchange.tests import helpers

SPEC_COLUMNS = (
    "record_type,record_id,action,company_code,company_name,ein,employee_id,member_id,relationship,first_name,"
    "last_name,ssn,dob,gender,address1,city,state,zip,plan_code,plan_name,plan_type,carrier,coverage_tier,"
    "coverage_start,coverage_end,qualifying_event,qualifying_event_date,cobra_eligibility_date,max_coverage_months,"
    "max_coverage_end,continuation_law")


def test_columns_are_the_contract():
    assert ",".join(COLUMNS) == SPEC_COLUMNS


def test_qe_and_ir_rows(world, acme, alpha_acme):
    enrollment = helpers.covered_family(world.alpha, employee_id="E77", ssn="123456789")
    spouse = enrollment.covered_dependents.get()
    spouse.address1 = ""
    spouse.save()
    employee_row, spouse_row = helpers.record_event(enrollment)
    helpers.record_initial_rights(enrollment, coverage_start=date(2026, 11, 1))
    services.exchange_run(as_of=date(2026, 11, 23), now=None)
    folder = drop_folder(acme)
    with open(folder / "acme_alpha_QE_20261123_1.csv", newline="", encoding="utf-8") as f:
        header = f.readline().strip()
        f.seek(0)
        qe = list(csv.DictReader(f))
    assert header == SPEC_COLUMNS
    assert {k: qe[0][k] for k in ("record_type", "record_id", "action", "company_code", "ein", "employee_id",
                                  "member_id", "relationship", "ssn", "coverage_end", "qualifying_event",
                                  "qualifying_event_date", "cobra_eligibility_date", "max_coverage_months",
                                  "continuation_law")} == {
        "record_type": "QE", "record_id": f"QE-{employee_row.pk}", "action": "add", "company_code": "alpha",
        "ein": "12-3456789", "employee_id": "E77", "member_id": "E77", "relationship": "employee", "ssn": "123456789",
        "coverage_end": "2026-11-30", "qualifying_event": "termination", "qualifying_event_date": "2026-11-13",
        "cobra_eligibility_date": "2026-12-01", "max_coverage_months": "18", "continuation_law": "federal"}
    assert (qe[1]["member_id"], qe[1]["relationship"]) == (f"E77-{spouse.dependent_id}", "spouse")
    assert qe[1]["address1"] == enrollment.employee.address1, "a member without an address gets the employee's"
    with open(folder / "acme_alpha_IR_20261123_1.csv", newline="", encoding="utf-8") as f:
        ir = list(csv.DictReader(f))
    assert [(r["record_type"], r["coverage_start"], r["qualifying_event"]) for r in ir] == [("IR", "2026-11-01", "")]


def demographics(record):
    """The beneficiary's DEMOGRAPHICS as the models give them (Person.mailing_address: the member-address rule)."""
    person = record.employee if record.dependent_id is None else record.dependent
    return {"first_name": person.first_name, "last_name": person.last_name, "ssn": person.ssn or "",
            "dob": person.dob.isoformat() if person.dob else "", "gender": person.gender, **person.mailing_address()}


def test_streamed_rows_carry_the_same_demographics_as_the_models(world, alpha_acme):
    """The file streams plain values chosen in SQL; they must match the models' (the SQL and Python member-address
    rules agree, and change detection fingerprints these values)."""
    enrollment = helpers.covered_family(world.alpha, dependents=("spouse", "child"))
    spouse, child = enrollment.covered_dependents.order_by("relationship")
    spouse.address1, spouse.city, spouse.state, spouse.zip = "5 Own Rd", "Reno", "NV", "89501"
    spouse.save()
    child.address1 = "half an address"
    child.save()
    records = helpers.record_event(enrollment)
    streamed = list(rows.record_rows(rows.file_records(alpha_acme.items.all(), "QE"), "QE", world.alpha, "federal"))
    for record, row in zip(records, streamed):
        expected = demographics(record)
        assert {k: row[k] for k in expected} == expected
    assert sorted(r["address1"] for r in streamed) == ["10 Elm St", "10 Elm St", "5 Own Rd"]


def test_an_ssn_that_does_not_decrypt_stops_the_file_instead_of_sending_ciphertext():
    """django-fernet-encrypted-fields returns the ciphertext when the key is wrong; that must never reach a vendor."""
    assert ssn_plain(None, member_id="E1") == ""
    with pytest.raises(SsnUnreadable, match="member E1-D2"):
        ssn_plain("gAAAAABnot-a-valid-token", member_id="E1-D2")


def test_a_file_rendered_from_records_in_memory_is_the_file_rendered_from_the_query(world, alpha_acme):
    """The benchmark's baseline feeds `file_render` the same records from a list: it must write the same file."""
    enrollment = helpers.covered_family(world.alpha, dependents=("spouse", "child"))
    helpers.record_event(enrollment)
    exchange_file = ExchangeFile.objects.create(connection=alpha_acme, kind="QE", sequence=1,
                                                built_on=date(2026, 11, 23), name="memory.csv",
                                                lease_until=timezone.now() + timedelta(hours=1))
    alpha_acme.items.filter(kind="QE").update(status=ItemStatus.CLAIMED, file=exchange_file)
    from_query, from_list = io.StringIO(), io.StringIO()
    assert services.file_render(exchange_file, from_query) == 3
    records = list(rows.file_records(exchange_file.items.all(), "QE"))
    assert services.file_render(exchange_file, from_list, records=records) == 3
    assert from_query.getvalue() == from_list.getvalue()
    assert from_query.getvalue().count("\r\n") == 4
