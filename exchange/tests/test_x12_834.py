"""X12 834 005010X220A1 files pass pyx12's validator and our own checks (issue 5)."""
from datetime import date

import pytest

from enrollments import services as enrollment_services
from exchange import services
from exchange.builders import x12_834
from exchange.delivery import drop_folder
from exchange.models import AckFormat, FileFormat, ItemStatus
from exchange.tests import helpers
from exchange.tests.x12_validation import validate


@pytest.fixture
def edi(db):
    return helpers.vendor("edi", name="EDI Benefits", file_format=FileFormat.X12_834, ack_format=AckFormat.X12_999)


def demo_like_events(company):
    """A termination with spouse and child, a divorce, a child aging off, a death; plus an initial rights notice."""
    medical = helpers.covered_family(company, dependents=("spouse", "child"), employee_id="E0001", first_name="Ana",
                                     last_name="O'Neil")
    helpers.record_event(medical, event_type="termination")
    dental = helpers.covered_family(company, plan_type="dental", dependents=("spouse",), employee_id="E0002")
    helpers.record_event(dental, event_type="divorce", dependents=[dental.covered_dependents.get()])
    vision = helpers.covered_family(company, plan_type="vision", dependents=("child",), employee_id="E0003")
    helpers.record_event(vision, event_type="dependent_age_off", dependents=[vision.covered_dependents.get()])
    fsa = helpers.covered_family(company, plan_type="fsa", dependents=(), employee_id="E0004")
    helpers.record_event(fsa, event_type="death")
    new_hire = helpers.covered_family(company, dependents=("spouse",), employee_id="E0005")
    helpers.record_initial_rights(new_hire, coverage_start=date(2026, 11, 1), dependents=list(new_hire.covered_dependents.all()))
    return medical


def test_834_files_pass_pyx12_and_our_checks(world, edi, monkeypatch, today):
    connection = helpers.connect(world.alpha, edi)
    medical = demo_like_events(world.alpha)
    services.exchange_run(as_of=today, now=None)
    employee = medical.employee
    employee.last_name = "O'Neil-Baker"
    employee.save()
    reversed_ = [i.eligibility for i in helpers.items(connection, kind="QE") if i.eligibility.plan.plan_type == "fsa"]
    enrollment_services.eligibility_reverse(eligibilities=reversed_, reason="entered by mistake", by=world.support)
    services.exchange_run(as_of=date(2099, 1, 1), now=None)

    paths = sorted(drop_folder(edi).iterdir())
    assert [p.name for p in paths] == ["edi_alpha_IR_20261123_1.834", "edi_alpha_QE_20261123_1.834",
                                       "edi_alpha_QE_20990101_2.834"]
    controls = []
    for path in paths:
        errors, _ = validate(path, monkeypatch)
        assert errors == [], f"{path.name}: {errors}"
        text = path.read_text()
        assert x12_834.check(text, used_control_numbers=controls) == []
        segments = x12_834.segments(text)
        assert x12_834.check(text, used_control_numbers=[segments[0][13]])[0].startswith("ISA13 control number")
        controls.append(segments[0][13])
        assert segments[1][6] == segments[-2][2] == str(int(segments[0][13]))
    assert len(set(controls)) == 3, "control numbers never repeat"

    qe_first = x12_834.segments(paths[1].read_text())
    ins = [s for s in qe_first if s[0] == "INS"]
    assert [s[1:4] for s in ins[:3]] == [["Y", "18", "021"], ["N", "01", "021"], ["N", "19", "021"]]
    assert {(s[5], s[7]) for s in ins} == {("C", "1"), ("C", "5"), ("C", "7"), ("C", "4")}
    dtp = {s[1] for s in qe_first if s[0] == "DTP"}
    assert {"301", "336", "348", "349", "356", "357"} <= dtp
    ir = x12_834.segments(paths[0].read_text())
    assert {tuple(s[3:6]) for s in ir if s[0] == "INS"} == {("021", "28", "A")}
    later = x12_834.segments(paths[2].read_text())
    assert sorted(s[3] for s in later if s[0] == "INS") == ["001", "024"], "the renamed employee, the reversed FSA"


def test_the_validator_does_report_a_broken_file(world, edi, monkeypatch, today, tmp_path):
    helpers.connect(world.alpha, edi)
    demo_like_events(world.alpha)
    services.exchange_run(as_of=today, now=None)
    text = (drop_folder(edi) / "edi_alpha_QE_20261123_1.834").read_text()
    broken = tmp_path / "broken.834"
    broken.write_text(text.replace("INS*Y*18*021*09*C", "INS*Y*99*021*09*C", 1).replace("DMG*D8*", "DMG*D8*2026", 1))
    errors, _ = validate(broken, monkeypatch)
    assert len(errors) >= 2


def test_our_checks_catch_a_cobra_member_without_event_code():
    text = ("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261123*0700*^*00501*000000001*0*P*:~"
            "GS*BE*A*B*20261123*0700*1*X*005010X220A1~ST*834*0001*005010X220A1~INS*Y*18*021*09*C~"
            "INS*N*02*026*09*A~SE*4*0001~GE*1*1~IEA*1*000000001~")
    problems = x12_834.check(text)
    assert any("INS07" in p for p in problems)
    assert any("INS02" in p for p in problems) and any("INS03" in p for p in problems)


def test_our_checks_catch_unknown_dtp_qualifiers_bad_dates_and_an_end_before_its_begin():
    text = ("ISA*00*          *00*          *ZZ*A              *ZZ*B              *261123*0700*^*00501*000000001*0*P*:~"
            "GS*BE*A*B*20261123*0700*1*X*005010X220A1~ST*834*0001*005010X220A1~INS*Y*18*021*09*C**1~"
            "DTP*356*D8*20261201~DTP*357*D8*20261130~DTP*999*D8*20261201~DTP*348*D8*20261341~"
            "SE*7*0001~GE*1*1~IEA*1*000000001~")
    problems = x12_834.check(text)
    assert any("DTP 357 20261130 is before DTP 356 20261201" in p for p in problems)
    assert any("DTP01 '999'" in p for p in problems)
    assert any("'20261341'" in p for p in problems)


def test_999_from_the_validator_acknowledges_every_item_of_the_file(world, edi, monkeypatch, today):
    connection = helpers.connect(world.alpha, edi)
    demo_like_events(world.alpha)
    services.exchange_run(as_of=today, now=None)
    qe_file = drop_folder(edi) / "edi_alpha_QE_20261123_1.834"
    _, ack = validate(qe_file, monkeypatch)
    counts = services.ack_import(connection=connection, content=ack)
    assert counts["acknowledged"] == len(helpers.items(connection, kind="QE")) and counts["rejected"] == 0
    assert {i.status for i in helpers.items(connection, kind="QE")} == {ItemStatus.ACKNOWLEDGED}
    assert {i.status for i in helpers.items(connection, kind="IR")} == {ItemStatus.SENT}
