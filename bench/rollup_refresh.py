"""Benchmark of the incremental statistics refresh (issue 5, item 6): 10,000 feedback rows, then stats_refresh().

    .venv/bin/python -m bench.rollup_refresh --database-url postgres://postgres@127.0.0.1:5432/xinyidai_province
    .venv/bin/python -m bench.rollup_refresh --database-url ... --runs 3 [--rows 10000] [--scale province]
    .venv/bin/python -m bench.rollup_refresh --database-url ... --undo bench/results/rollups-<...>.undo.json

On a seeded database (never CI's):

1. When the rollups were never built, a full rebuild (lending.rollups.stats_rebuild), timed.
2. Each run: a catch-up refresh (so the timed one covers only this run's rows), then `--rows` feedback rows
   spread over as many live loans across the province, one row per loan (a random sample): a principal
   repayment dated in the current month, or (`--balance-share` of the loans disbursed before this month) the
   month-end balance of last month, most confirming the balance the loan's feedback already implies, some
   lower by up to 5% of what is outstanding (a bank's correction). They go in as a bank sends them: one CSV
   file per bank, uploaded by an officer of its head office, through the CSV feedback import
   (lending.services.feedback_import.feedback_batch_import: per row a savepoint and the same service as the
   page and the API). The refresh each file would ask Celery for is not sent: the benchmark runs it itself.
3. The timed incremental refresh: lending.rollups.stats_refresh(); seconds, firm cells and months
   recomputed (its StatsRefresh row).
4. Checks: the province's current-month balance and credit-loan balance in the rollups equal SUM() over the
   live loans' outstanding balances (before and after), every city's too, and the rollups moved by exactly
   what the rows changed (last month: the balance corrections; this month: those and the repayments).
5. Undo (unless --keep): the repayments, events and batches the run wrote are deleted, last month's
   snapshots and the loans' balances restored from a pre-image saved before writing
   (bench/results/rollups-<scale>-<ts>.undo.json, so `--undo FILE` can finish a run that was killed);
   then a full rebuild (the undo bypasses the services, so no incremental refresh can see it), timed, and
   the province check again.

Writes bench/results/rollups-<scale>-<UTC timestamp>.json and prints a table. Target: the incremental
refresh after 10,000 rows in under 10 s.
"""

import argparse
import csv
import datetime
import io
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
CI_DATABASES = {"xinyidai", "test_xinyidai"}
TARGET_ROWS, TARGET_SECONDS = 10_000, 10.0
CENT = Decimal("0.01")
MARK = "xinyidai-bench-rollups"  # FeedbackBatch.original_name prefix and repayment reference prefix


