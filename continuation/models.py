"""What happens to each qualified beneficiary after the election notice (issue 7).

CobraEligibility (enrollments) carries the status; these models carry the election, the payments,
the carrier-switch offers and the record of each daily run.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from companies.models import Company
from continuation.rules import ElectionChoice, EndReason, admin_fee_allowed
from enrollments.models import CobraEligibility, Dependent, Employee, Plan
from enrollments.selectors import company_continuation


class ContinuationSettings(models.Model):
    """A company's continuation terms: the administration fee where its state law allows one, and whether the
    employer is its own plan administrator (44-day election notices)."""
    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="continuation_settings")
    admin_fee = models.DecimalField(max_digits=8, decimal_places=2, default=0,
                                    help_text="Monthly fee added to each line's premium; only where the state law allows one (IL).")
    employer_is_administrator = models.BooleanField(default=False,
                                                    help_text="The employer sends election notices itself: 44 days after the event.")
    history = HistoricalRecords()

    class Meta:
        verbose_name = verbose_name_plural = "continuation settings"

    def __str__(self):
        return f"Continuation settings of {self.company.name}"

    def clean(self):
        law = company_continuation(company=self.company).law
        if self.admin_fee and not admin_fee_allowed(law):
            raise ValidationError({"admin_fee": f"The law governing {self.company.name} ({law}) allows no fee on top "
                                                "of the premium: set 0."})


class Election(models.Model):
    """One beneficiary's election or waiver of one line of coverage (one CobraEligibility)."""
    eligibility = models.OneToOneField(CobraEligibility, on_delete=models.PROTECT, related_name="election")
    choice = models.CharField(max_length=10, choices=ElectionChoice.choices)
    sent_on = models.DateField(help_text="Postmark date: an election or waiver counts on the day it is sent.")
    recorded_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="continuation_elections",
                             help_text="The plan continued now: the eligibility's plan, or its renewal.")
    monthly_premium = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    disability_premium = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True,
                                             help_text="Monthly premium for disability-extension months (19-29).")
    first_premium_due = models.DateField(null=True, blank=True)
    paid_through = models.DateField(null=True, blank=True, help_text="Last day of the last period paid.")
    confirmed_on = models.DateField(null=True, blank=True, help_text="The carrier or vendor confirmed the election.")
    scheduled_end = models.DateField(null=True, blank=True, help_text="Last day of coverage of an early end in progress.")
    end_reason = models.CharField(max_length=30, choices=EndReason.choices, blank=True)
    ended_on = models.DateField(null=True, blank=True, help_text="Last day of continuation coverage.")
    termination_notice_due = models.DateField(null=True, blank=True)
    termination_notice_sent_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-sent_on", "-id"]

    def __str__(self):
        return f"{self.eligibility.beneficiary.full_name}: {self.get_choice_display()} {self.plan.name}"


class PaymentStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    LATE = "late", "Sent after the deadline (not applied)"
    SHORT = "short", "Significantly short (not applied)"
    NOTHING_DUE = "nothing_due", "Nothing due (not applied)"


class Payment(models.Model):
    """A premium payment as received, dated by its postmark; applied to whole monthly periods."""
    employee = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="continuation_payments")
    dependent = models.ForeignKey(Dependent, on_delete=models.PROTECT, null=True, blank=True, related_name="continuation_payments",
                                  help_text="Blank when the payer is the employee.")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    sent_on = models.DateField(help_text="Postmark date: a payment counts on the day it is sent.")
    period_start = models.DateField(null=True, blank=True, help_text="First period the payment was applied to.")
    periods = models.PositiveSmallIntegerField(default=0, help_text="Whole monthly periods paid.")
    paid_through = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=PaymentStatus.choices)
    message = models.CharField(max_length=300, blank=True)
    recorded_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-sent_on", "-id"]

    def __str__(self):
        return f"${self.amount} sent {self.sent_on:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def beneficiary(self):
        return self.dependent or self.employee


class OfferAnswer(models.TextChoices):
    PENDING = "pending", "No answer yet"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class CarrierSwitchOffer(models.Model):
    """At a renewal with a new carrier, a continuation participant is offered the new carrier's similar plan (seed 004)."""
    election = models.ForeignKey(Election, on_delete=models.PROTECT, related_name="carrier_switch_offers")
    new_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    offered_on = models.DateField()
    answer_due = models.DateField(help_text="The day before the renewal: no answer by then ends coverage at the renewal.")
    answer = models.CharField(max_length=10, choices=OfferAnswer.choices, default=OfferAnswer.PENDING)
    answered_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["answer_due", "id"]
        constraints = [models.UniqueConstraint(fields=["election", "new_plan"], name="one_offer_per_election_plan")]

    def __str__(self):
        return f"{self.election.eligibility.beneficiary.full_name}: {self.new_plan.name} ({self.get_answer_display()})"


class DailyRun(models.Model):
    """One run of the daily jobs as of a day: a finished run is not repeated."""
    as_of = models.DateField(unique=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-as_of"]

    def __str__(self):
        return f"Daily run as of {self.as_of:%Y-%m-%d}"


class Digest(models.Model):
    """The compliance digest e-mailed to a company's primary contacts for one day."""
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField()
    recipients = models.JSONField(default=list)
    open_count = models.PositiveIntegerField(default=0)
    overdue_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "company__name"]
        constraints = [
            models.UniqueConstraint(fields=["company", "as_of"], name="one_digest_per_company_day"),
            models.CheckConstraint(condition=Q(overdue_count__lte=models.F("open_count")), name="overdue_within_open"),
        ]

    def __str__(self):
        return f"{self.company.name} digest {self.as_of:%Y-%m-%d}"
