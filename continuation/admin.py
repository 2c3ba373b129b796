from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from companies.scoping import ReadOnlyAdminMixin, ScopedAdmin, companies_for
from continuation import services
from continuation.models import CarrierSwitchOffer, ContinuationSettings, DailyRun, Digest, Election, OfferAnswer, Payment
from continuation.obligations import OwedBy, obligation_list
from continuation.rules import EndReason
from continuation.selectors import participant_list

PAGE_SIZE = 200


@admin.register(Election)
class ElectionAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    company_path = "eligibility__employee__company"
    change_list_template = "admin/continuation/election/change_list.html"
    list_display = ["__str__", "company", "choice", "sent_on", "status", "monthly_premium", "paid_through",
                    "confirmed_on", "scheduled_end", "ended_on", "end_reason"]
    list_filter = ["choice", "eligibility__status", "end_reason",
                   ("eligibility__employee__company", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["eligibility__employee__company", "eligibility__dependent", "plan"]
    search_fields = ["eligibility__employee__employee_id", "eligibility__employee__last_name", "plan__code"]
    actions = ["confirm_today", "termination_notice_sent_today", "early_end_requested_today"]

    @admin.display(description="company")
    def company(self, obj):
        return obj.eligibility.employee.company.name

    @admin.display(description="status")
    def status(self, obj):
        return obj.eligibility.get_status_display()

    @admin.action(description="The carrier or vendor confirmed the selected elections today")
    def confirm_today(self, request, queryset):
        services.election_confirm(elections=list(queryset), confirmed_on=timezone.localdate(), by=request.user)
        self.message_user(request, "Elections confirmed.", messages.SUCCESS)

    @admin.action(description="Notice of early termination sent today")
    def termination_notice_sent_today(self, request, queryset):
        services.termination_notice_record(elections=list(queryset), sent_on=timezone.localdate(), by=request.user)
        self.message_user(request, "Notices recorded.", messages.SUCCESS)

    @admin.action(description="The beneficiary asked to end coverage today (it ends at the end of this month)")
    def early_end_requested_today(self, request, queryset):
        try:
            services.continuation_end_request(elections=list(queryset), reason=EndReason.EARLY_END_REQUESTED,
                                              occurred_on=timezone.localdate(), by=request.user, today=timezone.localdate())
        except services.ContinuationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, "Coverage ends at the end of this month.", messages.SUCCESS)

    def get_actions(self, request):
        return super().get_actions(request) if request.user.has_perm("continuation.change_election") else {}

    def get_urls(self):
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view), name="continuation_dashboard"),
            path("participants/", self.admin_site.admin_view(self.participants_view), name="continuation_participants"),
            *super().get_urls(),
        ]

    def _company_choice(self, request):
        """The user's companies and the one picked; a company outside them is a 404, like every scoped page."""
        companies = list(companies_for(request.user).order_by("name"))
        wanted = request.GET.get("company")
        if not wanted:
            return companies, None
        chosen = next((c for c in companies if str(c.pk) == wanted), None)
        if chosen is None:
            raise Http404("No such company.")
        return companies, chosen

    def _check_dashboard_permission(self, request):
        """Whoever may see the COBRA eligibilities of their companies may see what is owed on them."""
        if not request.user.has_perm("enrollments.view_cobraeligibility"):
            raise PermissionDenied

    def dashboard_view(self, request):
        """Open obligations of the user's companies, most urgent first; overdue in red."""
        self._check_dashboard_permission(request)
        as_of = timezone.localdate()
        companies, company = self._company_choice(request)
        obligations = obligation_list(user=request.user, company=company, as_of=as_of)
        owed_by = request.GET.get("owed_by")
        if owed_by in OwedBy.values:
            obligations = [o for o in obligations if o.owed_by == owed_by]
        overdue_only = request.GET.get("overdue") == "1"
        overdue = sum(o.overdue for o in obligations)
        if overdue_only:
            obligations = [o for o in obligations if o.overdue]
        page = Paginator(obligations, PAGE_SIZE).get_page(request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request), "title": "Compliance dashboard", "opts": self.model._meta,
            "as_of": as_of, "page": page, "total": len(obligations), "overdue": overdue, "overdue_only": overdue_only,
            "companies": companies, "company": company, "owed_by_choices": OwedBy.choices, "owed_by": owed_by,
        }
        return TemplateResponse(request, "admin/continuation/dashboard.html", context)

    def participants_view(self, request):
        """Continuation participants per company: who, since when, until when, paid through (seed 004 FAQ)."""
        self._check_dashboard_permission(request)
        companies, company = self._company_choice(request)
        context = {
            **self.admin_site.each_context(request), "title": "Continuation participants", "opts": self.model._meta,
            "participants": participant_list(user=request.user, company=company), "companies": companies,
            "company": company,
        }
        return TemplateResponse(request, "admin/continuation/participants.html", context)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    company_path = "employee__company"
    list_display = ["__str__", "employee", "dependent", "amount", "sent_on", "period_start", "periods", "paid_through",
                    "status", "recorded_on"]
    list_filter = ["status", ("employee__company", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["employee", "dependent__employee"]
    search_fields = ["employee__employee_id", "employee__last_name"]


@admin.register(CarrierSwitchOffer)
class CarrierSwitchOfferAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """The renewal's view of who still has to answer the new carrier's offer."""
    company_path = "election__eligibility__employee__company"
    list_display = ["__str__", "new_plan", "offered_on", "answer_due", "answer", "answered_on"]
    list_filter = ["answer", ("new_plan", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["election__eligibility__employee", "election__eligibility__dependent", "new_plan"]
    actions = ["accept_today", "decline_today"]

    def get_actions(self, request):
        return super().get_actions(request) if request.user.has_perm("continuation.change_carrierswitchoffer") else {}

    def _answer(self, request, queryset, accept):
        for offer in queryset.filter(answer=OfferAnswer.PENDING):
            services.carrier_switch_answer(offer=offer, accept=accept, answered_on=timezone.localdate(), by=request.user)

    @admin.action(description="The participant accepted the new carrier's plan")
    def accept_today(self, request, queryset):
        self._answer(request, queryset, True)

    @admin.action(description="The participant declined the new carrier's plan")
    def decline_today(self, request, queryset):
        self._answer(request, queryset, False)


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    list_display = ["__str__", "as_of", "open_count", "overdue_count", "sent_at"]
    list_select_related = ["company"]


@admin.register(DailyRun)
class DailyRunAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    company_path = None
    list_display = ["as_of", "started_at", "finished_at", "summary"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.groups.filter(name="Support").exists()

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(ContinuationSettings)
class ContinuationSettingsAdmin(ScopedAdmin):
    list_display = ["company", "admin_fee", "employer_is_administrator"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
