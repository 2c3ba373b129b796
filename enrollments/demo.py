"""Demo plans (two plan years, renewals), employees, dependents, enrollments and a few COBRA events."""
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import User

from companies.models import Company
from enrollments import services
from enrollments.cobra.codes import CoverageEnds, EnrollmentSource, EventSource, QualifyingEventType, Tier
from enrollments.models import Dependent, Employee, Enrollment, Plan

PLANS = [  # code, name, type, carrier, coverage_ends, premium
    ("med-ppo", "Medical PPO", "medical", "Blue Shield", CoverageEnds.END_OF_MONTH, Decimal("650.00")),
    ("den", "Dental", "dental", "Delta Dental", CoverageEnds.END_OF_MONTH, Decimal("48.00")),
    ("vis", "Vision", "vision", "VSP", CoverageEnds.EVENT_DATE, Decimal("12.50")),
    ("eap", "Employee Assistance", "eap", "ComPsych", CoverageEnds.EVENT_DATE, Decimal("3.00")),
    ("life", "Basic Life", "life", "MetLife", CoverageEnds.EVENT_DATE, Decimal("9.00")),
]
FIRST = ["Ana", "Ben", "Carla", "Dev", "Elena", "Frank", "Grace", "Hiro", "Ivy", "Jon", "Kara", "Luis"]
LAST = ["Ortiz", "Nguyen", "Smith", "Patel", "Kowalski", "Baker", "Okafor", "Tanaka", "Reyes", "Larsen", "Moreau", "Diaz"]
STREETS = ["1 Oak St", "22 Pine Ave", "303 Cedar Rd", "44 Birch Ln", "5 Maple Ct", "66 Walnut Way"]


def _plans(company, year):
    start, end = date(year, 1, 1), date(year, 12, 31)
    created = {}
    for code, name, plan_type, carrier, ends, premium in PLANS:
        renews = Plan.objects.filter(company=company, code=code, plan_year_start=date(year - 1, 1, 1)).first()
        created[code] = Plan.objects.create(
            company=company, code=code, name=name, plan_type=plan_type, carrier=carrier, plan_year_start=start,
            plan_year_end=end, renews=renews, coverage_ends=ends, monthly_premium=premium * (Decimal("1.06") ** (year - 2024)).quantize(Decimal("0.01")))
    return created


def _employee(company, n, today, *, hire_date, complete=True):
    first, last = FIRST[n % len(FIRST)], LAST[(n * 7 + len(company.code)) % len(LAST)]
    employee = Employee(
        company=company, employee_id=f"E{n:04d}", first_name=first, last_name=last,
        dob=date(1970 + n % 25, 1 + n % 12, 1 + n % 27) if complete else None, gender="FM"[n % 2],
        address1=STREETS[n % len(STREETS)], city=company.city, state=company.state, zip=company.zip,
        email=f"{first.lower()}.{last.lower()}@example.com", hire_date=hire_date, hours_per_week=Decimal("40"))
    employee.set_ssn(f"{500 + n:03d}{10 + len(company.code):02d}{1000 + n * 37 % 9000:04d}" if complete else None)
    employee.save()
    return employee


def _family(employee, n):
    spouse = Dependent(employee=employee, dependent_id="D1", relationship="spouse", first_name=FIRST[(n + 5) % 12],
                       last_name=employee.last_name, dob=date(1972 + n % 20, 3, 9), gender="MF"[n % 2])
    spouse.set_ssn(f"{600 + n:03d}44{2000 + n:04d}")
    spouse.save()
    child = Dependent(employee=employee, dependent_id="D2", relationship="child", first_name=FIRST[(n + 8) % 12],
                      last_name=employee.last_name, dob=date(2005 + n % 10, 6, 15), gender="FM"[n % 2])
    child.set_ssn(f"{700 + n:03d}55{3000 + n:04d}")
    child.save()
    return [spouse, child]


def _enroll(employee, plan, dependents, *, effective, end=None, source=EnrollmentSource.IMPORT, today):
    tier = Tier.FAMILY if len(dependents) > 1 else Tier.EMPLOYEE_SPOUSE if dependents else Tier.EMPLOYEE
    enrollment = Enrollment.objects.create(employee=employee, plan=plan, tier=tier, effective_date=effective, end_date=end,
                                           elected_on=effective - timedelta(days=20), source=source)
    enrollment.covered_dependents.set(dependents)
    services.initial_rights_record(enrollment=enrollment, today=today)
    return enrollment


def seed(*, today):
    year = today.year
    admin = User.objects.get(username="admin")
    for company in Company.objects.order_by("code"):
        last_year, this_year = _plans(company, year - 1), _plans(company, year)
        size = 6 if company.code == "sunrise" else 9
        for n in range(1, size + 1):
            employee = _employee(company, n, today, hire_date=date(year - 3, 1 + n % 12, 1 + n), complete=n != 4)
            family = _family(employee, n) if n % 3 == 0 else []
            for code in ("med-ppo", "den", "vis", "eap", "life"):
                if code == "vis" and n % 2:
                    continue
                _enroll(employee, last_year[code], family, effective=last_year[code].plan_year_start,
                        end=last_year[code].plan_year_end, today=today)
                _enroll(employee, this_year[code], family, effective=this_year[code].plan_year_start,
                        source=EnrollmentSource.OPEN_ENROLLMENT, today=today)
        hire = today - timedelta(days=40)
        new_hire = _employee(company, 50, today, hire_date=hire)
        coverage_start = date(hire.year, hire.month, 1) + timedelta(days=32)
        coverage_start = coverage_start.replace(day=1)
        for code in ("med-ppo", "den", "life"):
            _enroll(new_hire, this_year[code], [], effective=coverage_start, source=EnrollmentSource.NEW_HIRE, today=today)

        terminated = Employee.objects.get(company=company, employee_id="E0003")
        services.employee_terminate(employee=terminated, termination_date=today - timedelta(days=12),
                                    reason="involuntary", by=admin, today=today)
        if company.code == "harbor":
            divorced = Employee.objects.get(company=company, employee_id="E0006")
            services.qualifying_event_mark(
                employee=divorced, event_type=QualifyingEventType.DIVORCE, event_date=today - timedelta(days=5),
                source=EventSource.LIFE_EVENT, reason="divorce", dependents=list(divorced.dependents.filter(relationship="spouse")),
                by=admin, today=today)
