from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from reports import services
from reports.models import NoticeBatch, NoticeKind


class Command(BaseCommand):
    help = ("Generate every notice of a kind due on a date: one PDF per recipient plus merged.pdf in --output, "
            "each recorded as generated.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=NoticeKind.values)
        parser.add_argument("--company", required=True, help="company code")
        parser.add_argument("--as-of", dest="as_of", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--output", required=True, help="folder for the PDFs (created if missing)")

    def handle(self, *args, kind, company, as_of, output, **options):
        company_row = Company.objects.filter(code=company).first()
        if company_row is None:
            raise CommandError(f"--company: no company with code {company!r}.")
        folder = Path(output)
        folder.mkdir(parents=True, exist_ok=True)
        batch = NoticeBatch.objects.create(kind=kind, company=company_row, as_of=as_of)
        batch = services.notice_batch_run(batch=batch, output_dir=folder)
        if batch.error:
            raise CommandError(f"Notices failed: {batch.error}")
        merged = " plus merged.pdf" if batch.notice_count else ""
        self.stdout.write(f"{batch.notice_count} notice(s) generated ({NoticeKind(kind).label}) in {folder}{merged}")
