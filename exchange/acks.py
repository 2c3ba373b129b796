"""Reading vendors' acknowledgement files: X12 999 for 834 vendors, a small CSV for CSV vendors."""
import csv
import io

ACCEPTED_999 = {"A", "E"}  # IK5/AK9: accepted, accepted with errors noted


class AckFileError(ValueError):
    """An acknowledgement file we cannot read; the message says what is wrong with it."""


def parse_csv(text):
    """Rows of `record_id,status,message` with status accepted|rejected -> [(record_id, accepted, message)]."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"record_id", "status"} <= {name.strip().lower() for name in reader.fieldnames}:
        raise AckFileError("The acknowledgement CSV needs a header row with record_id, status and message columns.")
    results = []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        status = row["status"].lower()
        if status not in {"accepted", "rejected"}:
            raise AckFileError(f"Line {line}: status must be accepted or rejected, got {row['status']!r}.")
        results.append((row["record_id"], status == "accepted", row.get("message", "")))
    return results


def parse_999(text):
    """A 999 -> [(group control number, accepted, message)], one per acknowledged functional group."""
    if not text.startswith("ISA") or len(text) < 106:
        raise AckFileError("This is not an X12 file: it must start with an ISA segment.")
    element, terminator = text[3], text[105]
    segments = [s.strip().split(element) for s in text.split(terminator) if s.strip()]
    results, group, accepted, errors = [], None, True, []
    for seg in segments:
        tag = seg[0]
        if tag == "AK1":
            group, accepted, errors = int(seg[2]), True, []
        elif tag == "IK3":
            errors.append(f"segment {seg[1]} at position {seg[2]}: error {seg[4] if len(seg) > 4 else ''}".strip())
        elif tag == "IK4":
            errors.append(f"element {seg[1]}: error {seg[3] if len(seg) > 3 else ''}".strip())
        elif tag == "IK5" and seg[1] not in ACCEPTED_999:
            accepted = False
        elif tag == "AK9" and group is not None:
            accepted = accepted and seg[1] in ACCEPTED_999
            results.append((group, accepted, "; ".join(errors) or ("Accepted" if accepted else "Rejected")))
            group = None
    if not results:
        raise AckFileError("The 999 acknowledges no functional group (no AK1 ... AK9).")
    return results
