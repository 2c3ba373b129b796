"""Census import admin: the upload screen and the list of past imports (census-workbook.md)."""
from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from companies.scoping import ReadOnlyAdminMixin, ScopedAdmin
from enrollments.census import census_import
from enrollments.models import CensusImport

# Whoever may add a census's employees (HR) or plans (brokers) may upload one; Support only reads.
IMPORT_PERMISSIONS = ("enrollments.add_censusimport", "enrollments.add_employee", "enrollments.add_plan")
TEMPLATES = "admin/enrollments/censusimport"


def can_import(user):
    return bool(user.is_active and user.is_staff
                and (user.is_superuser or any(user.has_perm(p) for p in IMPORT_PERMISSIONS)))


class CensusUploadForm(forms.Form):
    file = forms.FileField(label="Census file", help_text="An .xlsx workbook (one sheet per table), or a .zip of "
                           "CSV files named after the sheets: companies.csv, plans.csv, employees.csv, ...")
    dry_run = forms.BooleanField(label="Check only: report what would change, write nothing", required=False)


@admin.register(CensusImport)
class CensusImportAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Past imports, read-only: imports are made by the upload screen."""
    company_path = "companies"
    list_display = ["file_name", "uploaded_at", "uploaded_by", "status", "counts", "error_count"]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    fields = ["file_name", "uploaded_by", "uploaded_at", "status", "summary_table", "errors_table", "warnings_table"]
    readonly_fields = fields
    change_list_template = f"{TEMPLATES}/change_list.html"

    def get_queryset(self, request):
        scoped = super().get_queryset(request)
        if request.user.is_superuser:
            return scoped
        # An import that touched none of the user's companies (rejected early) is still theirs to see.
        return (CensusImport.objects.filter(Q(pk__in=scoped.values("pk")) | Q(uploaded_by=request.user))
                .select_related("uploaded_by"))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or can_import(request.user)

    @admin.display(description="rows created / updated / unchanged")
    def counts(self, obj):
        totals = [sum(sheet.get(k, 0) for sheet in obj.summary.values()) for k in ("created", "updated", "unchanged")]
        return " / ".join(map(str, totals))

    @admin.display(description="errors")
    def error_count(self, obj):
        return len(obj.errors)

    @admin.display(description="summary")
    def summary_table(self, obj):
        return render_to_string(f"{TEMPLATES}/_summary.html", {"summary": obj.summary})

    @admin.display(description="errors")
    def errors_table(self, obj):
        return render_to_string(f"{TEMPLATES}/_problems.html", {"problems": obj.errors, "empty": "No errors."})

    @admin.display(description="warnings")
    def warnings_table(self, obj):
        return render_to_string(f"{TEMPLATES}/_problems.html", {"problems": obj.warnings, "empty": "No warnings."})

    def get_urls(self):
        upload = path("upload/", self.admin_site.admin_view(self.upload_view), name="enrollments_censusimport_upload")
        return [upload, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "can_import": can_import(request.user)})

    def upload_view(self, request):
        """Take the file, run the one census service, show its errors table or its summary."""
        if not can_import(request.user):
            raise PermissionDenied
        form = CensusUploadForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            result = census_import(path_or_file=form.cleaned_data["file"], user=request.user,
                                   today=timezone.localdate(), dry_run=form.cleaned_data["dry_run"])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload a census",
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, f"{TEMPLATES}/upload.html", context)
