"""Admin screens for COBRA events (seed 002, seed 001): Terminate & Continue to COBRA, the Manage COBRA Event
wizard, the class-change drop and Support's reversal of a mistaken mark.

Thin views: they parse input, keep the wizard's draft in the session, call enrollments.services and turn
CobraEventError into form errors. The rules live in enrollments.cobra.rules.
"""
from dataclasses import asdict, dataclass
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from companies.roles import SUPPORT
from enrollments import selectors, services
from enrollments.cobra import rules
from enrollments.cobra.codes import EventSource, QualifyingEventType, Relationship, TerminationReason
from enrollments.cobra.reasons import CobraChangeReason
from enrollments.models import Employee

MARK_PERMISSION = "enrollments.add_qualifyingevent"
CHOOSE_INDIVIDUALS = frozenset({QualifyingEventType.DIVORCE, QualifyingEventType.DEPENDENT_AGE_OFF})
WIZARD_EVENTS = [choice for choice in QualifyingEventType.choices if choice[0] != QualifyingEventType.OTHER]
WIZARD_PATHS = [
    (EventSource.ENROLLMENT_EDITOR, "Enrollment editor (products already ended; may be backdated)"),
    (EventSource.LIFE_EVENT, "Life event (update benefits; at most 30 days back)"),
]
EVENT_REASONS = [("", "---------"), ("Termination reasons", TerminationReason.choices),
                 ("Change reasons", CobraChangeReason.choices)]
STEPS = ["Qualifying event", "Dates and individuals", "Products", "Confirm"]
FIELD_LABELS = {
    "event_type": "COBRA qualifying event", "event_date": "COBRA qualifying event date",
    "eligibility_date": "COBRA eligibility date", "dependents": "COBRA eligible individuals", "source": "Entered through",
    "products": "Products", "beneficiaries": "Qualified beneficiaries", "reason": "Reason", "last_day": "Last day",
}
STEP_KEYS = {2: {"event_date", "eligibility_date", "dependents", "source"}, 3: {"products"}}


def today():
    return timezone.localdate()


def can_reverse(user):
    """Only Support (and superusers) reverse a mistaken mark (seed 002: "reach out to Customer Support")."""
    return user.is_active and (user.is_superuser or user.groups.filter(name=SUPPORT).exists())


def field_label(key):
    return FIELD_LABELS.get(key, key.replace("_", " ").capitalize())


def error_lines(error):
    """CobraEventError -> ["Field: message", ...] for a page with no form field to hang them on."""
    return [f"{field_label(key)}: {message}" for key, messages_ in error.errors.items() for message in messages_]


def add_service_errors(form, error, keys=None):
    """CobraEventError -> errors on a bound form: on the field when the form has it, else a non-field error naming it."""
    for key, messages_ in error.errors.items():
        if keys is not None and key not in keys:
            continue
        for message in messages_:
            if key in form.fields:
                form.add_error(key, message)
            else:
                form.add_error(None, f"{field_label(key)}: {message}")


class DateInput(AdminDateWidget):
    """The admin calendar widget, rendering and accepting ISO dates."""

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TerminateForm(forms.Form):
    termination_date = forms.DateField(label="Date of termination", widget=DateInput,
                                       help_text="Last day of employment. A future date schedules the termination.")
    reason = forms.ChoiceField(label="Termination reason", choices=TerminationReason.choices,
                               initial=TerminationReason.VOLUNTARY,
                               help_text="Gross misconduct is not a COBRA qualifying event.")


class EventTypeForm(forms.Form):
    event_type = forms.ChoiceField(label=FIELD_LABELS["event_type"], choices=WIZARD_EVENTS, widget=forms.RadioSelect)


class DependentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} ({obj.get_relationship_display()})"


