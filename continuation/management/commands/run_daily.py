from django.core.management.base import BaseCommand, CommandError

from continuation.tasks import daily_run


class Command(BaseCommand):
    help = "Run every daily continuation job (deadlines, terminations, overdue flags, digests) as of a day."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD; default today.")

    def handle(self, *args, as_of=None, **options):
        try:
            summary = daily_run(as_of)
        except ValueError:
            raise CommandError(f"--as-of: {as_of} is not a date; use YYYY-MM-DD.") from None
        self.stdout.write(", ".join(f"{key}: {summary[key]}" for key in sorted(summary)))
