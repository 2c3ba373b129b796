"""X12 834 Benefit Enrollment and Maintenance, 005010X220A1 (exchange-file.md §2), from the same rows as the CSV.

One ISA/GS/ST envelope per file; the file's control number (never repeated) numbers all three.
"""
import re
from dataclasses import dataclass
from datetime import datetime

VERSION = "005010X220A1"
ELEMENT, COMPONENT, REPETITION, TERMINATOR = "*", ":", "^", "~"

# INS02 individual relationship code.
RELATIONSHIP = {"employee": "18", "spouse": "01", "domestic_partner": "53", "child": "19"}
# INS03 / HD01 maintenance type code.
MAINTENANCE = {"add": "021", "change": "001", "cancel": "024", "audit": "030"}
# INS04 maintenance reason code: 28 initial enrollment, 09 COBRA, 25 change in identifying data, 07 termination of benefits.
REASON = {("IR", "add"): "28", ("QE", "add"): "09", "change": "25", "cancel": "07"}
# INS07 COBRA qualifying event code: 1 termination, 2 reduction of hours, 3 Medicare, 4 death, 5 divorce,
# 6 separation, 7 loss of dependent-child status. Military leave and loss of eligibility are losses of coverage
# through reduced hours; "other" is reported as a termination of employment.
QUALIFYING_EVENT = {
    "termination": "1", "reduction_of_hours": "2", "military_leave": "2", "loss_of_eligibility": "2",
    "medicare": "3", "death": "4", "divorce": "5", "dependent_age_off": "7", "other": "1",
}
# HD03 insurance line code; spending accounts and EAPs have no own code: HLT / AK (mental health), HD04 names the plan.
INSURANCE_LINE = {
    "medical": "HLT", "dental": "DEN", "vision": "VIS", "prescription": "PDG", "eap": "AK", "eap_cobra": "AK",
    "supplemental_health": "HLT", "telemedicine": "HLT", "hra": "HLT", "fsa": "HLT", "lpfsa": "HLT",
}
# HD05 coverage level code.
COVERAGE_LEVEL = {"employee": "EMP", "employee_spouse": "ESP", "employee_children": "ECH", "family": "FAM"}
# INS08 employment status of the subscriber: terminated after a termination or death, else active (full-time).
EMPLOYMENT_ENDED = {"termination", "death", "other"}

_UNSAFE = re.compile(r"[*~:^\r\n]")


@dataclass
class Envelope:
    control_number: int
    created: datetime
    sender_id: str
    receiver_id: str
    sponsor_name: str
    sponsor_ein: str
    sponsor_code: str
    payer_name: str
    payer_code: str


def _clean(value):
    return _UNSAFE.sub(" ", str(value)).strip()


def _d8(iso):
    return iso.replace("-", "")


class _Writer:
    def __init__(self, out):
        self.out, self.count = out, 0

    def seg(self, *elements, raw=False):
        values = list(elements) if raw else [_clean(e) for e in elements]
        while values and values[-1] == "":
            values.pop()
        self.out.write(ELEMENT.join(values) + TERMINATOR + "\n")
        self.count += 1


def _member(w, row):
    kind, action = row["record_type"], row["action"]
    maintenance = MAINTENANCE[action]
    qe = kind == "QE"
    subscriber = row["is_subscriber"]
    employment = ("TE" if row["qualifying_event"] in EMPLOYMENT_ENDED else "FT") if subscriber else ""
    w.seg("INS", "Y" if subscriber else "N", RELATIONSHIP[row["relationship"]], maintenance,
          REASON.get((kind, action)) or REASON[action], "C" if qe else "A", "",
          QUALIFYING_EVENT[row["qualifying_event"]] if qe else "", employment)
    w.seg("REF", "0F", row["employee_id"])
    w.seg("REF", "ZZ", row["record_id"])
    if subscriber and row["hire_date"]:
        w.seg("DTP", "336", "D8", _d8(row["hire_date"]))
    if qe:
        w.seg("DTP", "301", "D8", _d8(row["qualifying_event_date"]))
        w.seg("DTP", "356", "D8", _d8(row["cobra_eligibility_date"]))
        w.seg("DTP", "357", "D8", _d8(row["max_coverage_end"]))
    else:
        w.seg("DTP", "356", "D8", _d8(row["coverage_start"]))
    w.seg("NM1", "IL", "1", row["last_name"], row["first_name"], "", "", "", "34", row["ssn"])
    w.seg("N3", row["address1"])
    w.seg("N4", row["city"], row["state"], row["zip"])
    w.seg("DMG", "D8", _d8(row["dob"]), row["gender"])
    w.seg("HD", maintenance, "", INSURANCE_LINE.get(row["plan_type"], "HLT"), row["plan_code"],
          COVERAGE_LEVEL.get(row["coverage_tier"], "EMP"))
    w.seg("DTP", "348", "D8", _d8(row["coverage_start"]))
    if qe and row["coverage_end"]:
        w.seg("DTP", "349", "D8", _d8(row["coverage_end"]))