class EventDatesForm(forms.Form):
    """Step 2. Eligible individuals are chosen only for divorce and age-off (seed 002); else all covered."""
    event_date = forms.DateField(label=FIELD_LABELS["event_date"], widget=DateInput)
    source = forms.ChoiceField(label=FIELD_LABELS["source"], choices=WIZARD_PATHS, widget=forms.RadioSelect,
                               initial=EventSource.ENROLLMENT_EDITOR,
                               help_text="How the coverage change was entered: life events cannot be backdated more than 30 days.")
    eligibility_date = forms.DateField(
        label=FIELD_LABELS["eligibility_date"], widget=DateInput, required=False,
        help_text="The day COBRA coverage can start. Leave blank for the day after each product's coverage ends.")
    dependents = DependentChoiceField(label=FIELD_LABELS["dependents"], queryset=None, widget=forms.CheckboxSelectMultiple,
                                      help_text="The children who lose dependent status: only they are marked COBRA-eligible.")

    def __init__(self, *args, employee, draft, **kwargs):
        super().__init__(*args, **kwargs)
        if draft.event_type in CHOOSE_INDIVIDUALS:
            field = self.fields["dependents"]
            field.queryset = employee.dependents.filter(relationship=Relationship.CHILD)
            if draft.event_type == QualifyingEventType.DIVORCE:
                field.required = False
                field.label = "Children who lose coverage too"
                field.help_text = ("The spouse is always COBRA-eligible after a divorce or legal separation; "
                                   "choose the children who lose coverage with them.")
        else:
            del self.fields["dependents"]
        if draft.flow == EventDraft.TERMINATION:
            del self.fields["source"]


class ProductsForm(forms.Form):
    products = forms.MultipleChoiceField(label="COBRA-eligible products", widget=forms.CheckboxSelectMultiple,
                                         required=False,
                                         help_text="All COBRA-qualified products in force on the event date. Toggle off any "
                                                   "your plan documents say are not continued, or that this event does not touch.")

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["products"].choices = [(str(e.pk), product_label(e)) for e in products]


class ConfirmForm(forms.Form):
    reason = forms.ChoiceField(label="Change reason", required=False, choices=EVENT_REASONS,
                               help_text="Optional: the termination or change reason that was entered, kept with the event.")


class ClassChangeDropForm(forms.Form):
    last_day = forms.DateField(label="Last day in the eligible class", widget=DateInput,
                               help_text="Coverage ends on this date or at the end of its month, as the plan says.")
    cobra_event = forms.TypedChoiceField(label="Is this drop a COBRA qualifying event?", widget=forms.RadioSelect,
                                         choices=[("yes", "Yes: mark it COBRA-eligible"), ("no", "No: just end the enrollment")],
                                         coerce=lambda value: value == "yes")


class ReverseForm(forms.Form):
    reason = forms.CharField(label="Reason for reversing", widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                             help_text="Kept in the record's history and sent to the COBRA vendor as a cancel.")


def product_label(enrollment):
    plan = enrollment.plan
    people = ", ".join([enrollment.employee.full_name, *(d.full_name for d in enrollment.covered_dependents.all())])
    ended = f", ended {enrollment.end_date:%m/%d/%Y}" if enrollment.end_date else ""
    caveat = (" - the COBRA administrator confirms with the FSA administrator whether COBRA is owed"
              if rules.needs_fsa_caveat(plan.plan_type) else "")
    return (f"{plan.name} ({plan.get_plan_type_display()}, plan year {plan.plan_year_start:%m/%d/%Y}"
            f"{ended}) covering {people}{caveat}")


@dataclass
class EventDraft:
    """What the wizard has been told so far; kept in the session between steps, one draft per employee."""
    MANAGE = "manage"
    TERMINATION = "termination"

    flow: str = MANAGE
    event_type: str = ""
    event_date: date | None = None
    eligibility_date: date | None = None
    source: str = EventSource.ENROLLMENT_EDITOR
    reason: str = ""
    dependent_ids: list | None = None
    product_ids: list | None = None

    @staticmethod
    def key(employee):
        return f"cobra_event:{employee.pk}"

    @classmethod
    def load(cls, request, employee):
        data = dict(request.session.get(cls.key(employee), {}))
        for name in ("event_date", "eligibility_date"):
            data[name] = date.fromisoformat(data[name]) if data.get(name) else None
        return cls(**data)

    def save(self, request, employee):
        data = asdict(self)
        for name in ("event_date", "eligibility_date"):
            data[name] = data[name].isoformat() if data[name] else None
        request.session[self.key(employee)] = data

    @classmethod
    def clear(cls, request, employee):
        request.session.pop(cls.key(employee), None)

    def first_missing_step(self):
        if not self.event_type:
            return 1
        if not self.event_date:
            return 2
        return None


