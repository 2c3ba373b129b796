from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exchange import acks, services
from exchange.models import Connection


class Command(BaseCommand):
    help = "Import a vendor's acknowledgement file (999 or CSV) for one connection."

    def add_arguments(self, parser):
        parser.add_argument("company_code")
        parser.add_argument("vendor_code")
        parser.add_argument("path", type=Path)

    def handle(self, *args, company_code, vendor_code, path, **options):
        connection = Connection.objects.filter(company__code=company_code, vendor__code=vendor_code).first()
        if connection is None:
            raise CommandError(f"No connection of {company_code!r} to {vendor_code!r}.")
        try:
            counts = services.ack_import(connection=connection, content=path.read_text(encoding="utf-8"))
        except (OSError, acks.AckFileError) as error:
            raise CommandError(f"{path}: {error}") from None
        self.stdout.write(f"{counts['acknowledged']} acknowledged, {counts['rejected']} rejected, "
                          f"{counts['unknown']} not recognised.")
