"""python manage.py import_census PATH [--dry-run] [--today YYYY-MM-DD] [--user USERNAME]"""
from datetime import date

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from enrollments.census import census_import, problem_line


def iso_date(value):
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--today {value!r} is not a date: use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Import a census workbook (.xlsx), a folder or .zip of CSV files (shared/spec/census-workbook.md)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Check and count everything, write nothing.")
        parser.add_argument("--today", type=iso_date, help="Run as of this date (default: today).")
        parser.add_argument("--user", help="Import as this user, limited to their companies (default: all companies).")

    def handle(self, *args, path, dry_run, today, user, **options):
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user named {user!r}.")
        result = census_import(path_or_file=path, user=by, today=today or timezone.localdate(), dry_run=dry_run)
        for warning in result.warnings:
            self.stdout.write(f"warning: {problem_line(warning)}")
        if result.errors:
            for error in result.errors:
                self.stdout.write(problem_line(error))
            raise CommandError(f"Census rejected: {len(result.errors)} error(s), nothing written.")
        for line in result.summary_lines():
            self.stdout.write(line)
        outcome = "dry run, nothing written" if dry_run else result.status_label
        self.stdout.write(self.style.SUCCESS(f"Census import: {outcome}."))
