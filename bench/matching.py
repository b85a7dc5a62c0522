"""Benchmark: ranking the open demands of the province for one product (issue 6: at most 200 ms).

    .venv/bin/python -m bench.matching --database-url postgres://postgres@127.0.0.1:5432/xinyidai_province --runs 20

In-process and read-only, with production settings. It picks the bank with the most listed products, an officer of
its head office (a province-level institution: the pool is every unclaimed demand of the province) and, among the
head office's listed products, the one the most open demands qualify for (the heaviest ranking; `--product` to
choose another). It times lending.selectors_matching.demands_for_product (first page, 50 rows, every reason and
factor rendered to text) `--runs` times after two warm-up calls, reloading the officer before each call as a request
would. Then, for information: every listed product of that head office (the sweep: `--sweep-runs` calls each,
their median), enterprises_for_product, products_for_enterprise (the enterprise of the newest pool demand) and
institutions_for_demand (what each demand push runs). Prints min / median / p95 / max ms, the open demands in the
pool and how many qualify, rows returned and queries; writes bench/results/matching-<UTC timestamp>.json with the
EXPLAIN (ANALYZE, BUFFERS) of the ranking statement (`--no-explain` skips it).
"""

import argparse
import datetime
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_MS = 200.0
PAGE = 50


def _git() -> dict:
    def run(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()

    return {"commit": run("rev-parse", "--short=12", "HEAD"), "dirty": bool(run("status", "--porcelain"))}


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def _head_office_and_officer(officer_name: str | None):
    from lending.models import Product
    from xinyidai.models import Institution, User

    listed = Counter()
    for own, parent, grandparent in Product.objects.listed().values_list(
        "institution_id", "institution__parent_id", "institution__parent__parent_id"
    ):
        listed[grandparent or parent or own] += 1
    banks = Institution.objects.filter(pk__in=listed, kind=Institution.Kind.BANK)
    head = max(banks, key=lambda bank: (listed[bank.pk], -bank.pk))
    officers = User.objects.filter(role=User.Role.OFFICER, is_active=True)
    officer = officers.get(username=officer_name) if officer_name else officers.filter(institution=head).first()
    return head, officer


def _eligible(product, officer) -> int:
    from lending.selectors_matching import _facts_of_product, demand_candidates

    return demand_candidates(_facts_of_product(product), officer=officer).count()


def _time(label: str, call, runs: int, *, fresh_officer=None, warm: int = 2) -> dict:
    """`warm` untimed calls, then `runs` timed ones; the queries of the first timed call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm):
        call()
    samples, rows, queries = [], 0, None
    for n in range(runs):
        if fresh_officer:
            fresh_officer()  # a request loads its user afresh: nothing is cached on it between calls
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = call()
            samples.append((time.perf_counter() - t0) * 1000)
        if n == 0:
            rows, queries = result, len(ctx.captured_queries)
    return {
        "name": label,
        "runs": runs,
        "min_ms": round(min(samples), 1),
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(_percentile(samples, 0.95), 1),
        "max_ms": round(max(samples), 1),
        "rows": rows,
        "queries": queries,
        "samples_ms": [round(s, 2) for s in samples],
    }


def _explained(results) -> int:
    """Render every reason and factor to text, as the page and the API do; the number of rows."""
    for row in results:
        for item in (*row.criteria, *row.factors):
            str(item.message)
    return len(results)


def _strategy(product) -> str:
    from lending.selectors_matching import _facts_of_product

    facts = _facts_of_product(product)
    return "whole pool" if facts.tag_ids or facts.sections else "walks"


def main(argv=None) -> int:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    env_url = os.environ.get("DATABASE_URL")
    parser.add_argument("--database-url", default=env_url, required=env_url is None)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sweep-runs", type=int, default=3, help="calls per product of the sweep (0: no sweep)")
    parser.add_argument("--product", type=int, help="product id (default: see above)")
    parser.add_argument("--officer", help="officer username (default: the first officer of the bank's head office)")
    parser.add_argument("--no-explain", action="store_true", help="skip EXPLAIN ANALYZE of the ranking statement")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    name = urlsplit(args.database_url).path.lstrip("/")
    os.environ.update(
        DATABASE_URL=args.database_url,
        DJANGO_SETTINGS_MODULE="xinyidai.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
    )
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from lending.models import FinancingDemand, Product
    from lending.selectors_matching import (
        demands_for_product,
        enterprises_for_product,
        institutions_for_demand,
        products_for_enterprise,
    )
    from xinyidai.models import User

    translation.activate("zh-hans")
    head, officer = _head_office_and_officer(args.officer)
    if officer is None:
        parser.error("no officer at the head office of the bank with the most products: seed the database first")
    products = list(Product.objects.listed().filter(institution=head).select_related("institution").order_by("pk"))
    eligible = {p.pk: _eligible(p, officer) for p in products}
    if args.product:
        product = Product.objects.select_related("institution").get(pk=args.product)
        eligible.setdefault(product.pk, _eligible(product, officer))
    else:
        product = max(products, key=lambda p: (eligible[p.pk], -p.pk))
    holder = {"officer": officer}

    def fresh_officer():
        holder["officer"] = User.objects.get(pk=officer.pk)

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM creditinfo_enterprise")
        enterprises = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM lending_financingdemand WHERE status IN ('open', 'claimed')")
        open_or_claimed = cursor.fetchone()[0]
    pool = FinancingDemand.objects.pool_for(officer).count()

    started_at = datetime.datetime.now(datetime.UTC)

    def ranking(p):
        return lambda: _explained(demands_for_product(p, officer=holder["officer"], limit=PAGE))

    measured = [_time("demands_for_product", ranking(product), args.runs, fresh_officer=fresh_officer)]
    sweep = []
    if args.sweep_runs:
        for p in products:
            row = _time("sweep", ranking(p), args.sweep_runs, fresh_officer=fresh_officer, warm=1)
            sweep.append({"product": p.pk, "name": p.name, "eligible": eligible[p.pk], "strategy": _strategy(p),
                          "median_ms": row["median_ms"], "max_ms": row["max_ms"], "rows": row["rows"]})  # fmt: skip
    side_runs = max(3, min(args.runs, 5))
    measured.append(
        _time(
            "enterprises_for_product",
            lambda: _explained(enterprises_for_product(product, officer=holder["officer"], limit=PAGE)),
            side_runs,
            fresh_officer=fresh_officer,
        )
    )
    demand = FinancingDemand.objects.pool_for(officer).select_related("enterprise").order_by("-created_at").first()
    if demand is not None:
        measured.append(
            _time(
                "products_for_enterprise",
                lambda: _explained(products_for_enterprise(demand.enterprise, limit=20)),
                side_runs,
            )
        )
        measured.append(_time("institutions_for_demand", lambda: len(institutions_for_demand(demand)), side_runs))

    plans = []
    if not args.no_explain:
        with CaptureQueriesContext(connection) as ctx:
            demands_for_product(product, officer=officer, limit=PAGE)
        with connection.cursor() as cursor:
            for query in ctx.captured_queries:
                if "LATERAL" in query["sql"] or "ORDER BY" in query["sql"] and "score" in query["sql"]:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                    plans.append("\n".join(row[0] for row in cursor.fetchall()))

    main_row = measured[0]
    result = {
        "benchmark": "matching",
        "started_at": started_at.isoformat(timespec="seconds"),
        "database": name,
        "product": {
            "id": product.pk,
            "name": product.name,
            "institution": str(product.institution),
            "amount_min": str(product.amount_min),
            "amount_max": str(product.amount_max),
            "term_months": [product.term_min_months, product.term_max_months],
            "guarantee_mode": product.guarantee_mode,
            "min_grade": product.min_grade,
            "strategy": _strategy(product),
        },  # fmt: skip
        "officer": {"username": officer.username, "institution": str(officer.institution)},
        "data": {
            "enterprises": enterprises,
            "open_or_claimed_demands": open_or_claimed,
            "pool": pool,
            "pool_eligible_for_product": eligible[product.pk],
        },  # fmt: skip
        "page_rows": PAGE,
        "measured": measured,
        "sweep": sweep,
        "target": {"ms": TARGET_MS, "statistic": "p95 of demands_for_product", "met": main_row["p95_ms"] <= TARGET_MS},
        "explain": plans,
        "machine": {"nproc": os.cpu_count(), "loadavg_at_end": os.getloadavg(), "python": platform.python_version()},
        "git": _git(),
    }
    args.output_dir.mkdir(parents=True, exist_ok=True)
    path = args.output_dir / f"matching-{started_at.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")

    print(f"product #{product.pk} {product.name} ({product.institution}, {_strategy(product)}); officer "
          f"{officer.username} ({officer.institution}); {enterprises:,} enterprises")  # fmt: skip
    print(f"open demands in the pool: {pool:,}; of them eligible for the product: {eligible[product.pk]:,}")
    header = f"{'function':26} {'runs':>4} {'min ms':>8} {'median':>8} {'p95':>8} {'max':>8} {'rows':>5} {'queries':>7}"
    print(header)
    print("-" * len(header))
    for row in measured:
        print(f"{row['name']:26} {row['runs']:>4} {row['min_ms']:>8} {row['median_ms']:>8} {row['p95_ms']:>8} "
              f"{row['max_ms']:>8} {row['rows']:>5} {row['queries']:>7}")  # fmt: skip
    if sweep:
        medians = [row["median_ms"] for row in sweep]
        over = [f"#{row['product']}" for row in sweep if row["median_ms"] > TARGET_MS]
        print(f"sweep over the {len(sweep)} listed products of {head}: median of medians "
              f"{statistics.median(medians):.1f} ms, slowest {max(medians):.1f} ms; above {TARGET_MS:.0f} ms: "
              f"{', '.join(over) or 'none'}")  # fmt: skip
    verdict = "MET" if result["target"]["met"] else "MISS"
    print(f"target: demands_for_product p95 <= {TARGET_MS:.0f} ms: {verdict} (load average at the end "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")  # fmt: skip
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
