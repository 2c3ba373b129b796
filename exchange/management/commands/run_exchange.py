from datetime import date

from django.core.management.base import BaseCommand

from exchange import services


class Command(BaseCommand):
    help = "Build and deliver every vendor file due on a date, as if the scheduler ran that day; print what was sent and held back."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=date.fromisoformat, required=True, help="YYYY-MM-DD")

    def handle(self, *args, as_of, **options):
        report = services.exchange_run(as_of=as_of)
        for line in report.lines() or ["nothing to do"]:
            self.stdout.write(line)
        self.stdout.write(f"{len(report.sent)} file(s) sent, {len(report.held)} held back.")