class CobraEventAdminMixin:
    """Employee admin: Terminate & Continue to COBRA, Manage COBRA Event, and the COBRA eligibility dates."""

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:object_id>/terminate/", view(self.terminate_view), name="enrollments_employee_terminate"),
            path("<int:object_id>/cobra-event/", view(self.cobra_event_start_view), name="enrollments_employee_cobra_event"),
            path("<int:object_id>/cobra-event/<int:step>/", view(self.cobra_event_step_view),
                 name="enrollments_employee_cobra_event_step"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_mark_cobra": request.user.has_perm(MARK_PERMISSION)}
        return super().change_view(request, object_id, form_url, extra_context)

    def _employee(self, request, object_id, permission=MARK_PERMISSION):
        employee = self.get_queryset(request).select_related("company").filter(pk=object_id).first()
        if employee is None:
            raise Http404("No such record.")
        if not request.user.has_perm(permission):
            raise PermissionDenied
        return employee

    def _render(self, request, template, employee, title, **context):
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": employee, "title": title,
            "subtitle": str(employee), **context,
        })

    def _step_url(self, employee, step):
        return reverse("admin:enrollments_employee_cobra_event_step", args=[employee.pk, step])

    def terminate_view(self, request, object_id):
        employee = self._employee(request, object_id, permission="enrollments.change_employee")
        form = TerminateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            continue_to_cobra = "_terminate" not in request.POST
            try:
                event = services.employee_terminate(employee=employee, termination_date=data["termination_date"],
                                                    reason=data["reason"], by=request.user, today=today(),
                                                    mark=not continue_to_cobra)
            except services.CobraEventError as error:
                add_service_errors(form, error)
            else:
                event_type = services.termination_event_type(reason=data["reason"])
                if event_type is None:
                    messages.warning(request, f"{employee.full_name} was terminated. {TerminationReason(data['reason']).label} "
                                              "is not a COBRA qualifying event: nobody was marked COBRA-eligible.")
                    return redirect("admin:enrollments_employee_change", employee.pk)
                if not continue_to_cobra:
                    messages.success(request, f"{employee.full_name} was terminated and {event} was marked on the plans of record.")
                    return redirect("admin:enrollments_employee_change", employee.pk)
                draft = EventDraft(flow=EventDraft.TERMINATION, event_type=event_type, event_date=data["termination_date"],
                                   source=EventSource.TERMINATION_TOOL, reason=data["reason"])
                products = selectors.cobra_products(employee=employee, event_date=draft.event_date, source=draft.source)
                draft.eligibility_date = selectors.cobra_eligibility_default(enrollments=products, event_date=draft.event_date)
                draft.save(request, employee)
                messages.success(request, f"{employee.full_name} was terminated. Confirm who is COBRA-eligible.")
                return redirect(self._step_url(employee, 2))
        return self._render(request, "admin/enrollments/employee/terminate.html", employee, "Terminate employee",
                            form=form, media=self.media + form.media)

    def cobra_event_start_view(self, request, object_id):
        employee = self._employee(request, object_id)
        EventDraft().save(request, employee)
        return redirect(self._step_url(employee, 1))

    def cobra_event_step_view(self, request, object_id, step):
        employee = self._employee(request, object_id)
        if step not in range(1, len(STEPS) + 1):
            raise Http404("No such step.")
        draft = EventDraft.load(request, employee)
        missing = draft.first_missing_step()
        if missing and step > missing:
            return redirect(self._step_url(employee, missing))
        handler = [self._event_type_step, self._dates_step, self._products_step, self._confirm_step][step - 1]
        return handler(request, employee, draft)

    def _wizard(self, request, employee, draft, step, form, template="admin/enrollments/employee/cobra_event.html", **context):
        return self._render(request, template, employee, "Manage COBRA Event", step=step, steps=STEPS, form=form,
                            draft=draft, event_label=QualifyingEventType(draft.event_type).label if draft.event_type else "",
                            source_label=EventSource(draft.source).label, media=self.media + form.media, **context)

    def _plan(self, employee, draft, *, enrollments, dependents):
        return services.qualifying_event_plan(
            employee=employee, event_type=draft.event_type, event_date=draft.event_date, source=draft.source,
            enrollments=enrollments, dependents=dependents, eligibility_date=draft.eligibility_date, today=today())

    def _dependents(self, employee, draft):
        if draft.dependent_ids is None:
            return None
        return list(employee.dependents.filter(pk__in=draft.dependent_ids))

    def _products(self, employee, draft):
        products = selectors.cobra_products(employee=employee, event_date=draft.event_date, source=draft.source)
        chosen = [p for p in products if draft.product_ids is None or p.pk in draft.product_ids]
        return products, chosen

    def _event_type_step(self, request, employee, draft):
        form = EventTypeForm(request.POST or None, initial={"event_type": draft.event_type})
        if request.method == "POST" and form.is_valid():
            draft.event_type = form.cleaned_data["event_type"]
            if draft.event_type not in CHOOSE_INDIVIDUALS:
                draft.dependent_ids = None
            draft.save(request, employee)
            return redirect(self._step_url(employee, 2))
        return self._wizard(request, employee, draft, 1, form)

    def _dates_step(self, request, employee, draft):
        initial = {"event_date": draft.event_date, "eligibility_date": draft.eligibility_date, "source": draft.source,
                   "dependents": draft.dependent_ids or []}
        form = EventDatesForm(request.POST or None, initial=initial, employee=employee, draft=draft)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            draft.event_date, draft.eligibility_date = data["event_date"], data["eligibility_date"]
            draft.source = data.get("source", draft.source)
            draft.dependent_ids = [d.pk for d in data["dependents"]] if "dependents" in data else None
            draft.product_ids = None
            products, _ = self._products(employee, draft)
            try:
                self._plan(employee, draft, enrollments=products, dependents=data.get("dependents"))
            except services.CobraEventError as error:
                add_service_errors(form, error, STEP_KEYS[2])
            if form.is_valid():
                draft.save(request, employee)
                return redirect(self._step_url(employee, 3))
        return self._wizard(request, employee, draft, 2, form)

    def _products_step(self, request, employee, draft):
        products, chosen = self._products(employee, draft)
        form = ProductsForm(request.POST or None, products=products, initial={"products": [str(p.pk) for p in chosen]})
        if request.method == "POST" and form.is_valid():
            draft.product_ids = [int(pk) for pk in form.cleaned_data["products"]]
            chosen = [p for p in products if p.pk in draft.product_ids]
            try:
                self._plan(employee, draft, enrollments=chosen, dependents=self._dependents(employee, draft))
            except services.CobraEventError as error:
                add_service_errors(form, error, STEP_KEYS[3])
            if form.is_valid():
                draft.save(request, employee)
                return redirect(self._step_url(employee, 4))
        return self._wizard(request, employee, draft, 3, form, products=products)

    def _confirm_step(self, request, employee, draft):
        _, chosen = self._products(employee, draft)
        dependents = self._dependents(employee, draft)
        form = ConfirmForm(request.POST or None, initial={"reason": draft.reason})
        problems, plan = [], None
        try:
            plan = self._plan(employee, draft, enrollments=chosen, dependents=dependents)
        except services.CobraEventError as error:
            problems = error_lines(error)
        if request.method == "POST" and not problems and form.is_valid():
            try:
                event = services.qualifying_event_mark(
                    employee=employee, event_type=draft.event_type, event_date=draft.event_date, source=draft.source,
                    reason=form.cleaned_data["reason"] or draft.reason, enrollments=chosen, dependents=dependents,
                    eligibility_date=draft.eligibility_date, by=request.user, today=today())
            except services.CobraEventError as error:
                problems = error_lines(error)
            else:
                EventDraft.clear(request, employee)
                count = event.eligibilities.count()
                messages.success(request, f"{event} marked: {count} COBRA eligibilit{'y' if count == 1 else 'ies'}.")
                return redirect("admin:enrollments_employee_change", employee.pk)
        rows = [] if problems else [
            {"person": person, "relationship": "Employee" if isinstance(person, Employee) else person.get_relationship_display(),
             "plan": enrollment.plan, "coverage_end": coverage_end, "eligibility_date": start, "months": months,
             "max_end": max_end, "election_due": plan.deadlines(start).election_due}
            for enrollment, person, coverage_end, start, months, max_end in plan.coverage_rows]
        return self._wizard(request, employee, draft, 4, form, template="admin/enrollments/employee/cobra_event_confirm.html",
                            plan=plan, rows=rows, problems=problems)


