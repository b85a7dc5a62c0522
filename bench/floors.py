"""The two floors each endpoint is held against.

Framework floor: /healthz/ through the same gunicorn (Django's middleware and a tiny JSON, no database):
what a request costs before any endpoint work. Driven by bench.client like any endpoint.

Database floor: the statements the endpoint runs, exactly as Django sent them, replayed through psycopg
with no Django in between: what the endpoint would cost if Python were free. Django's psycopg 3 backend
binds parameters client-side (ClientCursor) unless OPTIONS["server_side_binding"] is set, so the SQL
that CaptureQueriesContext reports is the very text PostgreSQL received; bench.capture records it.

Replay runs in autocommit, as Django does: Django 5 reports BEGIN and COMMIT (and savepoints) among the
captured statements, so the replay opens and closes transactions where the endpoint did. A write's COMMIT is
replayed as ROLLBACK, so that it can run again and again (its INSERTs would otherwise collide with their
own unique values): the floor of a write leaves out the commit's WAL flush. Each concurrent replayer uses
its own captured instance (a different application row), so replayers never wait on each other's row locks.
"""

import asyncio
import re
import time
from collections import Counter

import psycopg

from bench.client import summarize

# Django reads ModelChoiceField options (e.g. a filter form's <select>) through QuerySet.iterator(), a named
# server-side cursor: only the DECLARE is captured, psycopg then fetches in chunks and closes it.
DECLARE = re.compile(r'^DECLARE "([^"]+)"')
ITERATOR_CHUNK = 2000  # django.db.models.sql.constants.GET_ITERATOR_CHUNK_SIZE


async def _connect(database_url: str) -> psycopg.AsyncConnection:
    # prepare_threshold=None: never server-prepare, like Django's client-side-binding cursor.
    conn = await psycopg.AsyncConnection.connect(database_url, autocommit=True, prepare_threshold=None)
    await conn.execute("SELECT set_config('TimeZone', 'UTC', false)")  # what Django sets on its connections
    return conn


def replayable(statements: list[str | None], *, transactional: bool) -> list[str]:
    """The captured statements as replayed: a write's COMMIT becomes ROLLBACK (see the module docstring)."""
    out = [s for s in statements if s]
    if transactional:
        out = ["ROLLBACK" if s.strip().upper() == "COMMIT" else s for s in out]
        if any(s.strip().upper() == "BEGIN" for s in out):
            return out
        return ["BEGIN", *out, "ROLLBACK"]  # no transaction captured: still never keep what it wrote
    return out


async def _run_once(conn: psycopg.AsyncConnection, statements: list[str], transactional: bool) -> None:
    async with conn.cursor() as cursor:
        for sql in statements:
            await cursor.execute(sql.encode())  # bytes: no placeholder parsing, sent as captured
            if cursor.description is not None:
                await cursor.fetchall()
            elif declared := DECLARE.match(sql):
                name = declared.group(1).replace('"', '""')
                while True:  # what Django's chunked fetch of a server-side cursor sends
                    await cursor.execute(f'FETCH FORWARD {ITERATOR_CHUNK} FROM "{name}"'.encode())
                    if len(await cursor.fetchall()) < ITERATOR_CHUNK:
                        break
                await cursor.execute(f'CLOSE "{name}"'.encode())
    if transactional and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        await conn.execute("ROLLBACK")


async def replay(
    database_url: str,
    instances: list[list[str]],
    *,
    transactional: bool,
    concurrency: int,
    count: int | None = None,
    duration: float | None = None,
    warmup: int = 0,
    keep_raw: bool = False,
) -> dict:
    """Run an endpoint's statements as one unit, `concurrency` connections at a time; stats per unit."""
    instances = [replayable(statements, transactional=transactional) for statements in instances]
    conns = [await _connect(database_url) for _ in range(concurrency)]
    try:
        for i in range(warmup):
            await _run_once(conns[0], instances[i % len(instances)], transactional)
        latencies: list[float] = []
        statuses: Counter = Counter()
        issued = 0
        start = time.perf_counter()
        deadline = start + duration if duration else float("inf")

        async def worker(index: int) -> None:
            nonlocal issued
            statements = instances[index % len(instances)]
            while time.perf_counter() < deadline and (count is None or issued < count):
                issued += 1
                began = time.perf_counter()
                try:
                    await _run_once(conns[index], statements, transactional)
                    statuses["ok"] += 1
                except psycopg.Error as error:
                    statuses[f"error:{type(error).__name__}"] += 1
                    if conns[index].info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                        await conns[index].execute("ROLLBACK")
                latencies.append(time.perf_counter() - began)

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        stats = summarize(latencies, statuses, time.perf_counter() - start, keep_raw=keep_raw)
        stats["errors"] = sum(n for status, n in statuses.items() if status != "ok")
        return stats
    finally:
        for conn in conns:
            await conn.close()
