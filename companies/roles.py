"""The roles (Django groups) and what each may do. Scope (which companies) is separate: companies.scoping.

Patterns are `app_label.codename` globs (`enrollments.view_*`); a leading `!` takes matches away again.
"""
from fnmatch import fnmatch

from django.contrib.auth.models import Group, Permission

HR, BROKER, SUPPORT = "HR", "Broker", "Support"

ROLE_PERMISSIONS = {
    HR: [
        "companies.view_company", "companies.change_company",
        "enrollments.*_plan", "enrollments.*_employee", "enrollments.*_dependent", "enrollments.*_enrollment",
        "!enrollments.delete_*",
        "enrollments.view_qualifyingevent", "enrollments.view_cobraeligibility", "enrollments.view_initialrightsitem",
        "enrollments.add_qualifyingevent", "enrollments.view_statecontinuationrule", "enrollments.view_ssn",
        "enrollments.view_censusimport", "enrollments.add_censusimport",
        "exchange.view_*", "reports.*", "continuation.view_*",
    ],
    BROKER: [
        "companies.view_company", "companies.change_company", "companies.view_brokeragency",
        "enrollments.view_*", "enrollments.add_plan", "enrollments.change_plan", "enrollments.add_employee",
        "enrollments.change_employee", "enrollments.add_dependent", "enrollments.change_dependent",
        "enrollments.add_enrollment", "enrollments.change_enrollment", "enrollments.add_qualifyingevent",
        "enrollments.add_censusimport",
        "exchange.*", "reports.*", "continuation.view_*", "continuation.change_election",
        "continuation.change_carrierswitchoffer", "continuation.*_continuationsettings", "!enrollments.view_ssn",
    ],
    SUPPORT: [
        "companies.view_*", "enrollments.view_*", "enrollments.change_cobraeligibility",
        "enrollments.add_qualifyingevent", "exchange.view_*", "reports.*", "continuation.view_*",
        "continuation.change_election", "continuation.change_carrierswitchoffer", "!enrollments.view_ssn",
    ],
}


def roles_sync():
    """Create the groups and give each exactly its permissions."""
    permissions = list(Permission.objects.select_related("content_type"))
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        granted = [p for p in patterns if not p.startswith("!")]
        denied = [p[1:] for p in patterns if p.startswith("!")]
        group.permissions.set([
            p for p in permissions
            if any(fnmatch(_name(p), pattern) for pattern in granted) and not any(fnmatch(_name(p), d) for d in denied)
        ])


def _name(permission):
    return f"{permission.content_type.app_label}.{permission.codename}"
