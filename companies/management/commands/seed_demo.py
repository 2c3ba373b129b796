import importlib
import importlib.util
from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from companies.models import Company

# Each app that has demo data exposes demo.seed(today=...); run in this order.
DEMO_MODULES = ["companies.demo", "enrollments.demo", "exchange.demo", "reports.demo"]


class Command(BaseCommand):
    help = "Load the demo agencies, companies, plans, people, events and users (once; a second run changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD, default today")

    def handle(self, *args, today=None, **options):
        today = today or date.today()
        if Company.objects.filter(code="sunrise").exists():
            self.stdout.write("Demo data already loaded.")
            return
        with transaction.atomic():
            for name in DEMO_MODULES:
                if importlib.util.find_spec(name):
                    importlib.import_module(name).seed(today=today)
        self.stdout.write(f"Demo data loaded ({Company.objects.count()} companies).")
