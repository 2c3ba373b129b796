"""Writes for reports and notices: the admin, the commands and the background jobs all come through here."""
import logging
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_q.tasks import async_task
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from companies.pii import can_view_ssn
from companies.scoping import companies_for
from reports import notices, selectors
from reports.columns import columns_resolve
from reports.models import (
    GeneratedNotice,
    GeneratedReport,
    JobStatus,
    NoticeBatch,
    NoticeKind,
    ReportKind,
    SavedReport,
)
from reports.pdf import PdfMerge, pdf_render

logger = logging.getLogger(__name__)


class ReportError(Exception):
    """Input a report or notice cannot be built from; `errors` maps a field to its messages."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {m}" for k, msgs in errors.items() for m in msgs))


def _check(*, kind, company, columns, date_from, date_to, by):
    errors = {}
    try:
        columns_resolve(kind, columns)
    except ValueError as error:
        errors["columns"] = [str(error)]
    if date_from and date_to and date_from > date_to:
        errors["date_to"] = [f"The end date {date_to:%m/%d/%Y} is before the start date {date_from:%m/%d/%Y}."]
    if by is not None and not companies_for(by).filter(pk=company.pk).exists():
        errors["company"] = ["Choose one of your companies."]
    if errors:
        raise ReportError(errors)


# Excel reports ---------------------------------------------------------------------------------------------------

def report_write(*, kind, company, columns, date_from, date_to, full_ssn, output):
    """Write a report workbook to `output` (a path or binary file); returns the number of rows.

    Write-only workbook fed from one streamed query, so memory does not grow with the rows. Dates are real Excel
    dates; the header row is frozen, auto-filter is on and column widths are set.
    """
    chosen = columns_resolve(kind, columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(ReportKind(kind).label[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(chosen, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([column.header for column in chosen])
    count = 0
    for count, row in enumerate(selectors.report_rows(kind=kind, company=company, date_from=date_from, date_to=date_to,
                                                      columns=chosen, full_ssn=full_ssn), start=1):
        sheet.append(row)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(chosen))}{count + 1}"
    workbook.save(output)
    return count


def saved_report_save(*, name, kind, company, columns, by):
    """Save (or update, by name) a custom report configuration."""
    _check(kind=kind, company=company, columns=columns, date_from=None, date_to=None, by=by)
    if not (name or "").strip():
        raise ReportError({"name": ["Give the custom report a name."]})
    saved, _ = SavedReport.objects.update_or_create(
        company=company, kind=kind, name=name.strip(), defaults={"columns": list(columns), "created_by": by})
    return saved


def report_request(*, kind, company, columns, date_from, date_to, by, saved_report=None, full_ssn=None):
    """Queue a report for the background worker; it shows in Recently generated reports with its status.

    SSNs and birth dates are written in full only when the requester may see them (companies.pii).
    """
    _check(kind=kind, company=company, columns=columns, date_from=date_from, date_to=date_to, by=by)
    report = GeneratedReport.objects.create(
        kind=kind, company=company, saved_report=saved_report, columns=list(columns), date_from=date_from,
        date_to=date_to, full_ssn=can_view_ssn(by) if full_ssn is None else full_ssn, requested_by=by)
    transaction.on_commit(lambda: async_task("reports.tasks.report_build_task", report.pk, task_name=f"report {report.pk}"))
    return report


def report_build(*, report):
    """Build a queued report's file; a failure is recorded on the report, never lost."""
    GeneratedReport.objects.filter(pk=report.pk).update(status=JobStatus.RUNNING)
    try:
        with tempfile.TemporaryFile(suffix=".xlsx") as handle:
            rows = report_write(kind=report.kind, company=report.company, columns=report.columns,
                                date_from=report.date_from, date_to=report.date_to, full_ssn=report.full_ssn,
                                output=handle)
            handle.seek(0)
            report.file.save(report.file_name, File(handle), save=False)
    except Exception as error:  # the status page must say it failed, whatever failed
        logger.exception("report %s failed", report.pk)
        report.status, report.error, report.finished_at = JobStatus.FAILED, str(error), timezone.now()
        report.save(update_fields=["status", "error", "finished_at"])
        return report
    report.status, report.row_count, report.finished_at = JobStatus.DONE, rows, timezone.now()
    report.save(update_fields=["status", "file", "row_count", "finished_at"])
    return report


# PDF notices -----------------------------------------------------------------------------------------------------

def notice_render(draft):
    """PDF bytes of one notice draft."""
    return pdf_render(render_to_string(draft.template, draft.context))


def _file_name(draft, as_of):
    return f"{draft.kind}-{draft.company.code}-{draft.member_id}-{as_of:%Y%m%d}.pdf"


