"""Recompute the advisory credit evaluations (creditinfo.scoring) for many enterprises at once, set-based.

PostgreSQL: ONE aggregation (enterprise LEFT JOIN its published records, GROUP BY enterprise) read through a
server-side cursor in chunks, each chunk scored in Python and COPYed into a temporary staging table, then one
INSERT ... ON CONFLICT (enterprise_id) DO UPDATE. Memory stays constant whatever the number of enterprises.
Other databases (SQLite in development): the same features computed by scoring.features_from_records per
chunk, written with bulk_create(update_conflicts=True).
"""

import datetime
import json
import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from creditinfo import scoring
from creditinfo.models import NEGATIVE_CATEGORIES, CreditRecord, Enterprise, Evaluation
from creditinfo.scoring import EnterpriseFeatures, RecordFacts, RepairableRecord

logger = logging.getLogger(__name__)

CHUNK = 5000
PUBLISHED = (CreditRecord.Status.ACTIVE, CreditRecord.Status.DISPUTED)
_NEG = ", ".join(f"'{c}'" for c in sorted(NEGATIVE_CATEGORIES))

# ORDER BY costs nothing with the merge-join plan PostgreSQL picks for all enterprises, and makes concurrent runs
# (an import's and a repair's) upsert rows in the same order, so they wait for each other instead of deadlocking.
# Column order = the order `_features_from_row` reads. The record conventions (a penalty without severity counts
# as general, arrears and broken-commitment markers) are scoring.features_from_records', which tests hold it to.
FEATURES_SQL = f"""
SELECT e.id,
       (e.created_at AT TIME ZONE %(tz)s)::date,
       min(r.decision_date) FILTER (WHERE r.category = 'registration'),
       count(*) FILTER (WHERE r.category = 'penalty' AND r.severity = 'minor'),
       count(*) FILTER (WHERE r.category = 'penalty' AND r.severity NOT IN ('minor', 'serious')),
       count(*) FILTER (WHERE r.category = 'penalty' AND r.severity = 'serious'),
       count(*) FILTER (WHERE r.category = 'abnormal_operation'),
       count(*) FILTER (WHERE r.category = 'serious_dishonesty'),
       count(*) FILTER (WHERE r.category = 'judgment_debtor'),
       max(r.decision_date) FILTER (WHERE r.category IN ({_NEG})),
       (array_agg(r.title ORDER BY r.decision_date DESC, r.id DESC) FILTER (WHERE r.category = 'tax_grade'))[1],
       count(*) FILTER (WHERE r.category = 'utility'),
       count(*) FILTER (WHERE r.category = 'social_insurance' AND strpos(r.title, %(arrears)s) > 0),
       count(*) FILTER (WHERE r.category = 'social_insurance' AND strpos(r.title, %(arrears)s) = 0),
       count(*) FILTER (WHERE r.category = 'honour'),
       count(*) FILTER (WHERE r.category = 'commitment'
                          AND strpos(r.title, %(broken)s) = 0 AND strpos(r.detail, %(broken)s) = 0),
       count(*) FILTER (WHERE r.category = 'commitment'
                          AND (strpos(r.title, %(broken)s) > 0 OR strpos(r.detail, %(broken)s) > 0)),
       count(*) FILTER (WHERE r.category = 'intellectual_property'),
       (array_agg(ARRAY[r.id::text, r.title, r.category, r.severity, r.decision_date::text]
                  ORDER BY CASE r.severity WHEN 'serious' THEN 3 WHEN 'minor' THEN 1 ELSE 2 END DESC,
                           r.decision_date DESC, r.id DESC)
            FILTER (WHERE r.category IN ({_NEG})))[1:{scoring.REPAIRABLE_SHOWN}]
FROM creditinfo_enterprise e
LEFT JOIN creditinfo_creditrecord r
       ON r.enterprise_id = e.id
      AND r.status IN ('active', 'disputed')
      AND r.decision_date <= %(today)s
      AND (r.publish_until IS NULL OR r.publish_until >= %(today)s)
{{where}}
GROUP BY e.id
ORDER BY e.id
"""  # noqa: S608 - only constants are interpolated; values are bound parameters  # nosec B608

STAGE_COLUMNS = ("enterprise_id", "score", "grade", "factors", "improvements")
UPSERT_SQL = """
INSERT INTO creditinfo_evaluation (enterprise_id, score, grade, factors, improvements, model_version, computed_at)
SELECT enterprise_id, score, grade, factors, improvements, %(version)s, %(now)s FROM evaluation_stage
ON CONFLICT (enterprise_id) DO UPDATE
   SET score = EXCLUDED.score, grade = EXCLUDED.grade, factors = EXCLUDED.factors,
       improvements = EXCLUDED.improvements, model_version = EXCLUDED.model_version,
       computed_at = EXCLUDED.computed_at
"""


def evaluations_recompute(*, enterprise_ids=None, batch_id=None) -> int:
    """Recompute and store the evaluation of the given enterprises (all when both are None); returns the count."""
    if enterprise_ids is not None:
        enterprise_ids = sorted({int(pk) for pk in enterprise_ids})
        if not enterprise_ids:
            return 0
    today, now = timezone.localdate(), timezone.now()
    if connection.vendor == "postgresql":
        count = _recompute_postgres(enterprise_ids=enterprise_ids, batch_id=batch_id, today=today, now=now)
    else:
        count = _recompute_portable(enterprise_ids=enterprise_ids, batch_id=batch_id, today=today, now=now)
    logger.info("evaluations recomputed: %d (ids=%s, batch=%s)", count, enterprise_ids is not None, batch_id)
    return count


