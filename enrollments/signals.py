"""Signals sent inside the transaction that writes COBRA records.

The exchange app listens and writes its outbox rows in that same transaction,
so an item can never exist without its outbox row, nor the other way round.
"""
from django.dispatch import Signal

# sender=CobraEligibility or InitialRightsItem, records=[...], action="add" | "change" | "cancel"
cobra_records_changed = Signal()