class ClassChangeDropAdminMixin:
    """Enrollment admin: "Drop enrollment after class change", asking whether the drop is a COBRA event (seed 001)."""

    def get_urls(self):
        return [
            path("<int:object_id>/class-change-drop/", self.admin_site.admin_view(self.class_change_drop_view),
                 name="enrollments_enrollment_class_change_drop"),
            *super().get_urls(),
        ]

    def class_change_drop_view(self, request, object_id):
        enrollment = (self.get_queryset(request).select_related("plan", "employee__company").filter(pk=object_id).first())
        if enrollment is None:
            raise Http404("No such record.")
        if not self.has_change_permission(request, enrollment):
            raise PermissionDenied
        form = ClassChangeDropForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if data["cobra_event"] and not request.user.has_perm(MARK_PERMISSION):
                raise PermissionDenied
            try:
                event = services.enrollment_drop(enrollment=enrollment, last_day=data["last_day"],
                                                 cobra_event=data["cobra_event"], by=request.user, today=today())
            except services.CobraEventError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"{enrollment} was dropped" + (f"; {event} was marked." if event else
                                                                          ": no COBRA event was marked."))
                return redirect("admin:enrollments_enrollment_change", enrollment.pk)
        return TemplateResponse(request, "admin/enrollments/enrollment/class_change_drop.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": enrollment,
            "title": "Drop enrollment after class change", "subtitle": str(enrollment), "form": form,
            "media": self.media + form.media,
        })


