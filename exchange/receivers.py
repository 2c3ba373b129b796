"""Writes outbox rows when enrollments creates or reverses COBRA records, inside that same transaction."""
from enrollments.models import CobraEligibility
from exchange import services
from exchange.models import ItemKind


def cobra_records_changed(sender, *, records, action, **kwargs):
    kind = ItemKind.QE if sender is CobraEligibility else ItemKind.IR
    services.items_record(kind=kind, records=records, action=action)
