"""The roles (Django groups) and what each may do. Scope (which companies) is separate: companies.scoping.

Patterns are `app_label.codename`, where codename may be `view_*`-style globs.
"""
from fnmatch import fnmatch

from django.contrib.auth.models import Group, Permission

HR, BROKER, SUPPORT = "HR", "Broker", "Support"

ROLE_PERMISSIONS = {
    HR: [
        "companies.view_company", "companies.change_company",
        "enrollments.*_plan", "enrollments.*_employee", "enrollments.*_dependent", "enrollments.*_enrollment",
        "enrollments.view_qualifyingevent", "enrollments.view_cobraeligibility", "enrollments.view_initialrightsitem",
        "enrollments.add_qualifyingevent", "enrollments.view_statecontinuationrule", "enrollments.view_ssn",
        "exchange.view_*", "reports.*",
    ],
    BROKER: [
        "companies.view_company", "companies.change_company", "companies.view_brokeragency",
        "enrollments.view_*", "enrollments.change_plan", "enrollments.add_plan",
        "enrollments.add_qualifyingevent",
        "exchange.*", "reports.*",
    ],
    SUPPORT: [
        "companies.view_*", "enrollments.view_*", "enrollments.change_cobraeligibility",
        "enrollments.add_qualifyingevent", "exchange.view_*", "reports.*",
    ],
}


def roles_sync():
    """Create the groups and give each exactly its permissions."""
    permissions = list(Permission.objects.select_related("content_type"))
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set([
            p for p in permissions
            if any(fnmatch(f"{p.content_type.app_label}.{p.codename}", pattern) for pattern in patterns)
        ])
