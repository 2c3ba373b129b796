"""Vendors, company connections, the outbox of exchange items and the files that carry them (issue 5)."""
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from companies.models import Company
from enrollments.models import CobraEligibility, InitialRightsItem, Plan
from exchange import schedule as file_schedule

ALL_EMPLOYEES = "All employees"


class FileFormat(models.TextChoices):
    CSV = "csv", "Standard CSV"
    X12_834 = "834", "X12 834 (005010X220A1)"


class AckFormat(models.TextChoices):
    CSV = "csv", "CSV of record ids (accepted / rejected)"
    X12_999 = "999", "X12 999 implementation acknowledgment"


class ScheduleKind(models.TextChoices):
    NIGHTLY = file_schedule.NIGHTLY, "Nightly"
    WEEKLY = "weekly", "Weekly"


class Weekday(models.IntegerChoices):
    MON = 0, "Monday"
    TUE = 1, "Tuesday"
    WED = 2, "Wednesday"
    THU = 3, "Thursday"
    FRI = 4, "Friday"
    SAT = 5, "Saturday"
    SUN = 6, "Sunday"


class Vendor(models.Model):
    """A COBRA administrator that receives exchange files."""
    name = models.CharField(max_length=200)
    code = models.SlugField("vendor code", max_length=30, unique=True)
    file_format = models.CharField(max_length=3, choices=FileFormat.choices, default=FileFormat.CSV)
    schedule = models.CharField(max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.NIGHTLY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True,
                                               help_text="Weekly schedules only.")
    hour = models.PositiveSmallIntegerField(default=2, help_text="Local hour (0-23) the file is built.")
    time_zone = models.CharField(max_length=50, default="America/New_York")
    sftp_host = models.CharField("SFTP host", max_length=200, blank=True,
                                 help_text="Blank: files go to the local drop folder under the media root.")
    sftp_port = models.PositiveIntegerField("SFTP port", default=22)
    sftp_user = models.CharField("SFTP user", max_length=100, blank=True)
    sftp_key_path = models.CharField("SFTP private key file", max_length=500, blank=True)
    sftp_path = models.CharField("SFTP folder", max_length=500, blank=True, default=".")
    sftp_host_key = models.CharField("SFTP host key", max_length=1000, blank=True,
                                     help_text="The server's public key as in known_hosts: 'ssh-ed25519 AAAA…'.")
    ack_format = models.CharField(max_length=3, choices=AckFormat.choices, default=AckFormat.CSV)
    ack_due_days = models.PositiveSmallIntegerField(default=5, help_text="Flag items not acknowledged after this many days.")
    last_scheduled_on = models.DateField(
        null=True, blank=True, editable=False,
        help_text="File date of the latest scheduled slot the hourly job built (claimed), so a missed slot is built once.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(schedule="nightly") | Q(weekday__isnull=False), name="weekly_vendor_has_weekday"),
            models.CheckConstraint(condition=Q(hour__lte=23), name="vendor_hour_in_day"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def is_due_on(self, day):
        return file_schedule.is_file_day(schedule=self.schedule, weekday=self.weekday, day=day)

    @property
    def schedule_display(self):
        if self.schedule == ScheduleKind.NIGHTLY:
            return f"Nightly {self.hour:02d}:00 {self.time_zone}"
        return f"Weekly {Weekday(self.weekday).label} {self.hour:02d}:00 {self.time_zone}"

    @property
    def uses_sftp(self):
        return bool(self.sftp_host)


class ConnectionStatus(models.TextChoices):
    NEW = "new", "New (nothing is sent)"
    PENDING = "pending", "Pending (files sent, vendor testing)"
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive (nothing is sent)"


SENDING_STATUSES = (ConnectionStatus.PENDING, ConnectionStatus.ACTIVE)


class Connection(models.Model):
    """One company's feed to one vendor (seed 001: How to connect a client to the COBRA exchange)."""
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="exchange_connections")
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="connections")
    subscriber_group = models.CharField(
        max_length=100, default=ALL_EMPLOYEES, choices=[(ALL_EMPLOYEES, ALL_EMPLOYEES)],
        help_text="Every employee's records go on the file, the best practice (seed 001); narrower groups are not offered.")
    primary_contact = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="+", help_text="Gets the daily reconciliation summary.")
    status = models.CharField(max_length=10, choices=ConnectionStatus.choices, default=ConnectionStatus.NEW)
    ends_on = models.DateField(null=True, blank=True, help_text="Participation ends on this date (set by the broker).")
    last_delivery_error = models.TextField(blank=True)
    last_delivery_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["company__name", "vendor__name"]
        constraints = [models.UniqueConstraint(fields=["company", "vendor"], name="one_connection_per_company_vendor")]

    def __str__(self):
        return f"{self.company.name} → {self.vendor.name}"

    def is_sending_on(self, day):
        """Pending and Active connections get files; New and Inactive get nothing (seed 001 statuses)."""
        return self.status in SENDING_STATUSES and (self.ends_on is None or day < self.ends_on)


