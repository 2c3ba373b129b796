"""Reports library, recently generated reports, custom reports; notices due, generated notices and batches.

Thin views: they parse a form, call reports.services, and turn ReportError into form errors. Every object is
reached through a ScopedAdmin queryset, so another company's file is a 404.
"""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from companies.pii import can_view_ssn
from companies.scoping import ScopedAdmin, companies_for, scope_queryset
from enrollments.cobra import rules
from reports import notices, selectors, services
from reports.columns import DEFAULT_COLUMNS
from reports.forms import NoticesDueForm, ReportForm
from reports.models import (
    ContinuationDenial,
    GeneratedNotice,
    GeneratedReport,
    JobStatus,
    NoticeBatch,
    NoticeKind,
    ReportKind,
    SavedReport,
)


def _file_response(field, name):
    if not field:
        raise Http404("No file yet.")
    return FileResponse(field.open("rb"), as_attachment=True, filename=name)


def _form_errors(form, error):
    for key, messages_ in error.errors.items():
        for message in messages_:
            form.add_error(key if key in form.fields else None, message)


class ReadOnlyAdmin(ScopedAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RecordAdmin(ReadOnlyAdmin):
    """A notice once generated is the compliance record: never edited or deleted."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GeneratedReport)
class GeneratedReportAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "kind", "company", "status", "row_count", "requested_by", "requested_at", "download"]
    list_filter = ["kind", "status", ("company", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["company", "requested_by"]
    change_list_template = "admin/reports/generatedreport/change_list.html"

    @admin.display(description="file")
    def download(self, obj):
        if obj.status == JobStatus.FAILED:
            return format_html('<span title="{}">failed</span>', obj.error)
        if obj.status != JobStatus.DONE:
            return obj.get_status_display()
        return format_html('<a href="{}">Download</a>', reverse("admin:reports_generatedreport_download", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("library/", view(self.library_view), name="reports_generatedreport_library"),
            path("library/<str:kind>/", view(self.report_view), name="reports_generatedreport_generate"),
            path("<int:pk>/download/", view(self.download_view), name="reports_generatedreport_download"),
            *super().get_urls(),
        ]

    def _check_generate(self, request):
        if not request.user.has_perm("reports.add_generatedreport"):
            raise PermissionDenied

    def library_view(self, request):
        self._check_generate(request)
        saved = scope_saved(request)
        return TemplateResponse(request, "admin/reports/library.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "title": "Reports library",
            "kinds": ReportKind.choices, "saved_reports": saved,
            "recent": selectors.generated_reports_for(user=request.user, limit=10)})

    def report_view(self, request, kind):
        self._check_generate(request)
        if kind not in ReportKind.values:
            raise Http404("No such report.")
        companies = companies_for(request.user)
        saved = None
        if request.GET.get("saved"):
            saved = get_object_or_404(scope_saved(request), pk=request.GET["saved"], kind=kind)
        today = timezone.localdate()
        date_from, date_to = selectors.report_default_range(kind=kind, today=today)
        initial = {"date_from": date_from, "date_to": date_to, "columns": DEFAULT_COLUMNS[ReportKind(kind)]}
        if saved:
            initial.update(company=saved.company, columns=saved.columns, name=saved.name)
        elif companies.count() == 1:
            initial["company"] = companies.first()
        form = ReportForm(request.POST or None, kind=kind, companies=companies, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if "_save" in request.POST:
                    saved = services.saved_report_save(name=data["name"], kind=kind, company=data["company"],
                                                       columns=data["columns"], by=request.user)
                    messages.success(request, f"Custom report “{saved.name}” saved.")
                    return redirect(f"{reverse('admin:reports_generatedreport_generate', args=[kind])}?saved={saved.pk}")
                report = services.report_request(kind=kind, company=data["company"], columns=data["columns"],
                                                 date_from=data["date_from"], date_to=data["date_to"],
                                                 by=request.user, saved_report=saved)
            except services.ReportError as error:
                _form_errors(form, error)
            else:
                messages.success(request, f"{report} is being generated: it appears under Recently generated reports "
                                          "with its status, ready to download when done.")
                return redirect("admin:reports_generatedreport_changelist")
        return TemplateResponse(request, "admin/reports/report_form.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form, "saved": saved,
            "title": ReportKind(kind).label, "media": self.media + form.media,
            "masked": not can_view_ssn(request.user)})

    def download_view(self, request, pk):
        report = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        if report.full_ssn and not can_view_ssn(request.user):
            raise PermissionDenied("This file holds full SSNs: generate your own copy, with masked SSNs.")
        return _file_response(report.file, report.file_name)


def scope_saved(request):
    return scope_queryset(SavedReport.objects.select_related("company"), request.user, "company")


@admin.register(SavedReport)
class SavedReportAdmin(ScopedAdmin):
    list_display = ["name", "kind", "company", "column_list", "created_by", "created_at", "open"]
    list_filter = ["kind", ("company", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["company", "created_by"]
    readonly_fields = ["kind", "company", "columns", "created_by", "created_at"]
    fields = ["name", "kind", "company", "columns", "created_by", "created_at"]
    actions = ["generate_now"]

    def has_add_permission(self, request):
        return False  # saved from the report page

    @admin.display(description="columns")
    def column_list(self, obj):
        return ", ".join(obj.columns)

    @admin.display(description="")
    def open(self, obj):
        url = reverse("admin:reports_generatedreport_generate", args=[obj.kind])
        return format_html('<a href="{}?saved={}">Open</a>', url, obj.pk)

    @admin.action(description="Generate now (default dates)")
    def generate_now(self, request, queryset):
        today = timezone.localdate()
        for saved in queryset:
            date_from, date_to = selectors.report_default_range(kind=saved.kind, today=today)
            services.report_request(kind=saved.kind, company=saved.company, columns=saved.columns, date_from=date_from,
                                    date_to=date_to, by=request.user, saved_report=saved)
        messages.success(request, f"{queryset.count()} report(s) queued: see Recently generated reports.")


@admin.register(ContinuationDenial)
class ContinuationDenialAdmin(ScopedAdmin):
    company_path = "employee__company"
    list_display = ["requester_name", "employee", "request_date", "notice_due", "noticed"]
    list_filter = [("employee__company", admin.RelatedOnlyFieldListFilter), "request_date"]
    list_select_related = ["employee", "dependent"]
    search_fields = ["employee__first_name", "employee__last_name", "employee__employee_id"]
    autocomplete_fields = ["employee", "dependent"]
    fields = ["employee", "dependent", "request_date", "reason"]

    @admin.display(description="requester")
    def requester_name(self, obj):
        return obj.requester.full_name

    @admin.display(description="notice due")
    def notice_due(self, obj):
        return rules.unavailability_notice_due(obj.request_date)

    @admin.display(description="notice generated", boolean=True)
    def noticed(self, obj):
        return obj.notices.exists()

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(GeneratedNotice)
class GeneratedNoticeAdmin(RecordAdmin):
    list_display = ["kind", "recipient_name", "company", "notice_date", "due_date", "sent_on_time", "batch", "download"]
    list_filter = ["kind", ("company", admin.RelatedOnlyFieldListFilter), "notice_date"]
    list_select_related = ["company", "batch", "batch__company"]
    search_fields = ["recipient_name", "employee__employee_id", "employee__last_name"]
    date_hierarchy = "notice_date"
    change_list_template = "admin/reports/generatednotice/change_list.html"

    @admin.display(description="on time", boolean=True)
    def sent_on_time(self, obj):
        return obj.on_time

    @admin.display(description="PDF")
    def download(self, obj):
        return format_html('<a href="{}">Download</a>', reverse("admin:reports_generatednotice_download", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("due/", view(self.due_view), name="reports_generatednotice_due"),
            path("<int:pk>/download/", view(self.download_view), name="reports_generatednotice_download"),
            *super().get_urls(),
        ]

    def download_view(self, request, pk):
        notice = get_object_or_404(self.get_queryset(request), pk=pk)
        return _file_response(notice.file, notice.file.name.rsplit("/", 1)[-1])

    def due_view(self, request):
        """The notices due on a date for a company: generate one person's now, or all of them in the background."""
        if not request.user.has_perm("reports.add_generatednotice"):
            raise PermissionDenied
        companies = companies_for(request.user)
        data = request.POST or request.GET or None
        initial = {"as_of": timezone.localdate(), "kind": NoticeKind.ELECTION}
        if companies.count() == 1:
            initial["company"] = companies.first()
        form = NoticesDueForm(data, companies=companies, initial=initial)
        drafts = []
        if data is not None and form.is_valid():
            company, kind, as_of = form.cleaned_data["company"], form.cleaned_data["kind"], form.cleaned_data["as_of"]
            if request.method == "POST":
                return self._generate(request, company=company, kind=kind, as_of=as_of)
            drafts = notices.notice_drafts(kind=kind, company=company, as_of=as_of)
        return TemplateResponse(request, "admin/reports/notices_due.html", {
            **self.admin_site.each_context(request), "opts": self.opts, "form": form, "drafts": drafts,
            "title": "Notices due", "media": self.media + form.media, "searched": data is not None and form.is_valid()})

    def _generate(self, request, *, company, kind, as_of):
        if "_batch" in request.POST:
            batch = services.notice_batch_request(kind=kind, company=company, as_of=as_of, by=request.user)
            messages.success(request, f"{batch} is being generated in the background: see Notice batches.")
            return redirect("admin:reports_noticebatch_changelist")
        generated, _ = services.notices_generate(kind=kind, company=company, as_of=as_of, by=request.user,
                                                 keys=[request.POST.get("key", "")])
        if not generated:
            messages.warning(request, "That notice is no longer due (it was generated already).")
            return redirect(f"{reverse('admin:reports_generatednotice_due')}?{request.POST.urlencode()}")
        notice = generated[0]
        messages.success(request, format_html('{} generated: <a href="{}">download the PDF</a>.', notice,
                                              reverse("admin:reports_generatednotice_download", args=[notice.pk])))
        return redirect("admin:reports_generatednotice_changelist")


@admin.register(NoticeBatch)
class NoticeBatchAdmin(RecordAdmin):
    list_display = ["__str__", "kind", "company", "as_of", "status", "notice_count", "requested_by", "requested_at", "merged"]
    list_filter = ["kind", "status", ("company", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["company", "requested_by"]

    @admin.display(description="merged PDF")
    def merged(self, obj):
        if obj.status == JobStatus.FAILED:
            return format_html('<span title="{}">failed</span>', obj.error)
        if not obj.merged_file:
            return obj.get_status_display() if obj.status != JobStatus.DONE else "nothing was due"
        return format_html('<a href="{}">Download</a>', reverse("admin:reports_noticebatch_download", args=[obj.pk]))

    def get_urls(self):
        return [path("<int:pk>/download/", self.admin_site.admin_view(self.download_view), name="reports_noticebatch_download"),
                *super().get_urls()]

    def download_view(self, request, pk):
        batch = get_object_or_404(self.get_queryset(request), pk=pk)
        return _file_response(batch.merged_file, batch.merged_file.name.rsplit("/", 1)[-1] if batch.merged_file else "")