# --- PostgreSQL: one aggregation, COPY, one upsert ------------------------------------------------------------


def _scope_sql(*, enterprise_ids, batch_id) -> tuple[str, dict]:
    clauses, params = [], {}
    if enterprise_ids is not None:
        clauses.append("e.id = ANY(%(ids)s)")
        params["ids"] = enterprise_ids
    if batch_id is not None:
        # Any record of the batch, published or not: an update may just have taken a record out of publication.
        clauses.append("e.id IN (SELECT b.enterprise_id FROM creditinfo_creditrecord b WHERE b.batch_id = %(batch)s)")
        params["batch"] = batch_id
    return ("WHERE " + " AND ".join(clauses) if clauses else ""), params


def _features_from_row(row, today) -> EnterpriseFeatures:
    (pk, created_on, registered_on, *counts, latest_negative, tax_title) = row[:11]
    counts_a = dict(zip(scoring.COUNT_FIELDS[:6], counts, strict=True))
    counts_b = dict(zip(scoring.COUNT_FIELDS[6:], row[11:18], strict=True))
    repairable = tuple(
        RepairableRecord(int(rid), title, category, severity, datetime.date.fromisoformat(decided))
        for rid, title, category, severity, decided in (row[18] or ())
    )
    return EnterpriseFeatures(
        enterprise_id=pk,
        as_of=today,
        registered_on=registered_on or created_on,
        latest_negative_on=latest_negative,
        tax_grade=scoring.tax_grade_of(tax_title) if tax_title else None,
        repairable=repairable,
        **counts_a,
        **counts_b,
    )


def _stage_row(features: EnterpriseFeatures) -> tuple:
    result = scoring.score(features)
    return (
        features.enterprise_id,
        result.score,
        result.grade,
        json.dumps(result.factors, ensure_ascii=False),
        json.dumps(result.improvements, ensure_ascii=False),
    )


def _recompute_postgres(*, enterprise_ids, batch_id, today, now) -> int:
    where, params = _scope_sql(enterprise_ids=enterprise_ids, batch_id=batch_id)
    params.update(tz=settings.TIME_ZONE, today=today, arrears=scoring.ARREARS_MARK, broken=scoring.BROKEN_MARK)
    count, started = 0, time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE evaluation_stage (enterprise_id bigint, score smallint, grade varchar(1),"
            " factors jsonb, improvements jsonb) ON COMMIT DROP"
        )
        with connection.chunked_cursor() as reader:  # a server-side cursor: rows arrive chunk by chunk
            reader.execute(FEATURES_SQL.format(where=where), params)  # noqa: S608 - `where` is built from constants
            while rows := reader.fetchmany(CHUNK):
                staged = [_stage_row(_features_from_row(row, today)) for row in rows]
                with cursor.copy(f"COPY evaluation_stage ({', '.join(STAGE_COLUMNS)}) FROM STDIN") as copy:
                    for item in staged:
                        copy.write_row(item)
                count += len(staged)
        staged_at = time.perf_counter()
        cursor.execute(UPSERT_SQL, {"version": scoring.MODEL_VERSION, "now": now})
        # ON COMMIT DROP does not fire while the caller's transaction goes on (a task inside a request, tests).
        cursor.execute("DROP TABLE evaluation_stage")
    # Phase timings for bench.evaluations (it reads this record's args).
    upserted = time.perf_counter() - staged_at
    logger.debug("phases: aggregate+score+copy %.3f s, upsert %.3f s", staged_at - started, upserted)
    return count


# --- other databases: the reference computation in Python --------------------------------------------------


def _recompute_portable(*, enterprise_ids, batch_id, today, now) -> int:
    enterprises = Enterprise.objects.order_by("pk")
    if enterprise_ids is not None:
        enterprises = enterprises.filter(pk__in=enterprise_ids)
    if batch_id is not None:
        enterprises = enterprises.filter(pk__in=CreditRecord.objects.filter(batch_id=batch_id).values("enterprise_id"))
    pairs = list(enterprises.values_list("pk", "created_at"))
    count = 0
    with transaction.atomic():
        for start in range(0, len(pairs), CHUNK):
            chunk = pairs[start : start + CHUNK]
            by_enterprise = records_by_enterprise([pk for pk, _created in chunk])
            evaluations = []
            for pk, created_at in chunk:
                features = scoring.features_from_records(
                    enterprise_id=pk,
                    created_on=timezone.localdate(created_at),
                    records=by_enterprise.get(pk, ()),
                    today=today,
                )
                result = scoring.score(features)
                evaluations.append(
                    Evaluation(
                        enterprise_id=pk,
                        score=result.score,
                        grade=result.grade,
                        factors=result.factors,
                        improvements=result.improvements,
                        model_version=result.model_version,
                        computed_at=now,
                    )
                )
            Evaluation.objects.bulk_create(
                evaluations,
                update_conflicts=True,
                unique_fields=["enterprise"],
                update_fields=["score", "grade", "factors", "improvements", "model_version", "computed_at"],
            )
            count += len(evaluations)
    return count


def records_by_enterprise(enterprise_ids) -> dict[int, list[RecordFacts]]:
    """The published-or-not records of some enterprises as scoring.RecordFacts, grouped by enterprise id."""
    grouped: dict[int, list[RecordFacts]] = {}
    rows = CreditRecord.objects.filter(enterprise_id__in=enterprise_ids, status__in=PUBLISHED).values_list(
        "enterprise_id", "id", "category", "severity", "decision_date", "publish_until", "status", "title", "detail"
    )
    for enterprise_id, *fields in rows.order_by():
        grouped.setdefault(enterprise_id, []).append(RecordFacts(*fields))
    return grouped
