"""Demo custom reports and a denied continuation request (after companies.demo and enrollments.demo)."""
from datetime import timedelta

from django.contrib.auth.models import User

from companies.models import Company
from enrollments.models import Employee
from reports.columns import DEFAULT_COLUMNS
from reports.models import ContinuationDenial, ReportKind, SavedReport


def seed(*, today):
    admin = User.objects.filter(is_superuser=True).order_by("id").first()
    for company in Company.objects.order_by("code"):
        SavedReport.objects.get_or_create(
            company=company, kind=ReportKind.QUALIFYING_EVENTS, name="Weekly file for the COBRA administrator",
            defaults={"columns": DEFAULT_COLUMNS[ReportKind.QUALIFYING_EVENTS], "created_by": admin})
    employee = Employee.objects.filter(company__code="harbor").order_by("employee_id").last()
    if employee is not None:
        ContinuationDenial.objects.get_or_create(
            employee=employee, request_date=today - timedelta(days=3), defaults={
                "reason": "You were not covered under the Plan on the day before the qualifying event, so you are "
                          "not a qualified beneficiary.", "recorded_by": admin})
