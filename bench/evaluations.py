"""Benchmark of the set-based evaluation recompute (issue 4, item 5): every enterprise of a database, on PostgreSQL.

    .venv/bin/python -m bench.evaluations --database-url postgres://postgres@127.0.0.1:5432/xinyidai_province
    .venv/bin/python -m bench.evaluations --database-url ... --runs 2 --scale province

Runs creditinfo.services.evaluations.evaluations_recompute() (all enterprises) `--runs` times in this process
(the first run on an empty evaluation table inserts, later runs update), and reports enterprises/s, elapsed time,
the phases (aggregate + score + COPY, then the upsert) and the process's peak RSS. Writes
bench/results/evaluations-<scale>-<UTC timestamp>.json. Target: 1,000,000 enterprises in under 300 s.
It writes evaluations, so it refuses CI's databases.
"""

import argparse
import datetime
import json
import logging
import os
import platform
import resource
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CI_DATABASES = {"xinyidai", "test_xinyidai"}
TARGET_ENTERPRISES, TARGET_SECONDS = 1_000_000, 300.0


class PhaseLog(logging.Handler):
    """Keeps the (copy seconds, upsert seconds) the service logs after each run."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.phases = []

    def emit(self, record):
        if record.msg.startswith("phases:"):
            self.phases.append(record.args)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _git() -> dict:
    def run(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": run("rev-parse", "--short=12", "HEAD"), "dirty": bool(run("status", "--porcelain"))}


def _counts(cursor) -> dict:
    today = datetime.date.today()
    cursor.execute("SELECT count(*) FROM creditinfo_enterprise")
    enterprises = cursor.fetchone()[0]
    cursor.execute(
        "SELECT count(*), count(*) FILTER (WHERE status IN ('active', 'disputed') AND decision_date <= %s"
        " AND (publish_until IS NULL OR publish_until >= %s)) FROM creditinfo_creditrecord",
        [today, today],
    )
    records, published = cursor.fetchone()
    return {"enterprises": enterprises, "records": records, "published_records": published}


def _scale_label(enterprises: int) -> str:
    return f"{enterprises // 1_000_000}m" if enterprises >= 1_000_000 else f"{enterprises // 1000}k"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env_url = os.environ.get("DATABASE_URL")
    parser.add_argument("--database-url", default=env_url, required=env_url is None)
    parser.add_argument("--runs", type=int, default=1, help="full recomputes in a row (default 1)")
    parser.add_argument("--scale", help="label for the result file (default: from the enterprise count)")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    name = urlsplit(args.database_url).path.lstrip("/")
    if name in CI_DATABASES or not args.database_url.startswith("postgres"):
        parser.error(f"refusing {name!r}: give a PostgreSQL benchmark database (this writes evaluations)")
    os.environ.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="xinyidai.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
    )
    import django

    django.setup()
    from django.db import connection

    from creditinfo import scoring
    from creditinfo.services import evaluations

    phase_log = PhaseLog()
    evaluations.logger.addHandler(phase_log)
    evaluations.logger.setLevel(logging.DEBUG)

    with connection.cursor() as cursor:
        counts = _counts(cursor)
    scale = args.scale or _scale_label(counts["enterprises"])
    started_at = datetime.datetime.now(datetime.UTC)
    rss_before = _peak_rss_mib()
    runs = []
    for n in range(args.runs):
        t0 = time.perf_counter()
        done = evaluations.evaluations_recompute()
        elapsed = time.perf_counter() - t0
        copy_s, upsert_s = phase_log.phases[-1] if phase_log.phases else (None, None)
        runs.append(
            {
                "run": n + 1,
                "enterprises": done,
                "elapsed_s": round(elapsed, 2),
                "enterprises_per_s": round(done / elapsed) if elapsed else None,
                "aggregate_score_copy_s": round(copy_s, 2) if copy_s is not None else None,
                "upsert_s": round(upsert_s, 2) if upsert_s is not None else None,
                "peak_rss_mib": round(_peak_rss_mib(), 1),
            }
        )
        print(
            f"run {n + 1}: {done:,} enterprises in {elapsed:.1f} s = {done / elapsed:,.0f}/s "
            f"(aggregate+score+copy {copy_s:.1f} s, upsert {upsert_s:.1f} s), peak RSS {_peak_rss_mib():.0f} MiB"
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT grade, count(*) FROM creditinfo_evaluation GROUP BY grade ORDER BY grade")
        grades = dict(cursor.fetchall())
        cursor.execute("SELECT round(avg(score)) FROM creditinfo_evaluation")
        mean_score = float(cursor.fetchone()[0] or 0)

    best = min(r["elapsed_s"] for r in runs)
    rate = counts["enterprises"] / best if best else 0
    projected = TARGET_ENTERPRISES / rate if rate else None
    result = {
        "benchmark": "evaluations_recompute",
        "scale": scale,
        "started_at": started_at.isoformat(timespec="seconds"),
        "database": name,
        "model_version": scoring.MODEL_VERSION,
        "chunk": evaluations.CHUNK,
        "data": counts,
        "runs": runs,
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "peak_rss_mib_before_runs": round(rss_before, 1),
        "grades": grades,
        "mean_score": mean_score,
        "target": {
            "enterprises": TARGET_ENTERPRISES,
            "seconds": TARGET_SECONDS,
            "projected_seconds_for_target": round(projected, 1) if projected else None,
            "met": counts["enterprises"] >= TARGET_ENTERPRISES and best < TARGET_SECONDS,
            "measured_at_target_scale": counts["enterprises"] >= TARGET_ENTERPRISES,
        },
        "machine": {
            "nproc": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": platform.python_version(),
        },
        "git": _git(),
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    path = args.output_dir / f"evaluations-{scale}-{stamp}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    verdict = "MET" if result["target"]["met"] else ("MISS" if result["target"]["measured_at_target_scale"] else "n/a")
    print(
        f"{counts['enterprises']:,} enterprises, {counts['records']:,} records ({counts['published_records']:,} "
        f"published); best {best:.1f} s; projected for 1M: {projected:.0f} s; target (1M < 300 s): {verdict}"
    )
    print(f"grades: {grades}; wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
