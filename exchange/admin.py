from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from companies.scoping import ReadOnlyAdminMixin, ScopedAdmin
from exchange import acks, selectors, services, wizard
from exchange.models import Connection, ExchangeFile, ExchangeItem, ItemStatus, PlanExclusion, StatusChange, Vendor


class NoHistoryMixin:
    """Models without simple_history fall back to Django's own admin log on the History page."""
    object_history_template = "admin/object_history.html"

    def history_view(self, request, object_id, extra_context=None):
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("No such record.")
        return admin.ModelAdmin.history_view(self, request, object_id, extra_context)


@admin.register(Vendor)
class VendorAdmin(ScopedAdmin):
    company_path = None
    list_display = ["name", "code", "file_format", "schedule_display", "delivery", "ack_format", "ack_due_days"]
    search_fields = ["name", "code"]
    fieldsets = [
        (None, {"fields": ["name", "code", "file_format", "ack_format", "ack_due_days"]}),
        ("Schedule", {"fields": ["schedule", "weekday", "hour", "time_zone"]}),
        ("Delivery (blank host: local drop folder)", {"fields": ["sftp_host", "sftp_port", "sftp_user", "sftp_key_path",
                                                                 "sftp_path", "sftp_host_key"]}),
    ]

    @admin.display(description="delivery")
    def delivery(self, obj):
        return f"SFTP {obj.sftp_host}" if obj.uses_sftp else "Drop folder"


class StatusChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StatusChange
    fields = ["at", "from_status", "to_status", "by", "note"]
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


class PlanExclusionInline(admin.TabularInline):
    model = PlanExclusion
    fields = ["plan", "excluded", "decided_by", "decided_at"]
    readonly_fields = ["decided_by", "decided_at"]
    extra = 0
    autocomplete_fields = ["plan"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("plan", "decided_by")


class FileInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ExchangeFile
    fields = ["name", "kind", "status", "item_count", "attempts", "last_error", "delivered_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


class ConnectionForm(forms.ModelForm):
    class Meta:
        model = Connection
        fields = ["company", "vendor", "subscriber_group", "primary_contact", "status", "ends_on"]


class EndParticipationForm(forms.Form):
    ends_on = forms.DateField(widget=AdminDateWidget, help_text="Today ends it now; a later date ends it then.")


class AckUploadForm(forms.Form):
    file = forms.FileField(help_text="A 999 for 834 vendors; a CSV of record_id,status,message for CSV vendors.")


@admin.register(Connection)
class ConnectionAdmin(ScopedAdmin):
    form = ConnectionForm
    list_display = ["company", "vendor", "status", "ends_on", "delivery_problem"]
    list_filter = ["status", "vendor"]
    list_select_related = ["company", "vendor"]
    search_fields = ["company__name", "company__code", "vendor__name"]
    autocomplete_fields = ["company"]
    inlines = [PlanExclusionInline, StatusChangeInline, FileInline]
    change_form_template = "admin/exchange/connection/change_form.html"
    change_list_template = "admin/exchange/connection/change_list.html"

    @admin.display(description="delivery problem")
    def delivery_problem(self, obj):
        return obj.last_delivery_error[:80]

    def get_readonly_fields(self, request, obj=None):
        return ["company", "vendor"] if obj else []

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:exchange_connection_add_service", step=1)

    def save_model(self, request, obj, form, change):
        new_status = obj.status
        if change:
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        services.connection_status_set(connection=obj, status=new_status, by=request.user, note="Changed in the admin")

    def save_formset(self, request, form, formset, change):
        if formset.model is PlanExclusion:
            for exclusion in formset.save(commit=False):
                exclusion.decided_by = request.user
                exclusion.save()
            for removed in formset.deleted_objects:
                removed.delete()
            return
        super().save_formset(request, form, formset, change)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("add-service/<int:step>/", view(lambda request, step: wizard.add_service_view(self, request, step)),
                 name="exchange_connection_add_service"),
            path("<int:pk>/end/", view(self.end_participation_view), name="exchange_connection_end"),
            path("<int:pk>/ack/", view(self.ack_upload_view), name="exchange_connection_ack"),
            path("reconciliation/", view(self.reconciliation_view), name="exchange_connection_reconciliation"),
            *super().get_urls(),
        ]

    def _scoped(self, request, pk):
        connection = self.get_queryset(request).filter(pk=pk).first()
        if connection is None:
            raise Http404("No such record.")
        return connection

    def change_view(self, request, object_id, form_url="", extra_context=None):
        connection = self.get_queryset(request).filter(pk=object_id).first()
        extra_context = extra_context or {}
        if connection:
            extra_context.update({
                "held_items": selectors.held_items(connection=connection),
                "waiting_count": connection.items.filter(status=ItemStatus.PENDING).count(),
                "exclusions_to_confirm": selectors.exclusions_to_confirm(connection=connection),
                "end_form": EndParticipationForm(initial={"ends_on": timezone.localdate()}),
                "ack_form": AckUploadForm(),
                "can_act": self.has_change_permission(request, connection),
            })
        return super().change_view(request, object_id, form_url, extra_context)

    def end_participation_view(self, request, pk):
        connection = self._scoped(request, pk)
        if request.method != "POST" or not self.has_change_permission(request, connection):
            raise PermissionDenied
        form = EndParticipationForm(request.POST)
        if form.is_valid():
            services.connection_end(connection=connection, on=form.cleaned_data["ends_on"], today=timezone.localdate(),
                                    by=request.user)
            messages.success(request, f"Participation ends on {form.cleaned_data['ends_on']:%m/%d/%Y}.")
        else:
            messages.error(request, "End date: enter a valid date (MM/DD/YYYY).")
        return redirect("admin:exchange_connection_change", pk)

    def ack_upload_view(self, request, pk):
        connection = self._scoped(request, pk)
        if request.method != "POST" or not self.has_change_permission(request, connection):
            raise PermissionDenied
        form = AckUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "Acknowledgement file: choose a file to upload.")
            return redirect("admin:exchange_connection_change", pk)
        try:
            counts = services.ack_import(connection=connection,
                                         content=form.cleaned_data["file"].read().decode("utf-8", "replace"))
        except acks.AckFileError as error:
            messages.error(request, f"Acknowledgement file: {error}")
        else:
            messages.success(request, f"{counts['acknowledged']} acknowledged, {counts['rejected']} rejected, "
                                      f"{counts['unknown']} not recognised.")
        return redirect("admin:exchange_connection_change", pk)

    def reconciliation_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        context = {
            **self.admin_site.each_context(request), "opts": self.model._meta, "title": "Exchange reconciliation",
            "today": today,
            "summary": selectors.reconciliation(connections=self.get_queryset(request), today=today),
        }
        return TemplateResponse(request, "admin/exchange/reconciliation.html", context)


