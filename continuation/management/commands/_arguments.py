"""Parsing shared by record_payment and record_election: errors name the argument and the fix."""
from datetime import date

from django.core.management.base import CommandError

from continuation.selectors import MemberNotFound, member_find


def parse_day(value, name):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{name}: {value} is not a date; use YYYY-MM-DD.") from None


def parse_month(value, name):
    try:
        year, month = value.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise CommandError(f"{name}: {value} is not a month; use YYYY-MM.") from None


def find_member(member_id, company_code):
    try:
        return member_find(member_id=member_id, company_code=company_code)
    except MemberNotFound as error:
        raise CommandError(str(error)) from None
