from django.conf import settings
from django.db import models
from django.db.models import Q
from localflavor.us.models import USStateField
from simple_history.models import HistoricalRecords


class BrokerAgency(models.Model):
    name = models.CharField(max_length=200, unique=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="broker_agencies")
    history = HistoricalRecords(m2m_fields=[users])

    class Meta:
        verbose_name_plural = "broker agencies"
        ordering = ["name"]

    def __str__(self):
        return self.name


class CompanyQuerySet(models.QuerySet):
    def for_user(self, user):
        """The companies a user serves: broker -> the agency's, HR -> their own, support/superuser -> all."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser or user.groups.filter(name="Support").exists():
            return self
        return self.filter(Q(broker_agency__users=user) | Q(hr_users=user)).distinct()


class Company(models.Model):
    code = models.SlugField("company code", max_length=50, unique=True)
    name = models.CharField(max_length=200)
    ein = models.CharField("EIN", max_length=10, blank=True, help_text="NN-NNNNNNN")
    address1 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = USStateField(blank=True)
    zip = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    plan_situs_state = USStateField(blank=True, help_text="State whose law governs the insured plans; defaults to the company's state.")
    prior_year_employee_count = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True,
        help_text="Employees on a typical business day last calendar year, part-timers as fractions. Decides federal COBRA vs state continuation.",
    )
    self_funded = models.BooleanField(default=False, help_text="Self-funded plans get no state continuation.")
    broker_agency = models.ForeignKey(BrokerAgency, on_delete=models.PROTECT, null=True, blank=True, related_name="companies")
    hr_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="hr_companies")
    history = HistoricalRecords(m2m_fields=[hr_users])

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def situs_state(self):
        return self.plan_situs_state or self.state

    def employee_count_for(self, year):
        """Employees on a typical business day of calendar `year` (seed 003): that year's EmployeeCount row,
        else `prior_year_employee_count`, the figure for the latest year."""
        row = next((c for c in self.employee_counts.all() if c.year == year), None)
        return row.employee_count if row else self.prior_year_employee_count


class EmployeeCount(models.Model):
    """A company's employee count for one calendar year: it decides federal COBRA vs state continuation for
    events in the plan year that follows (seed 003: "20 or more employees ... in the previous calendar year")."""
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="employee_counts")
    year = models.PositiveSmallIntegerField()
    employee_count = models.DecimalField(max_digits=8, decimal_places=2,
                                         help_text="Full-time plus part-timers as fractions, on a typical business day.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["company", "-year"]
        constraints = [models.UniqueConstraint(fields=["company", "year"], name="one_employee_count_per_year")]

    def __str__(self):
        return f"{self.company.code} {self.year}: {self.employee_count}"