class StatusChange(models.Model):
    """Who moved a connection to which status, and when."""
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=ConnectionStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ConnectionStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.from_status or '-'} → {self.to_status}"


class PlanExclusion(models.Model):
    """A decision about one plan year's plan on one connection; only `excluded=True` keeps a plan off the file.

    Exclusions are per plan year (seed 001): a renewal is a new Plan row with no decision until someone makes one.
    """
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="plan_exclusions")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="+")
    excluded = models.BooleanField(default=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["plan__plan_year_start", "plan__code"]
        constraints = [models.UniqueConstraint(fields=["connection", "plan"], name="one_exclusion_decision_per_plan")]

    def __str__(self):
        return f"{self.plan} {'excluded' if self.excluded else 'sent'}"


class ItemKind(models.TextChoices):
    IR = "IR", "Initial Rights"
    QE = "QE", "Qualifying Event"


class ItemAction(models.TextChoices):
    ADD = "add", "Add"
    CHANGE = "change", "Change"
    CANCEL = "cancel", "Cancel"


class ItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    HELD = "held", "Held (missing data)"
    SKIPPED = "skipped", "Not sent"
    CLAIMED = "claimed", "On a file being delivered"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    REJECTED = "rejected", "Rejected by vendor"


DELIVERED_STATUSES = (ItemStatus.SENT, ItemStatus.ACKNOWLEDGED, ItemStatus.REJECTED)


class ExchangeItem(models.Model):
    """The outbox: one row per record per connection, written in the transaction that creates the record."""
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=2, choices=ItemKind.choices)
    eligibility = models.ForeignKey(CobraEligibility, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    initial_rights = models.ForeignKey(InitialRightsItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=6, choices=ItemAction.choices, default=ItemAction.ADD)
    record_id = models.CharField(max_length=30, help_text="Stable id of the notice item; its change and cancel rows share it.")
    origin = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="followups",
                               help_text="The add item a change or cancel refers to.")
    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.PENDING)
    file = models.ForeignKey("ExchangeFile", on_delete=models.PROTECT, null=True, blank=True, related_name="items")
    message = models.CharField(max_length=500, blank=True, help_text="Why held or not sent; the vendor's message.")
    fingerprint = models.CharField(max_length=64, blank=True,
                                   help_text="Add items: digest of the demographics last delivered for this record.")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["connection", "kind", "status", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="QE", eligibility__isnull=False, initial_rights__isnull=True)
                           | Q(kind="IR", initial_rights__isnull=False, eligibility__isnull=True)),
                name="item_points_at_one_record_of_its_kind"),
            models.UniqueConstraint(fields=["connection", "record_id"], condition=Q(action="add"),
                                    name="one_add_item_per_record_per_connection"),
        ]

    def __str__(self):
        return f"{self.record_id} {self.action} ({self.get_status_display()})"

    @property
    def record(self):
        return self.eligibility if self.kind == ItemKind.QE else self.initial_rights


class FileStatus(models.TextChoices):
    BUILDING = "building", "Building"
    FAILED = "failed", "Delivery failed (will retry)"
    DELIVERED = "delivered", "Delivered"


class ExchangeFile(models.Model):
    """One file built for one connection; its primary key is the X12 control number, so it never repeats."""
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=2, choices=ItemKind.choices)
    sequence = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    built_on = models.DateField(help_text="The schedule date the file was built for.")
    status = models.CharField(max_length=10, choices=FileStatus.choices, default=FileStatus.BUILDING)
    lease_until = models.DateTimeField(help_text="A worker owns the build until then; after it, another may take over.")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    item_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind", "sequence"], name="file_sequence_unique"),
            models.UniqueConstraint(fields=["connection", "kind"], condition=~Q(status="delivered"),
                                    name="one_open_file_per_connection_kind"),
        ]

    def __str__(self):
        return self.name

    @property
    def control_number(self):
        return self.pk

    def retry_delay(self):
        """Backoff after the n-th failed delivery: 5, 10, 20 ... minutes, at most 6 hours."""
        return timedelta(minutes=min(5 * 2 ** max(self.attempts - 1, 0), 360))
