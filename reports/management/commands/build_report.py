from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from companies.models import Company
from reports import selectors, services
from reports.columns import DEFAULT_COLUMNS
from reports.models import ReportKind


class Command(BaseCommand):
    help = "Build an Excel report as the admin would for a superuser (full SSNs): initial_rights or qualifying_events."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ReportKind.values)
        parser.add_argument("--company", required=True, help="company code")
        parser.add_argument("--from", dest="date_from", type=date.fromisoformat, help="YYYY-MM-DD (default: the report's week)")
        parser.add_argument("--to", dest="date_to", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--columns", help="comma-separated column keys in order (default: the report's defaults)")
        parser.add_argument("--output", required=True, help="FILE.xlsx")

    def handle(self, *args, kind, company, date_from, date_to, columns, output, **options):
        company_row = Company.objects.filter(code=company).first()
        if company_row is None:
            raise CommandError(f"--company: no company with code {company!r}.")
        default_from, default_to = selectors.report_default_range(kind=kind, today=timezone.localdate())
        columns = columns.split(",") if columns else DEFAULT_COLUMNS[ReportKind(kind)]
        try:
            rows = services.report_write(kind=kind, company=company_row, columns=columns, date_from=date_from or default_from,
                                         date_to=date_to or default_to, full_ssn=True, output=output)
        except ValueError as error:
            raise CommandError(f"--columns: {error}") from None
        self.stdout.write(f"{rows} rows written to {output}")
