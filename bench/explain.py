"""EXPLAIN ANALYZE of the statements a benchmark run captured, to see where an endpoint's database time goes.

    .venv/bin/python -m bench.explain bench/results/province-<ts>.json [--endpoint dashboard_page ...] [--plans]
        [--database-url URL]   # default: the run's database on 127.0.0.1

For each endpoint (all of the run's, or those named), each captured read statement (`sql_sample`) is run
under EXPLAIN (ANALYZE, BUFFERS) in a transaction that is rolled back, and printed with its execution and
planning time, the rows it returned and the first lines of its plan (`--plans`: the whole plan); the
endpoint's total is compared with its c=1 p50 over HTTP: the rest is Python (views, serializers, templates)
and the network. Statements that write are skipped (so are BEGIN, COMMIT and savepoints).
"""

import argparse
import json
import re
import sys

import psycopg

SKIP = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|INSERT|UPDATE|DELETE|DECLARE|SET)\b", re.I)
TIME = re.compile(r"(Planning|Execution) Time: ([\d.]+) ms")


def explain(conn, statement: str) -> dict:
    with conn.transaction(force_rollback=True):
        rows = conn.execute(f"EXPLAIN (ANALYZE, BUFFERS) {statement}").fetchall()  # noqa: S608 (captured SQL)
    lines = [row[0] for row in rows]
    times = {kind.lower(): float(ms) for line in lines for kind, ms in TIME.findall(line)}
    plan = [line for line in lines if not TIME.search(line)]
    top = re.search(r"rows=(\d+) loops", plan[0]) if plan else None
    return {
        "execution_ms": times.get("execution", 0.0),
        "planning_ms": times.get("planning", 0.0),
        "rows": int(top.group(1)) if top else None,
        "plan": plan,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", help="a results file of bench.run")
    parser.add_argument("--endpoint", nargs="*", help="only these endpoints")
    parser.add_argument("--database-url", help="default: the run's database on 127.0.0.1")
    parser.add_argument("--plans", action="store_true", help="print whole plans")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    with open(args.results) as f:
        result = json.load(f)
    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/{result['database']['name']}"
    with psycopg.connect(url, autocommit=True, prepare_threshold=None) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        for endpoint in result["endpoints"]:
            if args.endpoint and endpoint["name"] not in args.endpoint:
                continue
            statements = [s for s in endpoint.get("sql_sample") or [] if not SKIP.match(s)]
            if not statements:
                continue
            if any("<token>" in s or "<session>" in s for s in statements):
                print(f"# {endpoint['name']}: statements naming the redacted session or token are skipped")
                statements = [s for s in statements if "<token>" not in s and "<session>" not in s]
            http = ((endpoint.get("http") or {}).get("c1") or {}).get("p50_ms")
            print(f"\n## {endpoint['name']}: {endpoint['method']} {endpoint['path']} (q={endpoint.get('query_count')})")
            total = 0.0
            for n, statement in enumerate(statements, 1):
                out = explain(conn, statement)
                total += out["execution_ms"] + out["planning_ms"]
                print(
                    f"{n:>2}. exec {out['execution_ms']:8.3f} ms  plan {out['planning_ms']:6.3f} ms  "
                    f"rows {out['rows']!s:>6}  {statement[:150]}"
                )
                for line in out["plan"] if args.plans else out["plan"][:4]:
                    print(f"      {line if args.plans else line[:200]}")
            share = f"; c=1 p50 over HTTP {http:.1f} ms: SQL is {total / http:.0%} of it" if http else ""
            print(f"   SQL total (execution + planning, read statements) {total:.2f} ms{share}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
