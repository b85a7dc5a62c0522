"""The printed table and the issue's targets, from a results dict (bench/results/<scale>-<timestamp>.json).

python -m bench.report bench/results/province-20261127T120000Z.json   # print a saved run again
"""

import json
import math
import sys

# Issue 3, item 4 (targets at province scale on the 2-core machine).
READ_P95_MS = 50.0
DEEP_TO_FIRST_P95 = 1.25
API_RPS_TO_FLOOR = 0.40
WRITE_P95_MS = 80.0
RSS_GROWTH = 1.2
# Issue 5, item 6 (province scale, concurrency 1): the dashboard page and each statistics endpoint.
DASHBOARD_P95_MS = 150.0
STATS_P95_MS = 50.0

COLUMNS = [
    # (header, width, function of the endpoint row)
    ("endpoint", 27, lambda e: e["name"]),
    ("q", 3, lambda e: fmt(e.get("query_count"), 0)),
    ("p50", 7, lambda e: fmt(_get(e, "http", "c1", "p50_ms"))),
    ("p95", 7, lambda e: fmt(_get(e, "http", "c1", "p95_ms"))),
    ("p99", 7, lambda e: fmt(_get(e, "http", "c1", "p99_ms"))),
    ("rps@cN", 7, lambda e: fmt(_get(e, "http", "cN", "rps"))),
    ("p95@cN", 7, lambda e: fmt(_get(e, "http", "cN", "p95_ms"))),
    ("/fw", 5, lambda e: fmt(_get(e, "ratios", "rps_to_framework_floor"), 2)),
    ("sql p50", 7, lambda e: fmt(_get(e, "sql", "c1", "p50_ms"), 2)),
    ("x sql", 6, lambda e: fmt(_get(e, "ratios", "p50_to_sql_p50"))),
    ("sql rps", 7, lambda e: fmt(_get(e, "sql", "cN", "rps"))),
    ("err", 4, lambda e: fmt(_errors(e), 0)),
    ("RSS MiB", 7, lambda e: fmt(_get(e, "rss", "max_rss_kib") and e["rss"]["max_rss_kib"] / 1024)),
]

LEGEND = """\
p50/p95/p99: latency in ms at concurrency 1 (after warm-up); rps@cN, p95@cN: throughput and p95 at the
saturating concurrency; /fw: rps@cN divided by the framework floor's (/healthz/) rps@cN; sql p50: the
endpoint's own SQL replayed through psycopg at concurrency 1; x sql: p50 divided by sql p50 (how many times
the database's share the whole request costs); sql rps: that SQL at the saturating concurrency; q: queries
per request; err: non-2xx/3xx responses over all phases; RSS MiB: the largest worker RSS seen meanwhile."""


def _get(row: dict, *keys):
    for key in keys:
        if not isinstance(row, dict) or row.get(key) is None:
            return None
        row = row[key]
    return row


def fmt(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}f}" if digits else f"{int(value)}"


def _errors(endpoint: dict) -> int:
    return sum(_get(endpoint, "http", phase, "errors") or 0 for phase in ("c1", "cN"))


def _line(cells: list[str]) -> str:
    out = []
    for (_, width, _), cell in zip(COLUMNS, cells, strict=True):
        out.append(cell.ljust(width) if not out else cell.rjust(width))
    return " ".join(out)


def table(result: dict) -> list[str]:
    lines = [_line([c[0] for c in COLUMNS]), _line(["-" * c[1] for c in COLUMNS])]
    for e in result["endpoints"]:
        if e.get("unavailable"):
            lines.append(f"{e['name']:<27} NOT MEASURED: {_unavailable(e)}")
        else:
            lines.append(_line([c[2](e) for c in COLUMNS]))
    return lines


def _unavailable(endpoint: dict) -> str:
    gone = endpoint["unavailable"]
    where = f" to {gone['location']}" if gone.get("location") else ""
    return f"GET {endpoint['path']} answered {gone['status']}{where} ({gone['hint']})"


