"""SSNs encrypted at rest with AES-256-GCM (one call into `cryptography` per value).

The first version used django-fernet-encrypted-fields. Fernet decrypts in Python-level steps (base64, HMAC, CBC,
unpadding) at about 10 us a value, which was most of the time of building a 100,000-member vendor file; AES-GCM is
authenticated encryption too and decrypts in well under a microsecond. Keys come from the same settings as before
(SECRET_KEY, SECRET_KEY_FALLBACKS, SALT_KEY, each may be a list): new values use the first key, reading tries them
all, so keys can be rotated. Values written by the old field (Fernet tokens) are still read; migration
enrollments 0003 re-encrypts them.

A value that no key decrypts raises `Undecryptable` instead of being handed back as text: the old library returned
the ciphertext, which a save would then have hashed and stored as if it were the SSN.
"""
import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models

PREFIX = "g1:"  # then base64 of nonce + ciphertext + tag
_BODY = len(PREFIX)
_NONCE = 12
_KDF_ITERATIONS = 100_000


class Undecryptable(ValueError):
    """No configured key decrypts a stored value (wrong SECRET_KEY / SALT_KEY, or a damaged value)."""


def _key_pairs():
    salts = settings.SALT_KEY if isinstance(settings.SALT_KEY, list) else [settings.SALT_KEY]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return tuple((secret, salt) for secret in secrets for salt in salts)


def _derive(secret, salt, label):
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=label + salt.encode(), iterations=_KDF_ITERATIONS)
    return kdf.derive(secret.encode())


_keys = {}  # derived once per process (PBKDF2 is slow on purpose); cleared when a test overrides the settings


def _ciphers():
    if "gcm" not in _keys:
        _keys["gcm"] = [AESGCM(_derive(secret, salt, b"cobra-admin aes-gcm:")) for secret, salt in _key_pairs()]
    return _keys["gcm"]


def _legacy():
    """The old field's keys: PBKDF2 of the secret with the bare salt, as a Fernet key."""
    if "fernet" not in _keys:
        _keys["fernet"] = MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(secret, salt, b"")))
                                       for secret, salt in _key_pairs()])
    return _keys["fernet"]


def _settings_changed(setting, **kwargs):
    if setting in ("SECRET_KEY", "SECRET_KEY_FALLBACKS", "SALT_KEY"):
        _keys.clear()


setting_changed.connect(_settings_changed)


def encrypt(plain):
    cipher = _ciphers()[0]
    nonce = os.urandom(_NONCE)
    return PREFIX + binascii.b2a_base64(nonce + cipher.encrypt(nonce, plain.encode(), None), newline=False).decode()


def decrypt(token):
    """The plain text of a stored value (ours or the old field's Fernet token); `Undecryptable` if no key fits."""
    if token.startswith(PREFIX):
        try:
            raw = binascii.a2b_base64(token[_BODY:])
        except ValueError:
            raise Undecryptable("A stored encrypted value is damaged.") from None
        nonce, body = raw[:_NONCE], raw[_NONCE:]
        for cipher in _ciphers():
            try:
                return cipher.decrypt(nonce, body, None).decode()
            except InvalidTag:
                continue
        raise Undecryptable("A stored encrypted value does not decrypt: check SECRET_KEY and SALT_KEY.")
    try:
        return _legacy().decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise Undecryptable("A stored encrypted value does not decrypt: check SECRET_KEY and SALT_KEY.") from None


def is_current(token):
    return token.startswith(PREFIX)


class EncryptedCharField(models.CharField):
    """A CharField stored encrypted in a text column; Python code only ever sees the plain value."""

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return encrypt(str(value)) if value else None
