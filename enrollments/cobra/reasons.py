"""Change reasons that end coverage and trigger COBRA outside the termination tool (seed 001).

Termination-tool and import reasons are codes.TerminationReason; the enrollment editor reuses
those for its termination reasons (voluntary, involuntary, death, reduction in force,
retirement, other). rules.qualifying_event_for maps every reason to its qualifying event.
Values are stored on QualifyingEvent.reason: never rename one.
"""
from django.db.models import TextChoices


class CobraChangeReason(TextChoices):
    """Seed 001 "Events that trigger COBRA on the Qualifying Event file".

    Life events (update benefits) offer the first six; the enrollment editor offers all but
    "dependent leaves or completes college", plus the termination reasons.
    """
    REDUCTION_IN_HOURS = "reduction_in_hours", "Reduction in hours (COBRA)"
    MILITARY_LEAVE = "military_leave", "Military leave (COBRA)"
    NO_LONGER_ELIGIBLE = "no_longer_eligible", "No longer eligible for benefits (COBRA)"
    DIVORCE = "divorce", "Divorce or legal separation (COBRA)"
    DEPENDENT_LEAVES_COLLEGE = "dependent_leaves_college", "Dependent leaves or completes college"
    DEPENDENT_OVER_AGE = "dependent_over_age", "Drop coverage when dependent over eligible age"
    AUTOMATED_LOSS_OF_DEPENDENT_ELIGIBILITY = (
        "automated_loss_of_dependent_eligibility", "Automated loss of dependent eligibility")
    LOSS_OF_DEPENDENT_CHILD_STATUS = "loss_of_dependent_child_status", "Loss of dependent child status"
    MEDICARE = "medicare", "Covered employee becoming entitled to Medicare"
    DEPENDENT_CHANGE = "dependent_change", "Dependent change (add/delete/modify)"
    OTHER_COBRA = "other_cobra", "Other (COBRA)"


class ClassChangeDrop(TextChoices):
    """Seed 001 "Class changes": HR drops an enrollment the new class is not eligible for, and says
    whether the drop warrants COBRA (skipping the drop is no event at all)."""
    DROP_COBRA = "drop_cobra", "Drop: COBRA applies"
    DROP_NO_COBRA = "drop_no_cobra", "Drop: no COBRA"
