"""Shared fixtures. PostgreSQL-only and worker tests skip with a reason outside CI and fail inside it."""

import os

import pytest
from django.db import connection

REQUIRE_SERVICES = os.environ.get("XINYIDAI_REQUIRE_SERVICES") == "1"


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return [f"database: {db['ENGINE']} {db.get('NAME')}", f"broker: {os.environ.get('XINYIDAI_TEST_BROKER_URL', '-')}"]


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if REQUIRE_SERVICES and not on_postgres:
        raise pytest.UsageError("CI requires PostgreSQL: set DATABASE_URL to a running server.")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL or start it at 127.0.0.1:5432)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


MIGRATION_DATA = [
    # (module, function): data migrations whose rows tests may rely on (the standard credit data sources,
    # the provincial target). A transactional test's flush deletes them; they are put back after it.
    ("creditinfo.migrations.0003_standard_sources", "create_sources"),
    ("lending.migrations.0005_seed_province_target", "seed"),
]


@pytest.fixture(autouse=True)
def _migration_data_in_transactional_tests(request):
    """Transactional tests start after another one's flush: give them the rows data migrations create, as a
    freshly migrated database has (instead of `serialized_rollback`, whose reload collides with the content
    types that the flush's post_migrate recreates under other ids)."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    for module, function in MIGRATION_DATA:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters (xinyidai.ratelimits) live in the per-process cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def broker_url():
    url = os.environ.get("XINYIDAI_TEST_BROKER_URL")
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail("CI requires Redis for worker tests: XINYIDAI_TEST_BROKER_URL is not set.")
        pytest.skip("needs a Celery broker (Redis at 127.0.0.1:6379)")
    return url


@pytest.fixture
def reference_data(db):
    """The real reference data: Henan regions, GB/T 4754 industries, the size standard, tags."""
    from django.core.management import call_command

    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture(autouse=True)
def _default_language():
    """LocaleMiddleware leaves the last request's language active in the thread; start each test in Chinese."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
