"""Compare two benchmark runs endpoint by endpoint (issue 3: medium vs province within 1.5x of each other).

    python bench/compare.py bench/results/medium-<ts>.json bench/results/province-<ts>.json

For each endpoint both runs measured: queries per request, p50 and p95 at concurrency 1 and requests/s at the
saturating concurrency, with the ratio B/A. An endpoint passes when p50, p95 and requests/s are each within
1.5x of each other in either direction; a query count that differs is flagged too (cost growing with data).
Standalone (standard library only), so it also runs outside the venv.
"""

import json
import math
import sys

LIMIT = 1.5


def load(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def figure(endpoint: dict, phase: str, key: str):
    value = ((endpoint.get("http") or {}).get(phase) or {}).get(key)
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def ratio(a, b):
    return b / a if a and b is not None else None


def fmt(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def compare(a: dict, b: dict) -> tuple[list[str], int]:
    b_by_name = {e["name"]: e for e in b["endpoints"]}
    header = (
        f"{'endpoint':<27} {'q A':>4} {'q B':>4} {'p50 A':>7} {'p50 B':>7} {'x':>5} {'p95 A':>7} {'p95 B':>7}"
        f" {'x':>5} {'rps A':>7} {'rps B':>7} {'x':>5}  result"
    )
    lines, misses = [header, "-" * len(header)], 0
    for ea in a["endpoints"]:
        eb = b_by_name.get(ea["name"])
        if eb is None:
            continue
        p50 = [figure(e, "c1", "p50_ms") for e in (ea, eb)]
        p95 = [figure(e, "c1", "p95_ms") for e in (ea, eb)]
        rps = [figure(e, "cN", "rps") for e in (ea, eb)]
        ratios = {"p50": ratio(*p50), "p95": ratio(*p95), "rps": ratio(*rps)}
        missed = [k for k, r in ratios.items() if r is not None and not 1 / LIMIT <= r <= LIMIT]
        qa, qb = ea.get("query_count"), eb.get("query_count")
        if qa != qb:
            missed.append(f"queries {qa} -> {qb}")
        result = "PASS" if not missed else "MISS: " + ", ".join(missed)
        if ea.get("category") == "floor":
            result = "(framework floor)" if not missed else f"(framework floor; {', '.join(missed)})"
        elif missed:
            misses += 1
        lines.append(
            f"{ea['name']:<27} {fmt(qa, 0):>4} {fmt(qb, 0):>4} {fmt(p50[0]):>7} {fmt(p50[1]):>7}"
            f" {fmt(ratios['p50'], 2):>5} {fmt(p95[0]):>7} {fmt(p95[1]):>7} {fmt(ratios['p95'], 2):>5}"
            f" {fmt(rps[0]):>7} {fmt(rps[1]):>7} {fmt(ratios['rps'], 2):>5}  {result}"
        )
    return lines, misses


def describe(run: dict, path: str) -> str:
    db = run.get("database", {})
    rows = db.get("row_counts", {})
    return (
        f"{path}: scale {run.get('scale')}, {db.get('name')}, {rows.get('creditinfo_enterprise', '?')} enterprises, "
        f"{rows.get('lending_application', '?')} applications, commit {run.get('git', {}).get('commit')}, "
        f"{run.get('started_at')}"
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    a, b = load(argv[0]), load(argv[1])
    print("A = " + describe(a, argv[0]))
    print("B = " + describe(b, argv[1]))
    print(f"x = B / A; each endpoint's p50, p95 (c=1) and rps (saturated) must be within {LIMIT}x either way\n")
    lines, misses = compare(a, b)
    print("\n".join(lines))
    print(f"\n{misses} endpoint(s) outside {LIMIT}x" if misses else f"\nevery endpoint within {LIMIT}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