def _target(kind: str, endpoint: str, value, limit: float, figure: str, *, at_least: bool = False) -> dict:
    """One check: PASS when `value` <= `limit` (>= with `at_least`); N/A when there is no figure."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        result = "N/A"
    else:
        result = "PASS" if (value >= limit if at_least else value <= limit) else "MISS"
    return {"target": kind, "endpoint": endpoint, "value": value, "limit": limit, "result": result, "figure": figure}


def evaluate(result: dict) -> list[dict]:
    """PASS / MISS for each of issue 3's and issue 5's targets that one run can check (medium vs province, and
    query counts across data volumes: bench.compare)."""
    checks = []
    by_name = {e["name"]: e for e in result["endpoints"]}
    floor_rps = _get(by_name.get("healthz", {}), "http", "cN", "rps")
    for e in result["endpoints"]:
        p95 = _get(e, "http", "c1", "p95_ms")
        if e.get("issue") == 5:
            kind, limit = (
                ("dashboard p95 <= 150 ms (c=1)", DASHBOARD_P95_MS)
                if e["kind"] == "page"
                else ("stats API p95 <= 50 ms (c=1)", STATS_P95_MS)
            )
            figure = f"NOT MEASURED: {_unavailable(e)}" if e.get("unavailable") else f"p95 {fmt(p95)} ms"
            checks.append(_target(f"issue 5: {kind}", e["name"], p95, limit, figure))
            if not e.get("unavailable"):
                errors = _errors(e)
                requests = sum(_get(e, "http", phase, "requests") or 0 for phase in ("c1", "cN"))
                figure = f"{errors} errors in {requests} requests"
                checks.append(_target("no error responses", e["name"], errors, 0, figure))
            continue
        if e.get("unavailable"):
            checks.append(_target("read p95 <= 50 ms (c=1)", e["name"], None, READ_P95_MS, _unavailable(e)))
            continue
        if e["category"] == "read":
            checks.append(_target("read p95 <= 50 ms (c=1)", e["name"], p95, READ_P95_MS, f"p95 {fmt(p95)} ms"))
        if e["category"] == "write":
            checks.append(_target("write p95 <= 80 ms (c=1)", e["name"], p95, WRITE_P95_MS, f"p95 {fmt(p95)} ms"))
        first = by_name.get(e.get("deep_of") or "")
        if first is not None:
            first_p95 = _get(first, "http", "c1", "p95_ms")
            ratio = p95 / first_p95 if p95 and first_p95 else None
            page = _get(e, "discovery", "page")
            figure = f"{fmt(ratio, 2)}x ({fmt(p95)} vs {fmt(first_p95)} ms, page {page or '?'})"
            checks.append(_target("deep page p95 <= 1.25x first page", e["name"], ratio, DEEP_TO_FIRST_P95, figure))
        if e["category"] == "read" and e["kind"] == "api":
            rps = _get(e, "http", "cN", "rps")
            share = rps / floor_rps if rps is not None and floor_rps else None
            figure = f"{fmt(share and share * 100)}% ({fmt(rps)} of {fmt(floor_rps)} rps)"
            kind = "API read rps >= 40% of framework floor"
            checks.append(_target(kind, e["name"], share, API_RPS_TO_FLOOR, figure, at_least=True))
        if e["category"] != "floor":
            errors = _errors(e)
            requests = sum(_get(e, "http", phase, "requests") or 0 for phase in ("c1", "cN"))
            checks.append(
                _target("no error responses", e["name"], errors, 0, f"{errors} errors in {requests} requests")
            )
    soak = result.get("memory", {}).get("soak") or {}
    for pid, worker in sorted((soak.get("workers") or {}).items()):
        growth = worker.get("growth")
        checks.append(
            _target(
                "worker RSS after 10k <= 1.2x after 100",
                f"worker {pid}",
                growth,
                RSS_GROWTH,
                f"{fmt(growth, 3)}x ({fmt(worker.get('rss_after_first_kib', 0) / 1024)} -> "
                f"{fmt(worker.get('rss_at_end_kib', 0) / 1024)} MiB)",
            )
        )
    return checks


def memory_lines(result: dict) -> list[str]:
    memory = result.get("memory") or {}
    lines = []
    for label, key in (("load phases", "workers"), ("soak", "soak_workers")):
        for worker in memory.get(key) or []:
            lines.append(
                f"  {label:<11} worker {worker['pid']}: peak RSS (VmHWM) {worker.get('VmHWM', 0) / 1024:.1f} MiB,"
                f" RSS at end {worker.get('VmRSS', 0) / 1024:.1f} MiB"
            )
    soak = memory.get("soak") or {}
    if soak:
        lines.append(
            f"  soak: {soak.get('requests')} mixed reads at c={soak.get('concurrency')} on fresh workers,"
            f" {soak.get('errors')} errors, {soak.get('rps')} rps"
        )
        for pid, worker in sorted((soak.get("workers") or {}).items()):
            after = ", ".join(f"{n}: {kib / 1024:.1f}" for n, kib in worker.get("curve", []))
            lines.append(f"  worker {pid} RSS MiB after N soak requests (N = both workers' total): {after}")
    return lines


def render(result: dict) -> str:
    config = result.get("config", {})
    db = result.get("database", {})
    machine = result.get("machine", {})
    git = result.get("git", {})
    head = (
        f"Xinyidai bench: scale {result.get('scale')} on {db.get('name')} (PostgreSQL {db.get('server_version')}), "
        f"{machine.get('nproc')} cores, {machine.get('mem_total_mib')} MiB, "
        f"commit {git.get('commit')}{' (dirty)' if git.get('dirty') else ''}\n"
        f"gunicorn {config.get('workers')} workers x gthread {config.get('threads')} threads; "
        f"c=1: {config.get('latency_requests')} requests after {config.get('warmup')} warm-up; "
        f"cN: c={config.get('concurrency')} for {config.get('duration_s')} s"
    )
    busy = machine.get("cpu_busy_percent_before")
    if busy is not None and busy > 20:
        head += f"\nWARNING: {busy}% of the CPU was busy with other work before the run: figures are skewed"
    parts = [head, "", *table(result), "", LEGEND, ""]
    paths = [f"  {e['name']:<27} {e['method']} {e['path']}" for e in result["endpoints"]]
    parts += ["Requests:", *paths, ""]
    again = result.get("framework_floor_at_end")
    if again:
        start, end = again.get("at_start"), again.get("rps")
        drift = abs(end - start) / start * 100 if start and end else None
        parts += [
            f"Framework floor measured again after the endpoints: {fmt(end)} rps (start {fmt(start)} rps, "
            f"drift {fmt(drift)}%; a large drift means the machine was busy with something else).",
            "",
        ]
    mem = memory_lines(result)
    if mem:
        parts += ["Worker memory:", *mem, ""]
    parts.append(
        "Targets (issue 3 item 4, issue 5 item 6; medium vs province and query counts vs data volume:"
        " python bench/compare.py A.json B.json):"
    )
    for check in result.get("targets") or evaluate(result):
        parts.append(f"  {check['result']:<4}  {check['target']:<40} {check['endpoint']:<27} {check['figure']}")
    if result.get("harness_error"):
        parts += ["", f"HARNESS ERROR: {result['harness_error']}"]
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0]) as f:
        print(render(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