@admin.register(ExchangeItem)
class ExchangeItemAdmin(ReadOnlyAdminMixin, NoHistoryMixin, ScopedAdmin):
    company_path = "connection__company"
    list_display = ["record_id", "kind", "action", "connection", "status", "due_on", "file_link", "sent_at", "message"]
    list_filter = ["status", "kind", "action", "connection__vendor"]
    list_select_related = ["connection__company", "connection__vendor", "file"]
    search_fields = ["record_id", "connection__company__code"]
    date_hierarchy = "due_on"
    fields = ["record_id", "kind", "action", "connection", "status", "message", "due_on", "file", "sent_at",
              "acknowledged_at", "created_at"]

    @admin.display(description="file")
    def file_link(self, obj):
        if obj.file_id is None:
            return ""
        return format_html('<a href="{}">{}</a>', reverse("admin:exchange_exchangefile_change", args=[obj.file_id]),
                           obj.file.name)


@admin.register(ExchangeFile)
class ExchangeFileAdmin(ReadOnlyAdminMixin, NoHistoryMixin, ScopedAdmin):
    company_path = "connection__company"
    list_display = ["name", "connection", "kind", "status", "item_count", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "kind", "connection__vendor"]
    list_select_related = ["connection__company", "connection__vendor"]
    search_fields = ["name"]
    fields = ["name", "connection", "kind", "sequence", "control_number", "built_on", "status", "item_count",
              "attempts", "next_attempt_at", "last_error", "created_at", "delivered_at"]
    readonly_fields = ["control_number"]
