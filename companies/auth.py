"""Login lockout: after LOGIN_FAILURE_LIMIT failures a username is refused for LOGIN_LOCKOUT_SECONDS."""
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied


def _key(username):
    return f"login-failures:{(username or '').lower()}"


def login_failures(username):
    return cache.get(_key(username), 0)


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if login_failures(username) >= settings.LOGIN_FAILURE_LIMIT:
            raise PermissionDenied("Too many failed logins; try again later.")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            cache.set(_key(username), login_failures(username) + 1, settings.LOGIN_LOCKOUT_SECONDS)
        else:
            cache.delete(_key(username))
        return user