def write(rows, out, *, envelope):
    """Write one interchange carrying `rows` to `out`; return the number of members."""
    ctl = envelope.control_number
    created = envelope.created
    w = _Writer(out)
    w.seg("ISA", "00", " " * 10, "00", " " * 10, "ZZ", _clean(envelope.sender_id)[:15].ljust(15), "ZZ",
          _clean(envelope.receiver_id)[:15].ljust(15), created.strftime("%y%m%d"), created.strftime("%H%M"), REPETITION,
          "00501", f"{ctl:09d}", "0", "P", COMPONENT, raw=True)
    w.seg("GS", "BE", envelope.sender_id, envelope.receiver_id, created.strftime("%Y%m%d"), created.strftime("%H%M"),
          str(ctl), "X", VERSION)
    w.count = 0  # SE01 counts ST through SE
    st = f"{ctl:04d}"
    w.seg("ST", "834", st, VERSION)
    w.seg("BGN", "00", str(ctl), created.strftime("%Y%m%d"), created.strftime("%H%M"), "", "", "", "2")
    ein = envelope.sponsor_ein.replace("-", "")
    if ein:
        w.seg("N1", "P5", envelope.sponsor_name, "FI", ein)
    else:
        w.seg("N1", "P5", envelope.sponsor_name, "94", envelope.sponsor_code)
    w.seg("N1", "IN", envelope.payer_name, "94", envelope.payer_code)
    members = 0
    for row in rows:
        _member(w, row)
        members += 1
    w.seg("SE", str(w.count + 1), st)
    w.seg("GE", "1", str(ctl))
    w.seg("IEA", "1", f"{ctl:09d}")
    return members


def segments(text):
    """Split an 834 into lists of elements (for checks and tests)."""
    return [s.strip().split(ELEMENT) for s in text.split(TERMINATOR) if s.strip()]


# DTP01 qualifiers we send: eligibility begin/end, HD benefit begin/end, employment begin, eligibility change.
DTP_QUALIFIERS = {"356", "357", "348", "349", "336", "301"}


def _d8_date(value):
    try:
        return datetime.strptime(value, "%Y%m%d").date() if len(value) == 8 else None
    except ValueError:
        return None


def check(text, *, used_control_numbers=()):
    """Our own rules on top of the validator's (pyx12 does not check every situational rule); returns a list
    of problems, empty when the file is right. `used_control_numbers`: ISA13s of files already sent."""
    problems = []
    segs = segments(text)
    for tag in ("ISA", "GS", "ST", "SE", "GE", "IEA"):
        n = sum(1 for s in segs if s[0] == tag)
        if n != 1:
            problems.append(f"{tag} appears {n} times; one envelope per file")
    if segs and segs[0][0] == "ISA" and len(segs[0]) > 13 and segs[0][13] in set(used_control_numbers):
        problems.append(f"ISA13 control number {segs[0][13]} was already used by another file")
    member_dates = {}
    for i, s in enumerate(segs):
        if s[0] in ("INS", "SE"):
            problems.extend(_date_order_problems(member_dates, i))
            member_dates = {}
        if s[0] == "DTP":
            s = s + [""] * (4 - len(s))
            day = _d8_date(s[3])
            if s[1] not in DTP_QUALIFIERS:
                problems.append(f"DTP #{i}: DTP01 {s[1]!r} is not one of {', '.join(sorted(DTP_QUALIFIERS))}")
            if s[2] != "D8" or day is None:
                problems.append(f"DTP #{i}: DTP02/03 must be D8 and a real CCYYMMDD date, got {s[2]!r} {s[3]!r}")
            else:
                member_dates.setdefault(s[1], day)
        if s[0] != "INS":
            continue
        s = s + [""] * (9 - len(s))
        if s[2] not in RELATIONSHIP.values():
            problems.append(f"INS #{i}: INS02 {s[2]!r} is not 18, 01, 53 or 19")
        if s[3] not in MAINTENANCE.values():
            problems.append(f"INS #{i}: INS03 {s[3]!r} is not 021, 001, 024 or 030")
        if s[5] == "C" and s[7] not in {"1", "2", "3", "4", "5", "6", "7"}:
            problems.append(f"INS #{i}: INS05 C (COBRA) needs INS07 1-7, got {s[7]!r}")
    return problems


def _date_order_problems(dates, at):
    """Within one member: eligibility end (357) not before its begin (356), benefit end (349) not before 348."""
    return [f"member before segment #{at}: DTP {end} {dates[end]:%Y%m%d} is before DTP {begin} {dates[begin]:%Y%m%d}"
            for begin, end in (("356", "357"), ("348", "349"))
            if begin in dates and end in dates and dates[end] < dates[begin]]
