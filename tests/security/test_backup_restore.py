"""`make backup` / `make restore` round trip (issue 7, failure): the test database, migrated and filled through the
factories, is backed up with `make backup`, restored with `make restore` into a scratch database, and both are
compared table by table (row counts and content) and sequence by sequence. A restore without CONFIRM=yes refuses
and leaves the target alone; a second restore over the restored database (--clean) gives the same result.
"""

import datetime
import os
import shutil
import subprocess
import uuid
from decimal import Decimal
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.factories import CreditRecordFactory, DemandClaimFactory, LoanFactory, SmeUserFactory
from xinyidai.notifications import notify

TABLES = """SELECT table_name FROM information_schema.tables
            WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"""


def _url(name: str) -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
    return f"postgres://{quote(db['USER'], safe='')}{password}@{host}/{name}"


def _connect(name: str) -> psycopg.Connection:
    return psycopg.connect(_url(name), autocommit=True)


def _make(target: str, **variables) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MAKELEVEL")}
    env.update(variables)
    return subprocess.run(
        ["make", "--no-print-directory", "-s", target],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _snapshot(name: str) -> dict:
    """Per table: (row count, digest of the rows' text); per sequence: its position."""
    with _connect(name) as db:
        tables = [row[0] for row in db.execute(TABLES)]
        result = {}
        for table in tables:
            count, digest = db.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) FROM \"{table}\" t"  # noqa: S608 - names from the catalogue
            ).fetchone()
            result[table] = (count, digest)
        sequences = db.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
        result["(sequences)"] = sequences
    return result


@pytest.fixture
def scratch():
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"[:63]
    with _connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _connect("postgres") as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fill() -> None:
    """Rows in the main tables, through the factories (committed: the test is transactional)."""
    today = timezone.localdate()
    loan = LoanFactory(principal=Decimal("1234567.89"), outstanding_balance=Decimal("1000000.00"))
    for days in (10, 400, 2000):
        CreditRecordFactory(enterprise=loan.enterprise, decision_date=today - datetime.timedelta(days=days))
    DemandClaimFactory()
    sme = SmeUserFactory(email="backup@example.com")
    notify(users=[sme], kind="application_accepted", params={"number": "XYD1", "institution": "某银行"})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_round_trip_every_table(scratch, tmp_path):
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.fail("pg_dump / pg_restore missing: `make sysdeps` installs postgresql-client")
    _fill()
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "xinyidai.dump"

    backup = _make("backup", DATABASE_URL=_url(source), BACKUP_FILE=str(dump))
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0 and not (tmp_path / "xinyidai.dump.partial").exists()
    assert f"written to {dump}" in backup.stdout

    refused = _make("restore", DATABASE_URL=_url(scratch), BACKUP_FILE=str(dump))
    assert refused.returncode != 0 and "CONFIRM=yes" in refused.stderr
    assert _snapshot(scratch) == {"(sequences)": []}  # nothing was touched

    expected = _snapshot(source)
    assert expected["creditinfo_creditrecord"][0] >= 3 and expected["lending_loan"][0] == 1
    assert expected["xinyidai_notification"][0] == 1 and len(expected) > 50  # every app's tables
    for attempt in ("into the empty database", "over the restored one (--clean)"):
        restored = _make("restore", DATABASE_URL=_url(scratch), BACKUP_FILE=str(dump), CONFIRM="yes")
        assert restored.returncode == 0, (attempt, restored.stderr)
        assert _snapshot(scratch) == expected, attempt


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    result = _make("backup", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", BACKUP_FILE=str(tmp_path / "x.dump"))
    assert result.returncode != 0 and "PostgreSQL" in result.stderr
    assert not (tmp_path / "x.dump").exists()
