from django.contrib import admin

from companies.models import BrokerAgency, Company, EmployeeCount
from companies.scoping import ScopedAdmin


@admin.register(BrokerAgency)
class BrokerAgencyAdmin(ScopedAdmin):
    company_path = None
    search_fields = ["name"]
    filter_horizontal = ["users"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        user = request.user
        if user.is_superuser or user.groups.filter(name="Support").exists():
            return qs
        return qs.filter(users=user)


class EmployeeCountInline(admin.TabularInline):
    model = EmployeeCount
    extra = 0
    verbose_name_plural = "employee counts by calendar year (decide federal COBRA vs state law for the next plan year)"


@admin.register(Company)
class CompanyAdmin(ScopedAdmin):
    inlines = [EmployeeCountInline]
    company_path = ""
    list_display = ["name", "code", "state", "plan_situs_state", "prior_year_employee_count", "broker_agency"]
    list_filter = [("broker_agency", admin.RelatedOnlyFieldListFilter), "plan_situs_state"]
    list_select_related = ["broker_agency"]
    search_fields = ["name", "code", "ein"]
    filter_horizontal = ["hr_users"]
    fieldsets = [
        (None, {"fields": ["code", "name", "ein", "broker_agency", "hr_users"]}),
        ("Address", {"fields": ["address1", "city", "state", "zip", "phone"]}),
        ("Continuation coverage", {"fields": ["plan_situs_state", "prior_year_employee_count", "self_funded"]}),
    ]
