"""Demo vendors and connections: Sunrise Active on a nightly CSV vendor, Harbor Pending on a weekly 834 vendor,
Redwood New. Sunrise excluded last year's vision plan (its renewal waits to be re-confirmed); Harbor excludes
this year's dental."""
from datetime import timedelta

from django.contrib.auth.models import User

from companies.models import Company
from enrollments.models import CobraEligibility, InitialRightsItem, Plan
from exchange import services
from exchange.models import AckFormat, Connection, ConnectionStatus, FileFormat, ItemKind


def _recent_records(company, today):
    """Records the demo entered before the connections existed; a connection made earlier would have them queued."""
    since = today - timedelta(days=60)
    return {
        ItemKind.QE: CobraEligibility.objects.filter(employee__company=company, event__entered_on__gte=since)
        .select_related("employee", "dependent", "plan", "event"),
        ItemKind.IR: InitialRightsItem.objects.filter(employee__company=company, created_on__gte=since)
        .select_related("employee", "dependent", "plan"),
    }


def seed(*, today):
    admin = User.objects.get(username="admin")
    summit, _ = services.vendor_ensure(code="summit", name="Summit COBRA Services", file_format=FileFormat.CSV,
                                       schedule="nightly")
    keystone, _ = services.vendor_ensure(code="keystone", name="Keystone Benefit Administrators",
                                         file_format=FileFormat.X12_834, schedule="weekly:MON@05:00")
    keystone.ack_format = AckFormat.X12_999
    keystone.save()
    companies = {c.code: c for c in Company.objects.filter(code__in=["sunrise", "harbor", "redwood"])}
    year = today.year

    def plan(company, code, plan_year):
        return Plan.objects.filter(company=company, code=code, plan_year_start__year=plan_year).first()

    def contact(company):
        return company.hr_users.first() or User.objects.filter(broker_agencies__companies=company).first()

    sunrise = services.connection_connect(company=companies["sunrise"], vendor=summit, by=admin,
                                          primary_contact=contact(companies["sunrise"]))
    services.plan_exclusions_set(connection=sunrise, plans=[p for p in [plan(companies["sunrise"], "vis", year - 1)] if p],
                                 excluded=True, by=admin)
    services.connection_status_set(connection=sunrise, status=ConnectionStatus.PENDING, by=admin, note="Vendor testing")
    services.connection_status_set(connection=sunrise, status=ConnectionStatus.ACTIVE, by=admin, note="Vendor live")

    harbor = services.connection_connect(company=companies["harbor"], vendor=keystone, by=admin,
                                         primary_contact=contact(companies["harbor"]))
    services.plan_exclusions_set(connection=harbor, plans=[p for p in [plan(companies["harbor"], "den", year)] if p],
                                 excluded=True, by=admin)
    services.connection_status_set(connection=harbor, status=ConnectionStatus.PENDING, by=admin, note="Vendor testing")

    services.connection_connect(company=companies["redwood"], vendor=summit, by=admin,
                                primary_contact=contact(companies["redwood"]))

    for company in companies.values():
        for kind, records in _recent_records(company, today).items():
            services.items_record(kind=kind, records=records, action="add")
    services.exchange_run(as_of=today, connections=Connection.objects.filter(pk=sunrise.pk))
