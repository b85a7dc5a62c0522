"""Appending to and verifying the audit trail (xinyidai.models_audit).

`audit_record()` appends one event inside the caller's transaction: a rolled-back action leaves no event. On
PostgreSQL appends are serialised by a transaction-level advisory lock (held until the caller commits), then the
head (seq, hash) is read through the unique seq index and the next event inserted: three queries. Services call
it as their last step, after their row locks, so that the lock is held briefly and always taken last.
"""

import contextvars
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from xinyidai.models_audit import GENESIS_HASH, AuditEvent, normalise_data
from xinyidai.ratelimits import client_ip

Action = AuditEvent.Action
AUDIT_LOCK_KEY = 0x58594441  # "XYDA": the advisory lock that serialises appends
VERIFY_CHUNK = 2000

# The request being served, set by AuditRequestMiddleware, so that services deep below a view record the
# client's address without every signature carrying the request.
current_request: contextvars.ContextVar = contextvars.ContextVar("xinyidai_audit_request", default=None)


def audit_queries() -> int:
    """Queries one append runs: the advisory lock (PostgreSQL only), the head read and the insert."""
    return 3 if connection.vendor == "postgresql" else 2


def _address(request) -> str:
    """The client's address as `xinyidai.ratelimits.client_ip` reads it (the proxy's hop behind our proxy), if valid."""
    address = client_ip(request) if request is not None else None
    try:
        return str(ipaddress.ip_address(address or ""))
    except ValueError:
        return ""


def _object_ref(obj) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, tuple):  # (type label, id) for objects not at hand as model instances
        return str(obj[0]), str(obj[1])
    return obj._meta.label_lower, str(obj.pk)


def audit_record(*, action: str, actor=None, request=None, obj=None, data=None) -> AuditEvent:
    """Append one event to the chain (in the caller's transaction, or its own). `actor` is the user who acted
    (None: anonymous or the system), `obj` a model instance or a (type, id) pair, `data` JSON-able details."""
    request = request if request is not None else current_request.get()
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    object_type, object_id = _object_ref(obj)
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_id=actor.pk if actor else None,
        actor_username=actor.get_username() if actor else "",
        actor_role=getattr(actor, "role", "") if actor else "",
        actor_institution_id=getattr(actor, "institution_id", None) if actor else None,
        actor_region_id=getattr(actor, "region_id", None) if actor else None,
        ip=_address(request),
        action=action,
        object_type=object_type[:64],
        object_id=object_id[:64],
        data=normalise_data(data),
    )
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])
        head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
        event.seq, event.prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


# --- verification --------------------------------------------------------------------------------------------


@dataclass
class ChainReport:
    """The outcome of a walk: the count and head hash of an intact chain, or the first broken link."""

    count: int = 0
    head: str = GENESIS_HASH
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def _events() -> Iterator[AuditEvent]:
    """Every event in seq order, a chunk at a time by keyset (constant memory, no long-held cursor)."""
    last = 0
    while True:
        chunk = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:VERIFY_CHUNK])
        yield from chunk
        if len(chunk) < VERIFY_CHUNK:
            return
        last = chunk[-1].seq


def audit_chain_verify() -> ChainReport:
    """Walk the whole chain: seq must run 1, 2, 3, ... without a gap, each prev_hash must be the hash before it
    and each hash must match the event's recomputed hash. Stops at the first broken link."""
    report = ChainReport()
    expected_seq, previous = 1, GENESIS_HASH
    for event in _events():
        problem = ""
        if event.seq != expected_seq:
            problem = f"sequence gap: expected seq {expected_seq}, found {event.seq} (events deleted or inserted)"
        elif event.prev_hash != previous:
            problem = f"prev_hash {event.prev_hash} does not match the hash of seq {event.seq - 1} ({previous})"
        elif event.compute_hash() != event.hash:
            problem = f"hash mismatch: stored {event.hash}, recomputed {event.compute_hash()} (row edited)"
        if problem:
            report.broken_seq, report.problem = event.seq, problem
            return report
        report.count += 1
        expected_seq, previous = event.seq + 1, event.hash
    report.head = previous
    return report
