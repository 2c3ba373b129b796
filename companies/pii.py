"""One place for PII: normalising, hashing and masking SSNs and birth dates."""
import hashlib
import hmac
import logging
import re

from django.conf import settings

SSN_SHAPE = re.compile(r"^\d{3}-?\d{2}-?\d{4}$")
_SSN_IN_TEXT = re.compile(r"\b\d{3}-?\d{2}-?\d{4}\b")
SSN_PERMISSION = "enrollments.view_ssn"


def ssn_normalize(raw):
    """'123-45-6789' or '123456789' -> '123456789'; None when blank; ValueError when malformed."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    if not SSN_SHAPE.match(text):
        raise ValueError("SSN must be NNN-NN-NNNN or 9 digits")
    return text.replace("-", "")


def ssn_hash(digits):
    """Keyed hash so SSNs can be matched without decrypting them."""
    if not digits:
        return ""
    return hmac.new(settings.SSN_HASH_KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()


def ssn_mask(last4):
    return f"***-**-{last4}" if last4 else ""


def ssn_format(digits):
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if digits else ""


def dob_mask(dob):
    return f"**/**/{dob.year}" if dob else ""


def can_view_ssn(user):
    return bool(user and user.is_authenticated and user.has_perm(SSN_PERMISSION))


class MaskPIIFilter(logging.Filter):
    """Masks anything shaped like an SSN in a log record, whatever logged it."""

    def filter(self, record):
        message = record.getMessage()
        masked = _SSN_IN_TEXT.sub("***-**-****", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
