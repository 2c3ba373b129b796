"""django-q2 jobs: build a requested report, generate a batch of notices."""
from reports import services
from reports.models import GeneratedReport, NoticeBatch


def report_build_task(report_id):
    return services.report_build(report=GeneratedReport.objects.select_related("company").get(pk=report_id)).status


def notice_batch_task(batch_id):
    return services.notice_batch_run(batch=NoticeBatch.objects.select_related("company", "requested_by").get(pk=batch_id)).status