def _git() -> dict:
    def run(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": run("rev-parse", "--short=12", "HEAD"), "dirty": bool(run("status", "--porcelain"))}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _scale_label(enterprises: int) -> str:
    if enterprises >= 1_000_000:
        return f"{enterprises // 1_000_000}m"
    return f"{enterprises // 1000}k" if enterprises >= 10_000 else str(enterprises)


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the Django side (imported after django.setup()) -------------------------------------------------------


class Bench:
    def __init__(self, args, stamp: str):
        from django.utils import timezone

        from lending.rollups import month_start, next_month

        self.args, self.stamp = args, stamp
        self.rng = random.Random(args.seed)
        self.today = timezone.localdate()
        self.this_month = month_start(self.today)
        self.last_month = month_start(self.this_month - datetime.timedelta(days=1))
        self.last_month_end = self.this_month - datetime.timedelta(days=1)
        self.next_month = next_month(self.this_month)

    # --- facts ---

    def counts(self) -> dict:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM creditinfo_enterprise), (SELECT count(*) FROM lending_loan),"
                " (SELECT count(*) FROM lending_loan WHERE status = 'live'),"
                " (SELECT count(*) FROM lending_balancesnapshot), (SELECT count(*) FROM lending_repayment),"
                " (SELECT count(*) FROM lending_loanevent), (SELECT count(*) FROM lending_statscell),"
                " (SELECT count(*) FROM lending_statsrollup),"
                " (SELECT min(month) FROM lending_balancesnapshot), (SELECT max(month) FROM lending_balancesnapshot)"
            )
            row = cursor.fetchone()
        names = ["enterprises", "loans", "live_loans", "balance_snapshots", "repayments", "loan_events",
                 "stats_cells", "stats_rollups", "first_snapshot_month", "last_snapshot_month"]  # fmt: skip
        return {n: (v.isoformat() if isinstance(v, datetime.date) else v) for n, v in zip(names, row, strict=True)}

    def check(self) -> dict:
        """The province's and every city's current-month balances in the rollups vs SUM() over live loans."""
        from django.db import connection

        from lending.models.stats import StatsRollup
        from xinyidai.models import Region

        parents = dict(Region.objects.values_list("id", "parent_id"))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT e.region_id, SUM(l.outstanding_balance),"
                " COALESCE(SUM(l.outstanding_balance) FILTER (WHERE l.guarantee_mode = '04'), 0)"
                " FROM lending_loan l JOIN creditinfo_enterprise e ON e.id = l.enterprise_id"
                " WHERE l.status = 'live' GROUP BY 1"
            )
            by_region = cursor.fetchall()
        raw: dict[int, list[Decimal]] = {}
        for region_id, balance, credit in by_region:
            node = region_id
            while node is not None:
                totals = raw.setdefault(node, [Decimal(0), Decimal(0)])
                totals[0] += balance
                totals[1] += credit
                node = parents.get(node)
        roots = [r for r, p in parents.items() if p is None]
        province = next((r for r in roots if r in raw), roots[0] if roots else None)
        cities = [r for r, p in parents.items() if p == province]
        rollups = {
            row["region_id"]: row
            for row in StatsRollup.objects.filter(
                month=self.this_month, dim="", key="", region_id__in=[province, *cities]
            ).values("region_id", "balance", "credit_loan_balance")
        }
        zero = {"balance": Decimal(0), "credit_loan_balance": Decimal(0)}
        mismatched = []
        for region_id in [province, *cities]:
            got, want = rollups.get(region_id, zero), raw.get(region_id, [Decimal(0), Decimal(0)])
            if got["balance"] != want[0] or got["credit_loan_balance"] != want[1]:
                mismatched.append(
                    {"region_id": region_id, "rollup": [str(got["balance"]), str(got["credit_loan_balance"])],
                     "raw": [str(want[0]), str(want[1])]}
                )  # fmt: skip
        got, want = rollups.get(province, zero), raw.get(province, [Decimal(0), Decimal(0)])
        return {
            "province_rollup_balance": str(got["balance"]),
            "province_raw_balance": str(want[0]),
            "province_rollup_credit_loan_balance": str(got["credit_loan_balance"]),
            "province_raw_credit_loan_balance": str(want[1]),
            "province_ok": got["balance"] == want[0] and got["credit_loan_balance"] == want[1],
            "cities_checked": len(cities),
            "mismatched": mismatched[:20],
            "ok": not mismatched,
        }

    def province_months(self) -> dict:
        """The province's rollup balance of last month and this month (for the moved-by checks)."""
        from lending.models.stats import StatsRollup
        from xinyidai.models import Region

        province = Region.objects.filter(parent__isnull=True).order_by("id").values_list("id", flat=True).first()
        rows = StatsRollup.objects.filter(
            region_id=province, dim="", key="", month__in=[self.last_month, self.this_month]
        ).values_list("month", "balance")
        got = dict(rows)
        return {"last": got.get(self.last_month, Decimal(0)), "this": got.get(self.this_month, Decimal(0))}

    def live_sum(self) -> Decimal:
        from django.db.models import Sum

        from lending.models import Loan

        return Loan.objects.filter(status=Loan.Status.LIVE).aggregate(s=Sum("outstanding_balance"))["s"] or Decimal(0)

    # --- refreshes ---

    def timed(self, label: str, fn) -> dict:
        from lending.models.stats import StatsRefresh

        log(f"{label}: started")
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        row = StatsRefresh.objects.order_by("-started_at", "-id").first()
        out = {
            "kind": result.kind,
            "seconds": round(elapsed, 3),
            "service_seconds": round(result.seconds, 3),
            "cells": result.cells,
            "months": result.months,
            "phases_seconds": {phase: round(t, 3) for phase, t in result.phases.items()},
            "stats_refresh_row": {
                "id": row.pk,
                "kind": row.kind,
                "cells": row.cells,
                "months": row.months,
                "seconds": float(row.seconds),
                "changes_since": row.changes_since.isoformat() if row.changes_since else None,
            },
        }
        if row.changes_since is not None:  # what the refresh looked at: 15 minutes before the last one began, on
            from lending.models import LoanEvent

            out["loan_events_covered"] = LoanEvent.objects.filter(created_at__gte=row.changes_since).count()
        log(f"{label}: {result.kind}, {result.cells} firm cells x {result.months} months in {elapsed:.2f} s")
        return out

    # --- the rows ---

    def sample(self, n: int, run: int) -> list[dict]:
        """`n` random live loans with something outstanding (another sample each run), with what the rows need
        of each."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [((self.args.seed + run) % 1000) / 1000])
            cursor.execute(
                """
                WITH pick AS (
                    SELECT l.id FROM lending_loan l
                     WHERE l.status = 'live' AND l.outstanding_balance >= 100 AND l.disbursed_on <= %(today)s
                     ORDER BY random() LIMIT %(n)s
                )
                SELECT l.id, l.contract_number, l.institution_id, l.disbursed_on, l.principal,
                       l.outstanding_balance,
                       (SELECT COALESCE(SUM(r.principal_amount), 0) FROM lending_repayment r
                         WHERE r.loan_id = l.id AND r.paid_on > %(last_end)s),
                       (SELECT max(s.month) FROM lending_balancesnapshot s WHERE s.loan_id = l.id),
                       s.id, s.balance, s.reported_by_id, s.batch_id, s.updated_at
                  FROM pick JOIN lending_loan l ON l.id = pick.id
                  LEFT JOIN lending_balancesnapshot s ON s.loan_id = l.id AND s.month = %(last)s
                 ORDER BY l.id
                """,
                {"today": self.today, "n": n, "last_end": self.last_month_end, "last": self.last_month},
            )
            rows = cursor.fetchall()
        keys = ["id", "contract_number", "institution_id", "disbursed_on", "principal", "outstanding",
                "repaid_after_last_month", "latest_snapshot_month", "snapshot_id", "snapshot_balance",
                "snapshot_reported_by_id", "snapshot_batch_id", "snapshot_updated_at"]  # fmt: skip
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def plan(self, loans: list[dict], run: int) -> list[dict]:
        """One row per loan: a repayment this month, or last month's balance (some corrected downwards)."""
        rows = []
        for n, loan in enumerate(loans):
            outstanding = loan["outstanding"]
            reportable = loan["disbursed_on"] < self.this_month and (
                loan["latest_snapshot_month"] is None or loan["latest_snapshot_month"] <= self.last_month
            )
            if reportable and self.rng.random() < self.args.balance_share:
                implied = outstanding + loan["repaid_after_last_month"]  # last month's end, by the feedback so far
                correction = (
                    cents(outstanding * Decimal(self.rng.uniform(0.001, 0.05))) if self.rng.random() < 0.3 else CENT * 0
                )
                balance = min(implied - correction, loan["principal"])
                rows.append({"loan": loan, "kind": "balance", "date": f"{self.last_month:%Y-%m}", "amount": balance,
                             "change": balance - implied})  # fmt: skip
            else:
                first = max(self.this_month, loan["disbursed_on"])
                day = first + datetime.timedelta(days=self.rng.randint(0, (self.today - first).days))
                amount = min(max(cents(outstanding * Decimal(self.rng.uniform(0.02, 0.15))), CENT), outstanding)
                rows.append({"loan": loan, "kind": "repayment", "date": day.isoformat(), "amount": amount,
                             "reference": f"{MARK}-{self.stamp}-{run}-{n}", "change": -amount})  # fmt: skip
        return rows

    def uploaders(self, rows: list[dict]) -> dict[int, list[dict]]:
        """Uploading officer -> the rows of their file: the head office's officer when it has one (one file per
        bank), else the nearest institution up the loan's tree that has an officer."""
        from xinyidai.models import Institution, User

        parents = dict(Institution.objects.values_list("id", "parent_id"))
        officers = {}
        for user_id, institution_id in (
            User.objects.filter(role=User.Role.OFFICER, is_active=True)
            .order_by("id")
            .values_list("id", "institution_id")
        ):
            officers.setdefault(institution_id, user_id)
        files: dict[int, list[dict]] = {}
        for row in rows:
            chain, node = [], row["loan"]["institution_id"]
            while node is not None:
                chain.append(node)
                node = parents[node]
            uploader = next((officers[i] for i in reversed(chain) if i in officers), None)
            if uploader is None:
                raise SystemExit(f"no officer can report loan {row['loan']['id']}: seed officers first")
            files.setdefault(uploader, []).append(row)
        return files

    def write(self, rows: list[dict]) -> dict:
        """One CSV file per uploading officer (the head office's when it has one), through the CSV import."""
        from lending.services import feedback as feedback_services
        from lending.services import feedback_import
        from xinyidai.models import User

        files = self.uploaders(rows)
        asked = []
        original = feedback_services.feedback_stats_enqueue
        feedback_services.feedback_stats_enqueue = lambda: asked.append(1)  # timed below, not queued
        applied = errors = 0
        batch_errors = []
        t0 = time.perf_counter()
        try:
            for uploader, file_rows in files.items():
                officer = User.objects.select_related("institution").get(pk=uploader)
                buffer = io.StringIO()
                writer = csv.writer(buffer)
                writer.writerow(["contract_number", "kind", "date", "amount", "interest", "reference"])
                for row in file_rows:
                    writer.writerow([row["loan"]["contract_number"], row["kind"], row["date"], row["amount"],
                                     "0" if row["kind"] == "repayment" else "", row.get("reference", "")])  # fmt: skip
                batch = feedback_import.feedback_batch_import(
                    fileobj=io.BytesIO(buffer.getvalue().encode()),
                    name=f"{MARK}-{self.stamp}-{officer.institution_id}.csv",
                    officer=officer,
                )
                applied += batch.applied_count
                errors += batch.error_count
                if batch.error_count:
                    refused = list(batch.row_errors.values("row_number", "field", "message", "value"))
                    for error in refused:
                        file_rows[error["row_number"] - 2]["refused"] = True  # the header is row 1
                    batch_errors += refused[:5]
        finally:
            feedback_services.feedback_stats_enqueue = original
        elapsed = time.perf_counter() - t0
        kinds = {k: sum(1 for r in rows if r["kind"] == k) for k in ("repayment", "balance")}
        log(f"wrote {applied} rows ({errors} refused) in {len(files)} files in {elapsed:.1f} s")
        return {
            "rows": len(rows),
            "applied": applied,
            "refused": errors,
            "refused_sample": batch_errors[:10],
            "kinds": kinds,
            "balance_corrections": sum(1 for r in rows if r["kind"] == "balance" and r["change"]),
            "files": len(files),
            "seconds": round(elapsed, 2),
            "rows_per_s": round(applied / elapsed, 1) if elapsed else None,
            "refreshes_the_files_asked_for": len(asked),
            "path": "CSV feedback import (lending.services.feedback_import.feedback_batch_import), one file per "
            "uploading officer (head office where it has an officer)",
        }


