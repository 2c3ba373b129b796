"""Scoping: every admin page shows a user only the companies they serve.

`ScopedAdmin.company_path` names the lookup from the model to its Company.
Querysets, foreign-key and many-to-many dropdowns (through the related model's
own admin), related list filters (RelatedOnlyFieldListFilter), autocomplete and
the history view all go through `get_queryset`; an object out of scope is a 404.
"""
from django.contrib import admin
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from companies.models import Company


def companies_for(user):
    return Company.objects.for_user(user)


def scope_queryset(queryset, user, company_path):
    if company_path is None:
        return queryset
    if user.is_superuser or user.groups.filter(name="Support").exists():
        return queryset
    if company_path == "":
        return queryset.filter(pk__in=companies_for(user).values("pk"))
    return queryset.filter(**{f"{company_path}__in": companies_for(user).values("pk")})


def _scoped_related(model, request):
    """The rows of a related model this user may pick: what its own admin shows them."""
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return None
    return model_admin.get_queryset(request)


class ScopedAdmin(SimpleHistoryAdmin):
    company_path = "company"
    show_full_result_count = False

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user, self.company_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = _scoped_related(db_field.related_model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        queryset = _scoped_related(db_field.related_model, request)
        if queryset is not None:
            kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Out of scope and missing look the same: 404, never a hint that it exists.
        raise Http404("No such record.")

    def history_view(self, request, object_id, extra_context=None):
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("No such record.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404("No such record.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdminMixin:
    """For records only services write (outbox rows, lifecycle records, imports): view, never add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