class ReverseMarkAdminMixin:
    """CobraEligibility and QualifyingEvent admins: Support reverses a mistaken mark, giving a reason (seed 002)."""

    def eligibilities_to_reverse(self, obj):
        raise NotImplementedError

    def get_urls(self):
        opts = self.model._meta
        return [
            path("<int:object_id>/reverse/", self.admin_site.admin_view(self.reverse_view),
                 name=f"{opts.app_label}_{opts.model_name}_reverse"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_reverse": can_reverse(request.user)}
        return super().change_view(request, object_id, form_url, extra_context)

    def reverse_view(self, request, object_id):
        if not can_reverse(request.user):
            raise PermissionDenied
        obj = self.get_queryset(request).filter(pk=object_id).first()
        if obj is None:
            raise Http404("No such record.")
        eligibilities = self.eligibilities_to_reverse(obj)
        form = ReverseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reversed_rows = services.eligibility_reverse(eligibilities=eligibilities, reason=form.cleaned_data["reason"],
                                                             by=request.user)
            except services.CobraEventError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Reversed {len(reversed_rows)} COBRA eligibility mark(s).")
                opts = self.model._meta
                return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj.pk)
        return TemplateResponse(request, "admin/enrollments/reverse_mark.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "original": obj,
            "title": "Reverse a mistaken COBRA mark", "subtitle": str(obj), "form": form, "eligibilities": eligibilities,
        })
