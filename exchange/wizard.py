"""The "Add a service" wizard (seed 001, How to connect a client): vendor, subscriber group, company information,
primary contact, plans to exclude, then review. The draft lives in the session; the last step calls
services.connection_connect. Thin views: no rules here.
"""
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from companies.scoping import companies_for
from enrollments.models import Plan
from exchange import selectors, services
from exchange.models import ALL_EMPLOYEES, Connection, Vendor

SESSION_KEY = "exchange_add_service"
COMPANY_FIELDS = ["ein", "address1", "city", "state", "zip", "phone"]
STEPS = ["Vendor", "Company information", "Primary contact", "Excluded plans", "Review"]


class VendorStepForm(forms.Form):
    company = forms.ModelChoiceField(queryset=None)
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.all())
    subscriber_group = forms.ChoiceField(
        choices=[(ALL_EMPLOYEES, ALL_EMPLOYEES)], initial=ALL_EMPLOYEES,
        help_text="Every employee's records go on the file, the best practice (seed 001); narrower groups are not offered.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies_for(user)

    def clean(self):
        data = super().clean()
        if data.get("company") and data.get("vendor") and Connection.objects.filter(
                company=data["company"], vendor=data["vendor"]).exists():
            raise forms.ValidationError(f"{data['company'].name} is already connected to {data['vendor'].name}.")
        return data


class CompanyStepForm(forms.Form):
    """Every field the vendor needs; the ones the company is missing are required."""

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        for name in COMPANY_FIELDS:
            model_field = company._meta.get_field(name)
            self.fields[name] = model_field.formfield(required=True, initial=getattr(company, name))


class ContactStepForm(forms.Form):
    primary_contact = forms.ModelChoiceField(queryset=None, help_text="The company's broker and HR users.")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["primary_contact"].queryset = selectors.connection_contacts(company=company)


class PlansStepForm(forms.Form):
    excluded_plans = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Tick a plan to keep it off the file. Exclusions last one plan year: renewals must be excluded again.")

    def __init__(self, *args, company, **kwargs):
        super().__init__(*args, **kwargs)
        plan_ids = [p.pk for p in selectors.plans_for_review(company=company, today=timezone.localdate())]
        self.fields["excluded_plans"].queryset = Plan.objects.filter(pk__in=plan_ids).order_by("plan_year_start", "code")


def _draft_company(request, draft):
    company = companies_for(request.user).filter(pk=draft.get("company")).first()
    if company is None:
        raise Http404("No such company.")
    return company


def add_service_view(model_admin, request, step=1):
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    draft = request.session.get(SESSION_KEY, {}) if step > 1 else {}
    if step > 1 and "company" not in draft:
        return redirect("admin:exchange_connection_add_service", step=1)
    company = _draft_company(request, draft) if step > 1 else None
    data = request.POST if request.method == "POST" else None
    if step == 1:
        initial = {"company": request.GET.get("company"), "subscriber_group": ALL_EMPLOYEES}
        form = VendorStepForm(data, user=request.user, initial=initial)
    elif step == 2:
        form = CompanyStepForm(data, company=company, initial=draft.get("company_info"))
    elif step == 3:
        form = ContactStepForm(data, company=company, initial={"primary_contact": draft.get("primary_contact")})
    elif step == 4:
        form = PlansStepForm(data, company=company, initial={"excluded_plans": draft.get("excluded_plans", [])})
    else:
        form = None

    if request.method == "POST":
        if step == 5:
            return _finish(model_admin, request, draft, company)
        if form.is_valid():
            draft.update(_draft_values(step, form.cleaned_data))
            request.session[SESSION_KEY] = draft
            return redirect("admin:exchange_connection_add_service", step=step + 1)

    context = {
        **model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, "title": "Add a service",
        "step": step, "steps": STEPS, "step_title": STEPS[step - 1], "form": form, "company": company,
        "review": _review(draft, company) if step == 5 else None,
    }
    return TemplateResponse(request, "admin/exchange/add_service.html", context)


def _draft_values(step, data):
    if step == 1:
        return {"company": data["company"].pk, "vendor": data["vendor"].pk, "subscriber_group": data["subscriber_group"]}
    if step == 2:
        return {"company_info": data}
    if step == 3:
        return {"primary_contact": data["primary_contact"].pk}
    return {"excluded_plans": [plan.pk for plan in data["excluded_plans"]]}


def _review(draft, company):
    contact = selectors.connection_contacts(company=company).filter(pk=draft.get("primary_contact")).first()
    return {
        "company": company, "vendor": Vendor.objects.filter(pk=draft.get("vendor")).first(),
        "subscriber_group": draft.get("subscriber_group"), "company_info": draft.get("company_info", {}),
        "primary_contact": contact,
        "excluded_plans": Plan.objects.filter(company=company, pk__in=draft.get("excluded_plans", [])),
    }


def _finish(model_admin, request, draft, company):
    review = _review(draft, company)
    if review["vendor"] is None or review["primary_contact"] is None:
        messages.error(request, "The draft is incomplete: start again.")
        return redirect("admin:exchange_connection_add_service", step=1)
    connection = services.connection_connect(
        company=company, vendor=review["vendor"], by=request.user, subscriber_group=review["subscriber_group"],
        primary_contact=review["primary_contact"], company_info=review["company_info"],
        excluded_plans=list(review["excluded_plans"]))
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"{company.name} is connected to {review['vendor'].name}. The connection is New: "
                              "nothing is sent until the vendor moves it to Pending.")
    return redirect(reverse("admin:exchange_connection_change", args=[connection.pk]))
