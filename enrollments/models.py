from django.conf import settings
from django.db import models
from django.db.models import Q
from localflavor.us.models import USStateField
from simple_history.models import HistoricalRecords

from companies.fields import EncryptedCharField
from companies.models import Company
from companies.pii import dob_mask, ssn_hash, ssn_mask
from enrollments.cobra.codes import (
    CoverageEnds,
    EnrollmentSource,
    EventSource,
    PlanType,
    QualifyingEventType,
    Relationship,
    TerminationReason,
    Tier,
)

VENDOR_REQUIRED_FIELDS = ("SSN", "date of birth", "gender", "address")
ADDRESS_FIELDS = ("address1", "city", "state", "zip")


def member_address(own, employee):
    """A member's mailing address: their own when complete, else the employee's (exchange-file.md).

    Both arguments map ADDRESS_FIELDS to values; the file builders call this on streamed values too.
    """
    return own if all(own[name] for name in ADDRESS_FIELDS) else employee


def vendor_fields_missing(*, ssn, dob, gender, has_address):
    """The fields a COBRA vendor rejects a record without (seed 001), by name (VENDOR_REQUIRED_FIELDS)."""
    present = (ssn, dob, gender, has_address)
    return [name for name, value in zip(VENDOR_REQUIRED_FIELDS, present) if not value]


class Gender(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    UNKNOWN = "U", "Unknown"


class EmploymentStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TERMINATED = "terminated", "Terminated"
    LEAVE = "leave", "On leave"


class Plan(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="plans")
    code = models.SlugField("plan code", max_length=50)
    name = models.CharField(max_length=200)
    plan_type = models.CharField(max_length=30, choices=PlanType.choices)
    carrier = models.CharField(max_length=200, blank=True)
    plan_year_start = models.DateField()
    plan_year_end = models.DateField()
    renews = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="renewals",
                               help_text="Last plan year's plan that this one renews.")
    coverage_ends = models.CharField(max_length=20, choices=CoverageEnds.choices, default=CoverageEnds.END_OF_MONTH,
                                     help_text="When coverage ends after a loss of eligibility.")
    monthly_premium = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                          help_text="Total monthly cost of employee-only coverage (employer + employee share).")
    history = HistoricalRecords()

    class Meta:
        ordering = ["company__name", "-plan_year_start", "code"]
        constraints = [
            models.UniqueConstraint(fields=["company", "code", "plan_year_start"], name="plan_code_unique_per_year"),
            models.CheckConstraint(condition=Q(plan_year_end__gt=models.F("plan_year_start")), name="plan_year_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.name} ({self.code}, {self.plan_year_start:%Y-%m-%d})"

    @property
    def is_cobra_qualified(self):
        from enrollments.cobra.rules import is_cobra_qualified
        return is_cobra_qualified(PlanType(self.plan_type))


class Person(models.Model):
    """Demographics shared by employees and dependents. SSN is encrypted at rest; only hash and last 4 are searchable."""
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    ssn = EncryptedCharField("SSN", max_length=9, null=True, blank=True)
    ssn_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    ssn_last4 = models.CharField("SSN last 4", max_length=4, blank=True, editable=False)
    dob = models.DateField("date of birth", null=True, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    address1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = USStateField(blank=True)
    zip = models.CharField(max_length=10, blank=True)

    class Meta:
        abstract = True

    def set_ssn(self, digits):
        self.ssn = digits or None
        self.ssn_hash = ssn_hash(digits)
        self.ssn_last4 = digits[-4:] if digits else ""

    def save(self, *args, **kwargs):
        self.set_ssn(self.ssn)
        super().save(*args, **kwargs)

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def ssn_masked(self):
        return ssn_mask(self.ssn_last4)

    @property
    def dob_masked(self):
        return dob_mask(self.dob)

    def mailing_address(self):
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}

    def has_address(self):
        address = self.mailing_address()
        return all(address.values())

    def missing_vendor_fields(self):
        return vendor_fields_missing(ssn=self.ssn_last4, dob=self.dob, gender=self.gender, has_address=self.has_address())


class Employee(Person):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="employees")
    employee_id = models.CharField(max_length=50)
    email = models.EmailField(blank=True)
    hire_date = models.DateField()
    hours_per_week = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    employment_status = models.CharField(max_length=20, choices=EmploymentStatus.choices, default=EmploymentStatus.ACTIVE)
    termination_date = models.DateField(null=True, blank=True, help_text="Last day of employment.")
    termination_reason = models.CharField(max_length=30, choices=TerminationReason.choices, blank=True)
    future_termination_date = models.DateField(null=True, blank=True,
                                               help_text="A scheduled termination: COBRA uses the plans in force on this date.")
    medicare_entitlement_date = models.DateField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["ssn"])

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [models.UniqueConstraint(fields=["company", "employee_id"], name="employee_id_unique_per_company")]
        permissions = [("view_ssn", "Can see full SSNs and birth dates")]

    def __str__(self):
        return f"{self.full_name} ({self.employee_id})"

    @property
    def member_id(self):
        return self.employee_id

    @property
    def relationship(self):
        return Relationship.EMPLOYEE


