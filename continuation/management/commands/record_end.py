from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from continuation.management.commands._arguments import find_member, parse_day
from continuation.rules import EndReason
from continuation.selectors import member_elections
from continuation.services import ContinuationError, continuation_end_request

REASONS = [EndReason.EARLY_END_REQUESTED, EndReason.OTHER_GROUP_COVERAGE, EndReason.MEDICARE]


class Command(BaseCommand):
    help = ("End a beneficiary's continuation early: MEMBER_ID early_end_requested|other_group_coverage|medicare "
            "--on YYYY-MM-DD [--plans PLAN_CODE ...]. A request ends at the end of that month.")

    def add_arguments(self, parser):
        parser.add_argument("member_id", help="employee_id, or employee_id-dependent_id (exchange-file.md)")
        parser.add_argument("reason", choices=[r.value for r in REASONS])
        parser.add_argument("--on", required=True,
                            help="The request date, or the day the other coverage or Medicare begins (YYYY-MM-DD).")
        parser.add_argument("--plans", nargs="+", metavar="PLAN_CODE", help="Only these lines; default all.")
        parser.add_argument("--company", help="Company code; required when the employee_id exists in several companies.")

    def handle(self, *args, member_id, reason, on, plans=None, company=None, **options):
        employee, dependent = find_member(member_id, company)
        elections = member_elections(employee=employee, dependent=dependent)
        if plans:
            unknown = sorted(set(plans) - {e.plan.code for e in elections})
            if unknown:
                raise CommandError(f"--plans: {member_id} has no continuation of {', '.join(unknown)}.")
            elections = [e for e in elections if e.plan.code in plans]
        if not elections:
            raise CommandError(f"member_id: {member_id} has no continuation coverage to end.")
        try:
            scheduled = continuation_end_request(elections=elections, reason=reason, occurred_on=parse_day(on, "--on"),
                                                 today=timezone.localdate())
        except ContinuationError as error:
            raise CommandError(str(error)) from None
        for election in scheduled:
            self.stdout.write(f"{member_id} {election.plan.code}: coverage ends {election.scheduled_end:%Y-%m-%d}")
