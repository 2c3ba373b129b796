import pytest

from exchange.tests import helpers


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def acme(db):
    return helpers.vendor("acme")


@pytest.fixture
def alpha_acme(world, acme):
    return helpers.connect(world.alpha, acme)