class Dependent(Person):
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="dependents")
    dependent_id = models.CharField(max_length=50)
    relationship = models.CharField(max_length=20, choices=[c for c in Relationship.choices if c[0] != Relationship.EMPLOYEE])
    history = HistoricalRecords(excluded_fields=["ssn"])

    class Meta:
        ordering = ["employee", "dependent_id"]
        constraints = [models.UniqueConstraint(fields=["employee", "dependent_id"], name="dependent_id_unique_per_employee")]

    def __str__(self):
        return f"{self.full_name} ({self.get_relationship_display()} of {self.employee.employee_id})"

    @property
    def member_id(self):
        return f"{self.employee.employee_id}-{self.dependent_id}"

    def has_address(self):
        return super().has_address() or self.employee.has_address()

    def mailing_address(self):
        """The dependent's own address, else the employee's (exchange-file.md)."""
        return member_address(super().mailing_address(), self.employee.mailing_address())


class Enrollment(models.Model):
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="enrollments")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="enrollments")
    tier = models.CharField(max_length=20, choices=Tier.choices, default=Tier.EMPLOYEE)
    covered_dependents = models.ManyToManyField(Dependent, blank=True, related_name="enrollments")
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    elected_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=20, choices=EnrollmentSource.choices, default=EnrollmentSource.IMPORT)
    life_event_reason = models.CharField(max_length=40, blank=True)
    history = HistoricalRecords(m2m_fields=[covered_dependents])

    class Meta:
        ordering = ["employee", "plan__plan_year_start"]
        constraints = [
            models.UniqueConstraint(fields=["employee", "plan"], name="one_enrollment_per_plan"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("effective_date")),
                                   name="enrollment_ends_after_start"),
        ]

    def __str__(self):
        return f"{self.employee} in {self.plan}"

    def in_force_on(self, day):
        return self.effective_date <= day and (self.end_date is None or self.end_date >= day)


class QualifyingEvent(models.Model):
    """A COBRA qualifying event as entered, whichever path entered it."""
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="qualifying_events")
    event_type = models.CharField(max_length=30, choices=QualifyingEventType.choices)
    event_date = models.DateField()
    entered_on = models.DateField()
    source = models.CharField(max_length=30, choices=EventSource.choices)
    reason = models.CharField(max_length=50, blank=True, help_text="The termination or change reason that was entered.")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-event_date", "-id"]

    def __str__(self):
        return f"{self.get_event_type_display()} of {self.employee} on {self.event_date:%Y-%m-%d}"


