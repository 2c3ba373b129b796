"""The daily compliance digest: each company's open obligations e-mailed to its primary contacts."""
from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from companies.models import Company
from continuation.models import Digest
from continuation.obligations import obligation_list


def company_contacts(company):
    """The company's primary contacts: those named on its vendor connections, else its HR users."""
    from exchange.models import Connection
    named = {c.primary_contact.email for c in Connection.objects.filter(company=company, primary_contact__isnull=False)
             .select_related("primary_contact") if c.primary_contact.email}
    if named:
        return sorted(named)
    return sorted(user.email for user in company.hr_users.filter(is_active=True) if user.email)


def digests_send(*, as_of):
    """One e-mail per company with open obligations, once per day: the Digest row is claimed before sending, so
    two workers running the same day never send it twice."""
    by_company = defaultdict(list)
    for obligation in obligation_list(as_of=as_of):
        by_company[obligation.company_id].append(obligation)
    already = set(Digest.objects.filter(as_of=as_of).values_list("company_id", flat=True))
    sent, no_contact, overdue_total = 0, [], 0
    for company in Company.objects.filter(pk__in=set(by_company) - already).order_by("name"):
        obligations = by_company[company.pk]
        overdue = [o for o in obligations if o.overdue]
        overdue_total += len(overdue)
        recipients = company_contacts(company)
        if not recipients:
            no_contact.append(company.code)
            continue
        try:
            with transaction.atomic():
                digest = Digest.objects.create(company=company, as_of=as_of, recipients=recipients,
                                               open_count=len(obligations), overdue_count=len(overdue))
        except IntegrityError:
            continue  # another worker running the same day claimed this company's digest
        context = {"company": company, "as_of": as_of, "obligations": obligations, "overdue": overdue}
        subject = f"COBRA compliance {as_of:%m/%d/%Y}: {company.name}: {len(overdue)} overdue, {len(obligations)} open"
        try:
            send_mail(subject, render_to_string("admin/continuation/digest.txt", context), settings.DEFAULT_FROM_EMAIL,
                      recipients)
        except Exception:
            digest.delete()  # not sent: the next run of the day tries again
            raise
        sent += 1
    return {"digests": sent, "overdue": overdue_total, "no_primary_contact": no_contact}
