from datetime import date

from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from enrollments.models import Plan
from exchange import services
from exchange.models import ConnectionStatus, FileFormat


def _plan(company, spec):
    code, _, start = spec.partition("@")
    try:
        return Plan.objects.get(company=company, code=code, plan_year_start=date.fromisoformat(start))
    except (ValueError, Plan.DoesNotExist):
        raise CommandError(f"--exclude {spec}: no plan {code!r} of {company.code} with plan year starting {start!r} "
                           "(use PLAN_CODE@YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Connect a company to a vendor (creating the vendor if needed), set its status and excluded plans."

    def add_arguments(self, parser):
        parser.add_argument("company_code")
        parser.add_argument("vendor_code")
        parser.add_argument("--status", choices=[s.value for s in ConnectionStatus])
        parser.add_argument("--exclude", action="append", default=[], metavar="PLAN_CODE@PLAN_YEAR_START")
        parser.add_argument("--format", choices=[f.value for f in FileFormat], dest="file_format")
        parser.add_argument("--schedule", help="nightly or weekly:MON@05:00")

    def handle(self, *args, company_code, vendor_code, status=None, exclude=(), file_format=None, schedule=None, **options):
        company = Company.objects.filter(code=company_code).first()
        if company is None:
            raise CommandError(f"No company with code {company_code!r}.")
        plans = [_plan(company, spec) for spec in exclude]
        try:
            vendor, created = services.vendor_ensure(code=vendor_code, file_format=file_format, schedule=schedule)
        except services.ExchangeError as error:
            raise CommandError(str(error)) from None
        if not created and (file_format or schedule):
            self.stdout.write(f"Vendor {vendor.code} exists: --format and --schedule apply only when it is created.")
        connection = services.connection_connect(company=company, vendor=vendor, excluded_plans=plans)
        if status:
            services.connection_status_set(connection=connection, status=status, note="connect_vendor command")
        self.stdout.write(f"{connection}: {connection.get_status_display()}; vendor {vendor.code} "
                          f"({vendor.get_file_format_display()}, {vendor.schedule_display}); "
                          f"{len(plans)} plan(s) excluded.")