# --- undo --------------------------------------------------------------------------------------------------


def pre_image(image: dict, loans: list[dict]) -> None:
    """Add the loans' balances and last month's snapshots to `image`, the first time each loan is touched (a
    later run may pick a loan again: its state before the first run is the one to restore)."""
    for loan in loans:
        if str(loan["id"]) in image["loans"]:
            continue
        image["loans"][str(loan["id"])] = str(loan["outstanding"])
        if loan["snapshot_id"] is not None:
            image["snapshots"][str(loan["snapshot_id"])] = {
                "balance": str(loan["snapshot_balance"]),
                "reported_by_id": loan["snapshot_reported_by_id"],
                "batch_id": loan["snapshot_batch_id"],
                "updated_at": loan["snapshot_updated_at"].isoformat(),
            }


def undo(image: dict) -> dict:
    """Delete what the run wrote (found by its mark) and restore the pre-image, in one transaction."""
    from django.db import transaction

    from lending.models import BalanceSnapshot, FeedbackBatch, Loan, LoanEvent, Repayment

    t0 = time.perf_counter()
    with transaction.atomic():
        batches = list(
            FeedbackBatch.objects.filter(original_name__startswith=image["mark"]).values_list("id", flat=True)
        )
        events, _ = LoanEvent.objects.filter(batch_id__in=batches).delete()
        repayments, _ = Repayment.objects.filter(batch_id__in=batches).delete()
        restored = []
        for pk, old in image["snapshots"].items():
            restored.append(
                BalanceSnapshot(
                    pk=int(pk), balance=Decimal(old["balance"]), reported_by_id=old["reported_by_id"],
                    batch_id=old["batch_id"], updated_at=datetime.datetime.fromisoformat(old["updated_at"]),
                )
            )  # fmt: skip
        BalanceSnapshot.objects.bulk_update(restored, ["balance", "reported_by_id", "batch_id", "updated_at"], 2000)
        created, _ = (
            BalanceSnapshot.objects.filter(batch_id__in=batches)
            .exclude(pk__in=[int(pk) for pk in image["snapshots"]])
            .delete()
        )
        loans = [Loan(pk=int(pk), outstanding_balance=Decimal(b)) for pk, b in image["loans"].items()]
        Loan.objects.bulk_update(loans, ["outstanding_balance"], batch_size=2000)
        batch_count, _ = FeedbackBatch.objects.filter(pk__in=batches).delete()
    out = {
        "batches": len(batches),
        "events_deleted": events,
        "repayments_deleted": repayments,
        "snapshots_restored": len(restored),
        "snapshots_deleted": created,
        "loans_restored": len(loans),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    log(f"undone: {out}")
    return out


# --- one run -----------------------------------------------------------------------------------------------


def one_run(bench: Bench, n: int, image: dict, undo_path: Path) -> dict:
    from lending.rollups import stats_refresh

    run: dict = {"run": n}
    run["catch_up_refresh"] = bench.timed("catch-up refresh", stats_refresh)
    run["check_before"] = bench.check()
    before = bench.province_months()
    live_before = bench.live_sum()
    loans = bench.sample(bench.args.rows, n)
    rows = bench.plan(loans, n)
    pre_image(image, loans)
    undo_path.write_text(json.dumps(image))  # before the first row: `--undo` can finish a killed run
    run["write"] = bench.write(rows)
    run["refresh"] = bench.timed("incremental refresh after the rows", stats_refresh)
    run["check_after"] = bench.check()
    after = bench.province_months()
    live_after = bench.live_sum()
    applied = [r for r in rows if not r.get("refused")]
    corrections = sum((r["change"] for r in applied if r["kind"] == "balance"), Decimal(0))
    repaid = sum((-r["change"] for r in applied if r["kind"] == "repayment"), Decimal(0))
    run["moved_by"] = {
        "expected_last_month": str(corrections),
        "rollup_last_month": str(after["last"] - before["last"]),
        "expected_this_month": str(corrections - repaid),
        "rollup_this_month": str(after["this"] - before["this"]),
        "raw_live_sum": str(live_after - live_before),
    }
    run["moved_by"]["ok"] = (
        after["last"] - before["last"] == corrections
        and after["this"] - before["this"] == corrections - repaid == live_after - live_before
    )
    return run


def undo_all(bench: Bench, image: dict, undo_path: Path, live_at_start: Decimal) -> dict:
    """Undo every run at once, then one full rebuild (the undo bypasses the services) and the check."""
    from lending.rollups import stats_rebuild

    out = {"undo": undo(image)}
    out["undo"]["live_sum_restored"] = bench.live_sum() == live_at_start
    out["rebuild_after_undo"] = bench.timed("full rebuild after the undo", stats_rebuild)
    out["check_after_undo"] = bench.check()
    undo_path.unlink(missing_ok=True)
    return out


def table(result: dict) -> str:
    lines = [
        f"Rollup refresh bench: {result['scale']} on {result['database']} ({result['data']['live_loans']:,} live "
        f"loans, {result['data']['balance_snapshots']:,} month-end balances), commit {result['git']['commit']}"
        f"{' (dirty)' if result['git']['dirty'] else ''}",
        "",
        f"{'run':<4} {'rows':>6} {'refused':>7} {'files':>5} {'write s':>8} {'rows/s':>7} {'refresh s':>9} "
        f"{'events':>6} {'cells':>6} {'months':>6}  checks",
    ]
    for run in result["runs"]:
        write, refresh = run.get("write", {}), run.get("refresh", {})
        checks = [
            ("before", run.get("check_before", {}).get("ok")),
            ("after", run.get("check_after", {}).get("ok")),
            ("moved", run.get("moved_by", {}).get("ok")),
        ]
        lines.append(
            f"{run['run']:<4} {write.get('applied', 0):>6} {write.get('refused', 0):>7} {write.get('files', 0):>5}"
            f" {write.get('seconds', 0):>8.1f} {write.get('rows_per_s') or 0:>7.0f} {refresh.get('seconds', 0):>9.2f}"
            f" {refresh.get('loan_events_covered', '-')!s:>6} {refresh.get('cells', 0):>6}"
            f" {refresh.get('months', 0):>6}  "
            + " ".join(f"{name} {'ok' if ok else ('-' if ok is None else 'FAIL')}" for name, ok in checks)
        )
    lines.append("")
    for key, label in (("initial_rebuild", "Initial full rebuild"), ("rebuild_after_undo", "Full rebuild after undo")):
        if result.get(key):
            done = result[key]
            lines.append(f"{label}: {done['seconds']:.1f} s ({done['cells']} cells x {done['months']} months)")
    if result.get("undo"):
        undone, check = result["undo"], result.get("check_after_undo", {})
        lines.append(
            f"Undo: {undone['batches']} batches, {undone['repayments_deleted']} repayments and"
            f" {undone['events_deleted']} events deleted, {undone['snapshots_restored']} snapshots restored and"
            f" {undone['snapshots_deleted']} deleted, {undone['loans_restored']} loan balances restored"
            f" (live sum restored: {undone['live_sum_restored']}); check after the rebuild:"
            f" {'ok' if check.get('ok') else 'FAIL'}"
        )
    summary = result["summary"]
    lines += [
        "",
        f"Incremental refresh after {summary['rows']:,} rows: median {summary['refresh_median_s']} s, "
        f"max {summary['refresh_max_s']} s (target < {TARGET_SECONDS:.0f} s after {TARGET_ROWS:,} rows): "
        f"{summary['verdict']}; every check ok: {summary['checks_ok']}",
        "events: loan events the timed refresh scanned (from 15 minutes before the previous refresh began: a run"
        " within 15 minutes of the last one also recomputes its cells);",
        "checks: before/after = province and every city's current-month balance and credit-loan balance in the "
        "rollups equal SUM() over live loans; moved = the rollups moved by exactly what the rows changed",
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env_url = os.environ.get("DATABASE_URL")
    parser.add_argument("--database-url", default=env_url, required=env_url is None)
    parser.add_argument("--rows", type=int, default=TARGET_ROWS, help="feedback rows (one per loan; default 10000)")
    parser.add_argument("--balance-share", type=float, default=0.5, help="share of last-month balance rows")
    parser.add_argument("--runs", type=int, default=1, help="write + refresh + undo cycles (default 1)")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--scale", help="label for the result file (default: from the enterprise count)")
    parser.add_argument("--keep", action="store_true", help="keep the rows (a disposable database only)")
    parser.add_argument("--undo", type=Path, help="restore from a killed run's .undo.json, rebuild, and stop")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    name = urlsplit(args.database_url).path.lstrip("/")
    if name in CI_DATABASES or not args.database_url.startswith("postgres"):
        parser.error(f"refusing {name!r}: give a PostgreSQL benchmark database (this writes feedback)")
    os.environ.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="xinyidai.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from lending.rollups import last_refresh, stats_rebuild

    started_at = datetime.datetime.now(datetime.UTC)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    if args.undo:
        # A refresh that ran after the rows were written put them into the rollups: rebuild after the undo.
        from lending.models import FeedbackBatch
        from lending.models.stats import StatsRefresh

        image = json.loads(args.undo.read_text())
        first = FeedbackBatch.objects.filter(original_name__startswith=image["mark"]).order_by("created_at").first()
        refreshed = first is not None and StatsRefresh.objects.filter(started_at__gte=first.created_at).exists()
        undo(image)
        if refreshed:
            Bench(args, stamp).timed("full rebuild after the undo", stats_rebuild)
        else:
            log("no refresh ran after the rows: the rollups are as they were, no rebuild needed")
        args.undo.unlink()
        return 0

    bench = Bench(args, stamp)
    data = bench.counts()
    scale = args.scale or _scale_label(data["enterprises"])
    args.output_dir.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "rollup_refresh",
        "scale": scale,
        "database": name,
        "started_at": started_at.isoformat(timespec="seconds"),
        "today": bench.today.isoformat(),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "data": data,
        "machine": {"nproc": os.cpu_count(), "loadavg_at_start": os.getloadavg(), "python": platform.python_version()},
        "git": _git(),
        "runs": [],
    }
    if last_refresh() is None:
        result["initial_rebuild"] = bench.timed("no rollups yet: full rebuild", stats_rebuild)
    undo_path = args.output_dir / f"rollups-{scale}-{stamp}.undo.json"
    image = {"mark": f"{MARK}-{stamp}", "loans": {}, "snapshots": {}}
    live_at_start = bench.live_sum()
    try:
        for n in range(1, args.runs + 1):
            result["runs"].append(one_run(bench, n, image, undo_path))
    finally:
        if not args.keep and image["loans"]:
            result.update(undo_all(bench, image, undo_path, live_at_start))
        elif image["loans"]:
            result["kept"] = str(undo_path)
            log(f"--keep: the rows stay; undo them with --undo {undo_path}")
        refreshes = [r["refresh"]["seconds"] for r in result["runs"] if "refresh" in r]
        rebuilds = [result[k]["seconds"] for k in ("initial_rebuild", "rebuild_after_undo") if k in result]
        rows = max((r["write"]["applied"] for r in result["runs"] if "write" in r), default=0)
        worst = max(refreshes, default=None)
        result["summary"] = {
            "rows": rows,
            "refresh_seconds": refreshes,
            "refresh_median_s": round(statistics.median(refreshes), 2) if refreshes else None,
            "refresh_max_s": worst,
            "rebuild_seconds": rebuilds,
            "verdict": "n/a"
            if worst is None
            else ("PASS" if worst < TARGET_SECONDS else "MISS") + ("" if rows >= TARGET_ROWS else " (fewer rows)"),
            "checks_ok": all(
                run.get(k, {}).get("ok", True)
                for run in [*result["runs"], result]
                for k in ("check_before", "check_after", "moved_by", "check_after_undo")
            ),
        }
        result["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        result["machine"]["loadavg_at_end"] = os.getloadavg()
        path = args.output_dir / f"rollups-{scale}-{stamp}.json"
        path.write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str) + "\n")
    print()
    print(table(result))
    print(f"\nResults: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
