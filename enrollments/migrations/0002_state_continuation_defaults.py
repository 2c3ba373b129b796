"""The state continuation table's defaults (shared/spec/cobra-rules.md). Editable afterwards in the admin."""
from datetime import date
from decimal import Decimal

from django.db import migrations

VERIFIED = date(2026, 11, 23)
SPEC = "shared/spec/cobra-rules.md state table"
ROWS = [
    # state, law name, months, cap %, disability %, election days, min, max employees, extends federal to, note
    ("CA", "Cal-COBRA", 36, "110", "150", 60, 2, 19, 36, "Insured plans of employers of 2-19; also extends federal COBRA to 36 months in total."),
    ("NY", "New York continuation", 36, "102", None, 60, None, None, 36, "Insured plans of any size; extends federal COBRA to 36 months. Verify."),
    ("TX", "Texas continuation", 9, "102", None, 60, None, 19, None, "Insured plans of employers not subject to COBRA; 6 more months after federal COBRA. Verify."),
    ("FL", "Florida Health Insurance Coverage Continuation Act", 18, "115", None, 30, None, 19, None, "Employers under 20; 29 months if disabled; the beneficiary tells the carrier within 63 days of the loss. Verify."),
    ("IL", "Illinois continuation", 12, "100", None, 30, None, None, None, "Insured plans; 100% plus an administration fee; employer tells the employee within 10 days. Verify."),
    ("NJ", "New Jersey continuation", 18, "102", None, 30, 2, 50, None, "Employers of 2-50; 29 / 36 months in some cases. Verify."),
    ("MA", "Massachusetts mini-COBRA", 18, "102", None, 60, 2, 19, None, "Employers of 2-19; 29 / 36 months in some cases. Verify."),
    ("GA", "Georgia continuation", 3, "100", None, 31, None, 19, None, "Employers under 20; the rest of the month plus 3 months. Verify."),
]


def load(apps, schema_editor):
    Rule = apps.get_model("enrollments", "StateContinuationRule")
    for state, name, months, cap, disability, days, low, high, extends, note in ROWS:
        Rule.objects.update_or_create(state=state, defaults=dict(
            law_name=name, max_months=months, premium_cap_pct=Decimal(cap),
            disability_premium_pct=Decimal(disability) if disability else None, election_days=days,
            min_employees=low, max_employees=high, insured_only=True, extends_federal_to_months=extends,
            last_verified=VERIFIED if state in ("CA", "NY") else None, source_note=f"{note} Source: {SPEC}."))


def unload(apps, schema_editor):
    apps.get_model("enrollments", "StateContinuationRule").objects.filter(state__in=[r[0] for r in ROWS]).delete()


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
