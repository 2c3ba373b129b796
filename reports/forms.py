"""Admin forms: a report's company, dates and columns (chosen and ordered); the notices due on a date."""
from django import forms
from django.contrib.admin.widgets import AdminDateWidget

from reports.columns import DEFAULT_COLUMNS, columns_for
from reports.models import NoticeKind, ReportKind


class DateInput(AdminDateWidget):
    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ReportForm(forms.Form):
    """Company (within the user's scope), date range and the columns: tick to include, number to order."""
    company = forms.ModelChoiceField(queryset=None, help_text="Only your companies are listed.")
    date_from = forms.DateField(label="From", widget=DateInput)
    date_to = forms.DateField(label="To", widget=DateInput)
    name = forms.CharField(label="Custom report name", required=False, max_length=100,
                           help_text="Needed only to save this configuration as a custom report.")

    def __init__(self, *args, kind, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = ReportKind(kind)
        self.fields["company"].queryset = companies
        self.fields["date_from"].label = f"{self.date_label} from"
        self.fields["date_to"].label = f"{self.date_label} to"
        initial_columns = self.initial.get("columns") or DEFAULT_COLUMNS[self.kind]
        for index, (key, column) in enumerate(columns_for(self.kind).items(), start=1):
            chosen = key in initial_columns
            self.fields[f"use_{key}"] = forms.BooleanField(label=column.header, required=False, initial=chosen)
            self.fields[f"pos_{key}"] = forms.IntegerField(
                label=f"Position of {column.header}", required=False, min_value=1,
                initial=initial_columns.index(key) + 1 if chosen else len(initial_columns) + index,
                widget=forms.NumberInput(attrs={"style": "width:4em"}))

    @property
    def date_label(self):
        return "New benefit enrollment date" if self.kind == ReportKind.INITIAL_RIGHTS else "COBRA eligibility date"

    def column_rows(self):
        return [(self[f"use_{key}"], self[f"pos_{key}"], column)
                for key, column in columns_for(self.kind).items()]

    def clean(self):
        cleaned = super().clean()
        order = list(columns_for(self.kind))
        chosen = [key for key in order if cleaned.get(f"use_{key}")]
        chosen.sort(key=lambda key: (cleaned.get(f"pos_{key}") or 10_000, order.index(key)))
        if not chosen:
            raise forms.ValidationError("Columns: tick at least one column.")
        cleaned["columns"] = chosen
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


class NoticesDueForm(forms.Form):
    company = forms.ModelChoiceField(queryset=None, help_text="Only your companies are listed.")
    kind = forms.ChoiceField(label="Notice", choices=NoticeKind.choices)
    as_of = forms.DateField(label="Due on", widget=DateInput,
                            help_text="The notice date: notices due on or before this date that were never generated.")

    def __init__(self, *args, companies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = companies
