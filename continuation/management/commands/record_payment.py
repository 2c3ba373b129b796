from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from continuation.management.commands._arguments import find_member, parse_day, parse_month
from continuation.services import ContinuationError, payment_record


class Command(BaseCommand):
    help = "Record a continuation premium payment by its postmark date: MEMBER_ID AMOUNT --sent YYYY-MM-DD."

    def add_arguments(self, parser):
        parser.add_argument("member_id", help="employee_id, or employee_id-dependent_id (exchange-file.md)")
        parser.add_argument("amount", help="e.g. 612.00")
        parser.add_argument("--sent", required=True, help="Postmark date YYYY-MM-DD.")
        parser.add_argument("--period", help="YYYY-MM: the month the paid period starts in; default the next unpaid.")
        parser.add_argument("--company", help="Company code; required when the employee_id exists in several companies.")

    def handle(self, *args, member_id, amount, sent, period=None, company=None, **options):
        try:
            amount = Decimal(amount)
        except InvalidOperation:
            raise CommandError(f"amount: {amount} is not an amount; use e.g. 612.00.") from None
        employee, dependent = find_member(member_id, company)
        try:
            payment = payment_record(employee=employee, dependent=dependent, amount=amount,
                                     sent_on=parse_day(sent, "--sent"),
                                     period=parse_month(period, "--period") if period else None,
                                     today=timezone.localdate())
        except ContinuationError as error:
            raise CommandError(str(error)) from None
        paid = f", paid through {payment.paid_through:%Y-%m-%d}" if payment.paid_through else ""
        self.stdout.write(f"{member_id}: {payment.get_status_display()}{paid}. {payment.message}".strip())
