from django.core.management.base import BaseCommand, CommandError

from continuation.management.commands._arguments import find_member, parse_day
from continuation.rules import SECOND_EVENTS
from continuation.services import ContinuationError, disability_extension_record, second_event_record


class Command(BaseCommand):
    help = ("Extend a maximum period: MEMBER_ID disability --disabled-on D --determined-on D --notified-on D, or "
            "MEMBER_ID EVENT --event-date D --notified-on D for a second qualifying event (a dependent's member id).")

    def add_arguments(self, parser):
        parser.add_argument("member_id", help="employee_id, or employee_id-dependent_id (exchange-file.md)")
        parser.add_argument("kind", choices=["disability", *sorted(SECOND_EVENTS)])
        parser.add_argument("--notified-on", required=True, help="The day the administrator was told, YYYY-MM-DD.")
        parser.add_argument("--disabled-on", help="Disability: the onset date in the SSA determination.")
        parser.add_argument("--determined-on", help="Disability: the date of the SSA determination.")
        parser.add_argument("--event-date", help="Second event: the date of the death, divorce, Medicare or age-off.")
        parser.add_argument("--company", help="Company code; required when the employee_id exists in several companies.")

    def handle(self, *args, member_id, kind, notified_on, company=None, **options):
        employee, dependent = find_member(member_id, company)
        notified_on = parse_day(notified_on, "--notified-on")
        try:
            if kind == "disability":
                extended = disability_extension_record(
                    employee=employee, dependent=dependent, notified_on=notified_on,
                    disabled_on=parse_day(_required(options, "disabled_on"), "--disabled-on"),
                    determined_on=parse_day(_required(options, "determined_on"), "--determined-on"))
            else:
                if dependent is None:
                    raise CommandError("member_id: a second qualifying event extends a spouse or child: use employee_id-dependent_id.")
                extended = second_event_record(
                    employee=employee, dependents=[dependent], event_type=kind, notified_on=notified_on,
                    event_date=parse_day(_required(options, "event_date"), "--event-date"))
        except ContinuationError as error:
            raise CommandError(str(error)) from None
        for eligibility in extended:
            self.stdout.write(f"{eligibility.plan.code}: {eligibility.max_months} months, to {eligibility.max_end:%Y-%m-%d}")


def _required(options, name):
    if not options.get(name):
        raise CommandError(f"--{name.replace('_', '-')} is required for this extension (YYYY-MM-DD).")
    return options[name]