class EligibilityStatus(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    NOTIFIED = "notified", "Notified (election notice sent)"
    ELECTED = "elected", "Elected"
    WAIVED = "waived", "Waived"
    EXPIRED = "expired", "Election period expired"
    ACTIVE = "active", "Active (premium received)"
    TERMINATED = "terminated", "Terminated"
    REVERSED = "reversed", "Reversed (marked by mistake)"


class CobraEligibility(models.Model):
    """One qualified beneficiary's right to continue one plan after one qualifying event."""
    event = models.ForeignKey(QualifyingEvent, on_delete=models.PROTECT, related_name="eligibilities")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="cobra_eligibilities")
    dependent = models.ForeignKey(Dependent, on_delete=models.PROTECT, null=True, blank=True, related_name="cobra_eligibilities",
                                  help_text="Blank when the qualified beneficiary is the employee.")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="cobra_eligibilities")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="cobra_eligibilities")
    coverage_end = models.DateField()
    eligibility_date = models.DateField("COBRA eligibility date")
    max_months = models.PositiveSmallIntegerField("maximum period (months)")
    max_end = models.DateField("maximum period ends")
    continuation_law = models.CharField(max_length=10, help_text="'federal', a state code, 'none' or 'unknown'.")
    election_due = models.DateField()
    status = models.CharField(max_length=20, choices=EligibilityStatus.choices, default=EligibilityStatus.ELIGIBLE)
    reversed_reason = models.TextField(blank=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reversed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "COBRA eligibilities"
        ordering = ["-eligibility_date", "employee", "dependent"]
        constraints = [
            models.UniqueConstraint(fields=["event", "enrollment"], condition=Q(dependent__isnull=True), name="one_employee_eligibility_per_plan"),
            models.UniqueConstraint(fields=["event", "enrollment", "dependent"], name="one_dependent_eligibility_per_plan"),
        ]

    def __str__(self):
        return f"{self.beneficiary.full_name}: {self.plan.name} from {self.eligibility_date:%Y-%m-%d}"

    @property
    def beneficiary(self):
        return self.dependent or self.employee


class InitialRightsItem(models.Model):
    """A newly covered person on a COBRA-qualified plan who is owed a general notice (2590.606-1)."""
    enrollment = models.ForeignKey(Enrollment, on_delete=models.PROTECT, related_name="initial_rights_items")
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="initial_rights_items")
    dependent = models.ForeignKey(Dependent, on_delete=models.PROTECT, null=True, blank=True, related_name="initial_rights_items")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="initial_rights_items")
    coverage_start = models.DateField()
    notice_due = models.DateField(help_text="90 days after coverage begins.")
    created_on = models.DateField()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-coverage_start"]
        constraints = [
            models.UniqueConstraint(fields=["enrollment"], condition=Q(dependent__isnull=True), name="one_employee_ir_per_enrollment"),
            models.UniqueConstraint(fields=["enrollment", "dependent"], name="one_dependent_ir_per_enrollment"),
        ]

    def __str__(self):
        return f"Initial rights: {self.beneficiary.full_name}, {self.plan.name} from {self.coverage_start:%Y-%m-%d}"

    @property
    def beneficiary(self):
        return self.dependent or self.employee


class StateContinuationRule(models.Model):
    """A state's continuation ("mini-COBRA") law: editable data, seeded from cobra-rules.md."""
    state = USStateField(unique=True)
    law_name = models.CharField(max_length=100, blank=True)
    max_months = models.PositiveSmallIntegerField()
    premium_cap_pct = models.DecimalField(max_digits=5, decimal_places=2)
    disability_premium_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    election_days = models.PositiveSmallIntegerField()
    min_employees = models.PositiveSmallIntegerField(null=True, blank=True)
    max_employees = models.PositiveSmallIntegerField(null=True, blank=True)
    insured_only = models.BooleanField(default=True)
    extends_federal_to_months = models.PositiveSmallIntegerField(null=True, blank=True)
    last_verified = models.DateField(null=True, blank=True)
    source_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["state"]

    def __str__(self):
        return f"{self.state} {self.law_name}".strip()

    def as_rule(self):
        from enrollments.cobra.rules import StateRule
        return StateRule(
            state=self.state, max_months=self.max_months, premium_cap_pct=self.premium_cap_pct,
            disability_premium_pct=self.disability_premium_pct, election_days=self.election_days,
            min_employees=self.min_employees, max_employees=self.max_employees, insured_only=self.insured_only,
            extends_federal_to_months=self.extends_federal_to_months, last_verified=self.last_verified,
            source_note=self.source_note)


class CensusImport(models.Model):
    """One census workbook import: who uploaded what, and what it did (census-workbook.md)."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        REJECTED = "rejected", "Rejected (nothing written)"
        UNCHANGED = "unchanged", "No changes"

    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    summary = models.JSONField(default=dict, blank=True, help_text="Rows created / updated / unchanged per sheet.")
    errors = models.JSONField(default=list, blank=True, help_text="[{sheet, row, column, reason}] — never cell values that hold PII.")
    warnings = models.JSONField(default=list, blank=True)
    companies = models.ManyToManyField(Company, blank=True, related_name="census_imports")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()}, {self.uploaded_at:%Y-%m-%d %H:%M})"