@transaction.atomic
def _notice_record(draft, pdf, *, as_of, by, batch):
    notice = GeneratedNotice(
        kind=draft.kind, company=draft.company, employee=draft.employee, dependent=draft.dependent,
        recipient_name=draft.recipient_name[:300], notice_date=as_of, due_date=draft.due_date, batch=batch,
        denial=draft.denial, generated_by=by)
    notice.file.save(_file_name(draft, as_of), ContentFile(pdf), save=False)
    notice.save()
    if draft.initial_rights_items:
        notice.initial_rights_items.set(draft.initial_rights_items)
    if draft.eligibilities:
        notice.eligibilities.set(draft.eligibilities)
    _lifecycle_record(draft, as_of=as_of, by=by)
    return notice


def _lifecycle_record(draft, *, as_of, by):
    """Tell the continuation lifecycle the notice went out: the election period runs from it (issue 7)."""
    from continuation import services as continuation_services
    if draft.kind in (NoticeKind.ELECTION, NoticeKind.STATE_ELECTION):
        continuation_services.election_notice_record(eligibilities=draft.eligibilities, sent_on=as_of, by=by)
    elif draft.kind == NoticeKind.EARLY_TERMINATION:
        continuation_services.termination_notice_record(
            elections=[eligibility.election for eligibility in draft.eligibilities], sent_on=as_of, by=by)


def notices_generate(*, kind, company, as_of, by=None, keys=None, batch=None, output_dir=None, merged_path=None):
    """Render and record every notice of `kind` due on `as_of` (or only the drafts whose key is in `keys`).

    Each notice is stored with its date and deadline; with `output_dir` the PDFs are also written there. The merged
    file holding them all for printing goes to `merged_path`, or else to `merged.pdf` in `output_dir` (neither: no
    merged file); it is streamed to disk as the notices are rendered, so memory does not grow with their number.
    Returns (notices, path of the merged file, or None when there is none).
    """
    drafts = notices.notice_drafts(kind=kind, company=company, as_of=as_of)
    if keys is not None:
        keys = set(keys)
        drafts = [draft for draft in drafts if draft.key in keys]
    if merged_path is None and output_dir is not None:
        merged_path = Path(output_dir) / "merged.pdf"
    merge = PdfMerge(merged_path) if merged_path is not None and drafts else None
    generated = []
    try:
        for draft in drafts:
            pdf = notice_render(draft)
            generated.append(_notice_record(draft, pdf, as_of=as_of, by=by, batch=batch))
            if merge is not None:
                merge.add(pdf)
            if output_dir is not None:
                (Path(output_dir) / _file_name(draft, as_of)).write_bytes(pdf)
    except BaseException:
        if merge is not None:
            merge.abort()
        raise
    return generated, merge.close() if merge is not None else None


def notice_batch_request(*, kind, company, as_of, by):
    """Queue every notice of a kind due on a date for the background worker."""
    if by is not None and not companies_for(by).filter(pk=company.pk).exists():
        raise ReportError({"company": ["Choose one of your companies."]})
    batch = NoticeBatch.objects.create(kind=NoticeKind(kind), company=company, as_of=as_of, requested_by=by)
    transaction.on_commit(lambda: async_task("reports.tasks.notice_batch_task", batch.pk, task_name=f"notices {batch.pk}"))
    return batch


def notice_batch_run(*, batch, output_dir=None):
    """Generate a batch's notices and its merged file; a failure is recorded on the batch.

    The merged file is streamed to `output_dir`/merged.pdf or a scratch folder, then copied into storage in chunks.
    """
    NoticeBatch.objects.filter(pk=batch.pk).update(status=JobStatus.RUNNING)
    with tempfile.TemporaryDirectory(prefix="notices-") as scratch:
        try:
            generated, merged = notices_generate(
                kind=batch.kind, company=batch.company, as_of=batch.as_of, by=batch.requested_by, batch=batch,
                output_dir=output_dir, merged_path=None if output_dir is not None else Path(scratch) / "merged.pdf")
        except Exception as error:  # the status page must say it failed, whatever failed
            logger.exception("notice batch %s failed", batch.pk)
            batch.status, batch.error, batch.finished_at = JobStatus.FAILED, str(error), timezone.now()
            batch.save(update_fields=["status", "error", "finished_at"])
            return batch
        if merged is not None:
            with open(merged, "rb") as handle:
                batch.merged_file.save(f"{batch.kind}-{batch.company.code}-{batch.as_of:%Y%m%d}-merged.pdf",
                                       File(handle), save=False)
    batch.status, batch.notice_count, batch.finished_at = JobStatus.DONE, len(generated), timezone.now()
    batch.save(update_fields=["status", "merged_file", "notice_count", "finished_at"])
    return batch
