"""Loads the state continuation table's defaults (rules.DEFAULT_STATE_RULES, from shared/spec/cobra-rules.md).

From then on the table is data, edited in the admin; the rule engine reads it from there.
"""
from dataclasses import asdict

from django.db import migrations

LAW_NAMES = {"CA": "Cal-COBRA", "MA": "Massachusetts mini-COBRA"}


def load(apps, schema_editor):
    from enrollments.cobra.rules import DEFAULT_STATE_RULES

    Rule = apps.get_model("enrollments", "StateContinuationRule")
    for rule in DEFAULT_STATE_RULES:
        values = asdict(rule)
        state = values.pop("state")
        Rule.objects.update_or_create(state=state, defaults={**values, "law_name": LAW_NAMES.get(state, f"{state} continuation")})


def unload(apps, schema_editor):
    from enrollments.cobra.rules import DEFAULT_STATE_RULES

    apps.get_model("enrollments", "StateContinuationRule").objects.filter(
        state__in=[rule.state for rule in DEFAULT_STATE_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("enrollments", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
