"""Excel reports and PDF notices: saved report configurations, generated files, and the record of each notice."""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from companies.models import Company
from enrollments.models import CobraEligibility, Dependent, Employee, InitialRightsItem


class ReportKind(models.TextChoices):
    INITIAL_RIGHTS = "initial_rights", "Initial COBRA Rights Report"
    QUALIFYING_EVENTS = "qualifying_events", "COBRA Qualifying Event Report"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class NoticeKind(models.TextChoices):
    GENERAL = "general", "General notice of COBRA rights"
    ELECTION = "election", "COBRA election notice"
    STATE_ELECTION = "state_election", "State continuation election notice"
    UNAVAILABILITY = "unavailability", "Notice of unavailability of continuation coverage"
    EARLY_TERMINATION = "early_termination", "Notice of early termination of continuation coverage"


class SavedReport(models.Model):
    """A named custom report: which report, for which company, which columns in which order."""
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=30, choices=ReportKind.choices)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="saved_reports")
    columns = models.JSONField(help_text="Column keys in the order they appear.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["company", "kind", "name"], name="saved_report_name_unique")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()}, {self.company.code})"


class GeneratedReport(models.Model):
    """One run of a report, built in the background; listed under Recently generated reports."""
    kind = models.CharField(max_length=30, choices=ReportKind.choices)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="generated_reports")
    saved_report = models.ForeignKey(SavedReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs")
    columns = models.JSONField()
    date_from = models.DateField()
    date_to = models.DateField()
    full_ssn = models.BooleanField(default=False, help_text="The file holds full SSNs and birth dates (the requester may see them).")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    file = models.FileField(upload_to="reports/%Y/%m/", blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "recently generated reports"
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.company.code} {self.date_from:%m/%d/%Y}-{self.date_to:%m/%d/%Y}"

    @property
    def file_name(self):
        return f"{self.kind}-{self.company.code}-{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}.xlsx"


class ContinuationDenial(models.Model):
    """A request for continuation coverage that was denied: owes a notice of unavailability (2590.606-4(c))."""
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="continuation_denials")
    dependent = models.ForeignKey(Dependent, on_delete=models.PROTECT, null=True, blank=True, related_name="continuation_denials",
                                  help_text="Blank when the employee asked.")
    request_date = models.DateField(help_text="The day the request for continuation coverage was received.")
    reason = models.TextField(help_text="Why the person is not entitled to continuation coverage; printed on the notice.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-request_date", "-id"]

    def __str__(self):
        return f"{self.requester.full_name}: request of {self.request_date:%m/%d/%Y} denied"

    def clean(self):
        if self.dependent_id and self.employee_id and self.dependent.employee_id != self.employee_id:
            raise ValidationError({"dependent": "Choose one of this employee's dependents, or leave it blank."})

    @property
    def requester(self):
        return self.dependent or self.employee


class NoticeBatch(models.Model):
    """Every notice of one kind due on one date for one company: one PDF each plus a merged file for printing."""
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="notice_batches")
    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    notice_count = models.PositiveIntegerField(null=True, blank=True)
    merged_file = models.FileField(upload_to="notices/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "notice batches"
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.company.code} as of {self.as_of:%m/%d/%Y}"


class GeneratedNotice(models.Model):
    """One notice to one recipient, as generated: the answer to "was the notice sent on time?"."""
    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="generated_notices")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="generated_notices")
    dependent = models.ForeignKey(Dependent, on_delete=models.PROTECT, null=True, blank=True, related_name="generated_notices",
                                  help_text="Blank when the notice is addressed to the employee.")
    recipient_name = models.CharField(max_length=300, help_text="Everyone the notice is addressed to.")
    notice_date = models.DateField(help_text="The date printed on the notice (the day it is sent).")
    due_date = models.DateField(help_text="The last day the notice could be sent on time.")
    file = models.FileField(upload_to="notices/%Y/%m/")
    batch = models.ForeignKey(NoticeBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="notices")
    initial_rights_items = models.ManyToManyField(InitialRightsItem, blank=True, related_name="general_notices")
    eligibilities = models.ManyToManyField(CobraEligibility, blank=True, related_name="notices")
    denial = models.ForeignKey(ContinuationDenial, on_delete=models.PROTECT, null=True, blank=True, related_name="notices")
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    generated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-notice_date", "-id"]
        indexes = [models.Index(fields=["company", "kind", "notice_date"])]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_name} on {self.notice_date:%m/%d/%Y}"

    @property
    def on_time(self):
        return self.notice_date <= self.due_date
