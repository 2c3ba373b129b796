from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from companies.pii import can_view_ssn, ssn_hash, ssn_normalize
from companies.scoping import ScopedAdmin
from enrollments import selectors
from enrollments.models import (
    CobraEligibility, Dependent, EligibilityStatus, Employee, Enrollment, InitialRightsItem, Plan, QualifyingEvent,
    StateContinuationRule,
)
from enrollments.wizard import ClassChangeDropAdminMixin, CobraEventAdminMixin, ReverseMarkAdminMixin

COMPANY_FILTER = ("company", admin.RelatedOnlyFieldListFilter)


class PersonForm(forms.ModelForm):
    """The SSN is write-only: typed in, never rendered back; blank keeps the stored one."""
    ssn_entry = forms.CharField(label="New SSN", required=False, widget=forms.PasswordInput(render_value=False),
                                help_text="NNN-NN-NNNN or 9 digits. Leave blank to keep the SSN on file.")

    def clean_ssn_entry(self):
        try:
            return ssn_normalize(self.cleaned_data["ssn_entry"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def save(self, commit=True):
        if self.cleaned_data.get("ssn_entry"):
            self.instance.set_ssn(self.cleaned_data["ssn_entry"])
        return super().save(commit)


class PIIAdminMixin:
    """SSN shown masked everywhere; DOB masked unless the user may see PII (companies.pii)."""
    form = PersonForm

    @admin.display(description="SSN")
    def ssn_display(self, obj):
        return obj.ssn_masked

    @admin.display(description="date of birth")
    def masked_dob(self, obj):
        return obj.dob_masked

    def get_fieldsets(self, request, obj=None):
        """`dob` becomes the masked, read-only `masked_dob` for users who may not see PII."""
        if can_view_ssn(request.user):
            return self.fieldsets
        return [(name, {**options, "fields": ["masked_dob" if f == "dob" else f for f in options["fields"]]})
                for name, options in self.fieldsets]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "ssn_display", "masked_dob"]

    def get_exclude(self, request, obj=None):
        return ["ssn"] + ([] if can_view_ssn(request.user) else ["dob"])


@admin.register(Plan)
class PlanAdmin(ScopedAdmin):
    list_display = ["name", "code", "company", "plan_type", "carrier", "plan_year_start", "plan_year_end", "coverage_ends", "monthly_premium"]
    list_filter = [COMPANY_FILTER, "plan_type", "plan_year_start"]
    list_select_related = ["company"]
    search_fields = ["name", "code", "carrier"]
    autocomplete_fields = ["company", "renews"]


class DependentInline(admin.TabularInline):
    model = Dependent
    extra = 0
    fields = ["dependent_id", "relationship", "first_name", "last_name", "ssn_masked", "gender"]
    readonly_fields = ["ssn_masked"]
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("employee")


@admin.register(Employee)
class EmployeeAdmin(CobraEventAdminMixin, PIIAdminMixin, ScopedAdmin):
    list_display = ["__str__", "company", "ssn_display", "employment_status", "hire_date", "termination_date"]
    list_filter = [COMPANY_FILTER, "employment_status"]
    list_select_related = ["company"]
    search_fields = ["first_name", "last_name", "employee_id", "=ssn_last4"]
    autocomplete_fields = ["company"]
    readonly_fields = ["cobra_eligibility"]
    fieldsets = [
        (None, {"fields": ["company", "employee_id", "first_name", "last_name", "ssn_display", "ssn_entry", "dob",
                           "gender", "email"]}),
        ("Address", {"fields": ["address1", "city", "state", "zip"]}),
        ("Employment", {"fields": ["hire_date", "hours_per_week", "employment_status", "termination_date",
                                   "termination_reason", "future_termination_date"]}),
        ("COBRA", {"fields": ["medicare_entitlement_date", "cobra_eligibility"]}),
    ]
    inlines = [DependentInline]

    @admin.display(description="COBRA eligibility date(s)")
    def cobra_eligibility(self, obj):
        """Shown even when only a dependent is eligible (seed 002, step four)."""
        rows = selectors.employee_eligibilities(employee=obj) if obj.pk else []
        if not rows:
            return "None"
        url = reverse("admin:enrollments_cobraeligibility_changelist") + f"?employee__id__exact={obj.pk}"
        lines = format_html_join("", "<li>{}: {} ({}, {})</li>", (
            (f"{row.eligibility_date:%m/%d/%Y}", row.beneficiary.full_name, row.plan.name, row.event.get_event_type_display())
            for row in rows))
        return format_html('<ul class="cobra-eligibility">{}</ul><a href="{}">All COBRA eligibilities</a>', lines, url)

    def get_search_results(self, request, queryset, search_term):
        try:
            digits = ssn_normalize(search_term)
        except ValueError:
            digits = None
        if digits:
            return queryset.filter(ssn_hash=ssn_hash(digits)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(Dependent)
class DependentAdmin(PIIAdminMixin, ScopedAdmin):
    company_path = "employee__company"
    list_display = ["__str__", "relationship", "ssn_display"]
    list_filter = [("employee__company", admin.RelatedOnlyFieldListFilter), "relationship"]
    list_select_related = ["employee"]
    search_fields = ["first_name", "last_name", "dependent_id", "employee__employee_id"]
    autocomplete_fields = ["employee"]
    fieldsets = [
        (None, {"fields": ["employee", "dependent_id", "relationship", "first_name", "last_name", "ssn_display",
                           "ssn_entry", "dob", "gender"]}),
        ("Own address (blank: the employee's)", {"fields": ["address1", "city", "state", "zip"]}),
    ]


@admin.register(Enrollment)
class EnrollmentAdmin(ClassChangeDropAdminMixin, ScopedAdmin):
    company_path = "employee__company"
    list_display = ["employee", "plan", "tier", "effective_date", "end_date", "source"]
    list_filter = [("employee__company", admin.RelatedOnlyFieldListFilter), "source", "plan__plan_type"]
    list_select_related = ["employee", "plan"]
    search_fields = ["employee__first_name", "employee__last_name", "employee__employee_id", "plan__code"]
    autocomplete_fields = ["employee", "plan"]
    filter_horizontal = ["covered_dependents"]


@admin.register(QualifyingEvent)
class QualifyingEventAdmin(ReverseMarkAdminMixin, ScopedAdmin):
    company_path = "employee__company"
    list_display = ["employee", "event_type", "event_date", "entered_on", "source", "entered_by"]
    list_filter = [("employee__company", admin.RelatedOnlyFieldListFilter), "event_type", "source"]
    list_select_related = ["employee", "entered_by"]
    search_fields = ["employee__first_name", "employee__last_name", "employee__employee_id"]
    readonly_fields = ["employee", "event_type", "event_date", "entered_on", "source", "reason", "entered_by"]

    def has_add_permission(self, request):
        return False  # events are entered through the Manage COBRA Event wizard

    def eligibilities_to_reverse(self, obj):
        return list(obj.eligibilities.select_related("employee", "dependent", "plan"))


@admin.register(CobraEligibility)
class CobraEligibilityAdmin(ReverseMarkAdminMixin, ScopedAdmin):
    company_path = "employee__company"
    list_display = ["beneficiary_display", "plan_name", "event_type", "eligible_from", "max_period_end", "continuation_law",
                    "election_deadline", "status"]
    list_filter = [("employee__company", admin.RelatedOnlyFieldListFilter), "event__event_type", "status", "eligibility_date"]
    list_select_related = ["employee", "dependent__employee", "plan", "event__employee"]
    search_fields = ["employee__first_name", "employee__last_name", "employee__employee_id"]
    readonly_fields = [f.name for f in CobraEligibility._meta.fields]

    def has_add_permission(self, request):
        return False

    def eligibilities_to_reverse(self, obj):
        return [obj]

    @admin.display(description="qualified beneficiary", ordering="dependent__first_name")
    def beneficiary_display(self, obj):
        if obj.dependent is None:
            return f"{obj.employee.full_name} (employee {obj.employee.employee_id})"
        return f"{obj.dependent.full_name} ({obj.dependent.get_relationship_display().lower()} of {obj.employee.employee_id})"

    @admin.display(description="eligible from", ordering="eligibility_date")
    def eligible_from(self, obj):
        return f"{obj.eligibility_date:%m/%d/%Y}"

    @admin.display(description="max period ends", ordering="max_end")
    def max_period_end(self, obj):
        return f"{obj.max_end:%m/%d/%Y}"

    @admin.display(description="plan", ordering="plan__name")
    def plan_name(self, obj):
        return obj.plan.name

    @admin.display(description="event type", ordering="event__event_type")
    def event_type(self, obj):
        return obj.event.get_event_type_display()

    @admin.display(description="deadline", ordering="election_due")
    def election_deadline(self, obj):
        if obj.status not in (EligibilityStatus.ELIGIBLE, EligibilityStatus.NOTIFIED):
            return f"{obj.election_due:%m/%d/%Y}"
        days = (obj.election_due - timezone.localdate()).days
        count = f"{abs(days)} day{'' if abs(days) == 1 else 's'}"
        left = f"{count} left" if days >= 0 else f"{count} overdue"
        return format_html('{} <span class="{}">({})</span>', f"{obj.election_due:%m/%d/%Y}",
                           "deadline-overdue" if days < 0 else "deadline-open", left)


@admin.register(InitialRightsItem)
class InitialRightsItemAdmin(ScopedAdmin):
    company_path = "employee__company"
    list_display = ["employee", "dependent", "plan", "coverage_start", "notice_due", "created_on"]
    list_filter = [("employee__company", admin.RelatedOnlyFieldListFilter), "coverage_start"]
    list_select_related = ["employee", "dependent__employee", "plan"]
    readonly_fields = [f.name for f in InitialRightsItem._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(StateContinuationRule)
class StateContinuationRuleAdmin(ScopedAdmin):
    company_path = None
    list_display = ["state", "law_name", "max_months", "premium_cap_pct", "election_days", "last_verified"]


from enrollments import admin_census  # noqa: E402,F401  (registers the census import admin)
