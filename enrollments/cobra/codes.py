"""Codes shared by the rule engine, the models and the file formats.

Values are the census-workbook and exchange-file codes
(shared/spec/census-workbook.md, shared/spec/exchange-file.md): they are a
public contract, so never rename a value.
"""
from django.db.models import TextChoices


class PlanType(TextChoices):
    MEDICAL = "medical", "Medical"
    DENTAL = "dental", "Dental"
    VISION = "vision", "Vision"
    SUPPLEMENTAL_HEALTH = "supplemental_health", "Supplemental health"
    TELEMEDICINE = "telemedicine", "Telemedicine"
    PRESCRIPTION = "prescription", "Prescription"
    EAP = "eap", "EAP (not COBRA-qualified)"
    EAP_COBRA = "eap_cobra", "EAP COBRA-qualified"
    HRA = "hra", "Health reimbursement account"
    FSA = "fsa", "Flexible spending account"
    LPFSA = "lpfsa", "Limited-purpose FSA"
    LIFE = "life", "Life"
    DISABILITY = "disability", "Disability"
    ACCIDENT = "accident", "Accident"
    OTHER = "other", "Other"


class CoverageEnds(TextChoices):
    EVENT_DATE = "event_date", "On the event date"
    END_OF_MONTH = "end_of_month", "At the end of the month"


class Relationship(TextChoices):
    EMPLOYEE = "employee", "Employee"
    SPOUSE = "spouse", "Spouse"
    DOMESTIC_PARTNER = "domestic_partner", "Domestic partner"
    CHILD = "child", "Child"


class Tier(TextChoices):
    EMPLOYEE = "employee", "Employee only"
    EMPLOYEE_SPOUSE = "employee_spouse", "Employee + spouse"
    EMPLOYEE_CHILDREN = "employee_children", "Employee + children"
    FAMILY = "family", "Family"


class EnrollmentSource(TextChoices):
    NEW_HIRE = "new_hire", "New hire window"
    NEWLY_ELIGIBLE = "newly_eligible", "Newly eligible window"
    OPEN_ENROLLMENT = "open_enrollment", "Open enrollment"
    LIFE_EVENT = "life_event", "Life event"
    IMPORT = "import", "Import"
    MODIFY = "modify", "Modify (correction)"


class LifeEventReason(TextChoices):
    MARRIAGE = "marriage", "Marriage"
    BIRTH = "birth", "Birth or adoption"
    EMPLOYEE_LOSS_OF_COVERAGE = "employee_loss_of_coverage", "Employee loss of coverage"
    DIVORCE = "divorce", "Divorce or legal separation"
    DEATH_OF_SPOUSE = "death_of_spouse", "Death of spouse"
    INCREASE_IN_HOURS = "increase_in_hours", "Increase in hours"
    RETURN_FROM_LEAVE = "return_from_leave", "Return from leave of absence"
    SPOUSE_LOSES_COVERAGE = "spouse_loses_coverage", "Spouse loses coverage at their employer"
    SPOUSE_OPEN_ENROLLMENT = "spouse_open_enrollment", "Spouse open enrollment"
    DEPENDENT_LOSS_OF_COVERAGE = "dependent_loss_of_coverage", "Dependent loss of coverage"


class TerminationReason(TextChoices):
    VOLUNTARY = "voluntary", "Voluntary termination"
    INVOLUNTARY = "involuntary", "Involuntary termination"
    DEATH = "death", "Death of employee"
    REDUCTION_IN_FORCE = "reduction_in_force", "Reduction in force"
    RETIREMENT = "retirement", "Retirement"
    GROSS_MISCONDUCT = "gross_misconduct", "Gross misconduct"
    OTHER = "other", "Other"


class QualifyingEventType(TextChoices):
    TERMINATION = "termination", "Termination of employment"
    REDUCTION_OF_HOURS = "reduction_of_hours", "Reduction of hours"
    DEATH = "death", "Death of the employee"
    DIVORCE = "divorce", "Divorce or legal separation"
    MEDICARE = "medicare", "Employee entitled to Medicare"
    DEPENDENT_AGE_OFF = "dependent_age_off", "Loss of dependent-child status"
    MILITARY_LEAVE = "military_leave", "Military leave"
    LOSS_OF_ELIGIBILITY = "loss_of_eligibility", "Loss of eligibility for benefits"
    OTHER = "other", "Other"


class EventSource(TextChoices):
    """The path through which a coverage loss was entered (seed 001)."""
    TERMINATION_TOOL = "termination_tool", "Termination tool"
    LIFE_EVENT = "life_event", "Life event (update benefits)"
    ENROLLMENT_EDITOR = "enrollment_editor", "Enrollment editor"
    SYSTEM_DROP = "system_drop", "System dropped dependent"
    IMPORT = "import", "Census import"
    CLASS_CHANGE = "class_change", "Class change"
