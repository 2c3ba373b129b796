"""The standard CSV file (exchange-file.md §1): UTF-8, header row, one row per person per plan."""
import csv

from exchange.rows import COLUMNS


def write(rows, out, **_envelope):
    """Write `rows` (dicts keyed by COLUMNS, extra keys ignored) to the text stream `out`; return the row count."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
