from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from continuation.management.commands._arguments import find_member, parse_day
from continuation.rules import ElectionChoice
from continuation.services import ContinuationError, election_record


class Command(BaseCommand):
    help = "Record a beneficiary's election or waiver by its postmark date: MEMBER_ID elect|waive --sent YYYY-MM-DD."

    def add_arguments(self, parser):
        parser.add_argument("member_id", help="employee_id, or employee_id-dependent_id (exchange-file.md)")
        parser.add_argument("choice", choices=ElectionChoice.values)
        parser.add_argument("--sent", required=True, help="Postmark date YYYY-MM-DD.")
        parser.add_argument("--plans", nargs="+", metavar="PLAN_CODE",
                            help="Lines to elect (the others are waived) or to waive; default all open lines.")
        parser.add_argument("--company", help="Company code; required when the employee_id exists in several companies.")

    def handle(self, *args, member_id, choice, sent, plans=None, company=None, **options):
        employee, dependent = find_member(member_id, company)
        try:
            elections = election_record(employee=employee, dependent=dependent, choice=choice,
                                        sent_on=parse_day(sent, "--sent"), plan_codes=plans, today=timezone.localdate())
        except ContinuationError as error:
            raise CommandError(str(error)) from None
        for election in elections:
            self.stdout.write(f"{member_id} {election.plan.code}: {election.get_choice_display()}")
