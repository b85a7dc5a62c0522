"""One benchmark run (`make bench SCALE=...`): serve the app with gunicorn, drive every endpoint of issue 3,
measure both floors, watch worker memory, write bench/results/<scale>-<UTC timestamp>.json, print the table
and the targets.

    python -m bench.run --scale province [--database-url URL] [options; see --help]

Exit status: 0 whatever the figures say (a MISS is a finding, not a failure); 2 when the harness could not
measure (server would not start, log-in or discovery failed, ...); gunicorn is stopped in every case.
"""

import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from itertools import cycle
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from bench import client, floors, report
from bench.client import Request, Target
from bench.server import ROOT, Gunicorn, HarnessError, manage, production_env, read_status, statics_stale

RESULTS = ROOT / "bench" / "results"
DEFAULT_PASSWORD = "Xinyidai#2026"  # noqa: S105 (the demo logins' published password, seed_demo --password)
CI_DATABASES = {"xinyidai", "test_xinyidai"}  # CI's: a run writes applications, so never there
MAIN_TABLES = [
    "xinyidai_user",
    "xinyidai_institution",
    "xinyidai_region",
    "creditinfo_enterprise",
    "creditinfo_authorization",
    "lending_product",
    "lending_financingdemand",
    "lending_demandclaim",
    "lending_application",
    "lending_applicationevent",
    "lending_creditdecision",
    "lending_loan",
    "django_session",
]
SESSION_KEY = re.compile(r"(\"session_key\" = )'[^']*'")
PG_SETTINGS = [
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "random_page_cost",
    "synchronous_commit",
    "max_connections",
    "jit",
]

# The endpoint catalogue: names in the order they are measured, the demo login each runs as, and the groups
# `--only` accepts. The foundation's requests are discovered at run time (deep pages, ids); issue 5's are fixed.
USERS = {"sme": "demo_sme", "officer": "demo_officer", "province": "demo_province"}
FOUNDATION = {
    "products_page": "sme",
    "products_page_deep": "sme",
    "products_api": "sme",
    "inbox_page": "officer",
    "inbox_page_deep": "officer",
    "applications_api": "officer",
    "applications_api_deep": "officer",
    "application_page": "officer",
    "application_api": "officer",
    "pool_page": "officer",
    "pool_api": "officer",
    "loans_page": "officer",
    "loans_api": "officer",
    "submit_api": "sme",
    "accept_api": "officer",
}
DASHBOARD = ("dashboard_page", "dashboard_city_page")
STATS = (
    "stats_summary_api",
    "stats_kpis_api",
    "stats_series_api",
    "stats_breakdown_bank_api",
    "stats_breakdown_region_api",
)
ISSUE5 = dict.fromkeys((*DASHBOARD, *STATS), "province")
CATALOGUE = ["healthz", *FOUNDATION, *ISSUE5]
GROUPS = {
    "foundation": list(FOUNDATION),
    "issue3": list(FOUNDATION),
    "dashboard": list(DASHBOARD),
    "stats": list(STATS),
    "issue5": [*DASHBOARD, *STATS],
}


@dataclass
class Endpoint:
    name: str
    label: str
    kind: str  # "page", "api" or "floor"
    category: str  # "read", "write" or "floor"
    method: str
    path: str
    user: str | None = None  # "sme" or "officer"
    auth: str = "none"  # "session" (cookie from the login form), "token" (API token) or "none"
    body: dict | None = None
    deep_of: str | None = None  # the first-page endpoint a deep page is compared with
    discovery: dict | None = None
    instances: int = 1  # captured SQL instances (writes: one per concurrent replayer)
    collect_ids: bool = False  # the created ids feed `ids_from` of a later endpoint
    ids_from: str | None = None
    issue: int = 3  # whose targets apply (bench.report.evaluate)


def crash_status(error: BaseException) -> int:
    """The exit status of a run that crashed or was interrupted (130 for Ctrl-C); prints the traceback of a crash."""
    if isinstance(error, SystemExit) and isinstance(error.code, int):
        return error.code
    if isinstance(error, KeyboardInterrupt):
        return 130
    if not isinstance(error, SystemExit):
        import traceback

        traceback.print_exc()
    return 1


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="demo", help="label of the data set: demo, medium or province")
    parser.add_argument("--database-url", help="default: postgres://postgres@127.0.0.1:5432/xinyidai_<scale>")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password of demo_sme and demo_officer")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: one per core)")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker (default 4)")
    parser.add_argument("--warmup", type=int, default=20, help="requests before each c=1 measurement")
    parser.add_argument("--latency-requests", type=int, default=200, help="measured requests at concurrency 1")
    parser.add_argument("--concurrency", type=int, default=16, help="the saturating concurrency (default 16)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each saturating HTTP phase")
    parser.add_argument("--max-requests", type=int, help="also stop a saturating phase after this many requests")
    parser.add_argument("--sql-duration", type=float, default=5, help="seconds of each saturating SQL replay")
    parser.add_argument(
        "--soak-requests", type=int, help="mixed reads at the end (0: skip; default 10000, or 0 with --only)"
    )
    parser.add_argument("--deep-page", type=int, default=200, help="deep page number (or cursor steps + 1)")
    parser.add_argument("--product-filter", default="guarantee_mode=04&amount=500000")
    parser.add_argument(
        "--only",
        nargs="*",
        help="measure only these endpoints or groups, comma- or space-separated (the framework floor always); "
        f"groups: {', '.join(GROUPS)}; e.g. --only dashboard,stats",
    )
    parser.add_argument("--dashboard-path", default="/dashboard/", help="the dashboard page (default range)")
    parser.add_argument(
        "--drill-query", default="region=410100", help="query string of the drilled-down dashboard (郑州市)"
    )
    parser.add_argument("--stats-series-query", default="", help="query string of /api/v1/stats/series/")
    parser.add_argument("--collectstatic", choices=["auto", "always", "never"], default="auto")
    parser.add_argument("--keep-writes", action="store_true", help="keep the applications the run submitted")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.database_url = args.database_url or f"postgres://postgres@127.0.0.1:5432/xinyidai_{args.scale}"
    try:
        args.selected = selection(args.only)
    except ValueError as error:
        parser.error(str(error))
    if args.soak_requests is None:
        args.soak_requests = 0 if args.only else 10_000
    return args


def selection(only: list[str] | None) -> list[str]:
    """The endpoint names to measure, in catalogue order: every one, or those `--only` names (groups expanded;
    an accept needs the submissions of the same run)."""
    if not only:
        return list(CATALOGUE)
    wanted = {"healthz"}
    for item in (part.strip() for value in only for part in value.split(",")):
        if not item:
            continue
        if item in GROUPS:
            wanted.update(GROUPS[item])
        elif item in CATALOGUE:
            wanted.add(item)
        else:
            raise ValueError(f"--only: unknown endpoint or group {item!r} (groups: {', '.join(GROUPS)})")
    if "accept_api" in wanted:
        wanted.add("submit_api")
    return [name for name in CATALOGUE if name in wanted]


def roles_needed(selected: list[str]) -> list[str]:
    """The demo logins a selection needs (the foundation's discovery needs both demo_sme and demo_officer)."""
    roles = set()
    if any(name in FOUNDATION for name in selected):
        roles |= {"sme", "officer"}
    roles |= {ISSUE5[name] for name in selected if name in ISSUE5}
    return [role for role in USERS if role in roles]


# --- facts about the machine, the code and the data --------------------------------------------------------


def machine_info() -> dict:
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "mem_total_mib": int(meminfo["MemTotal"].split()[0]) // 1024,
        "mem_available_mib_at_start": int(meminfo["MemAvailable"].split()[0]) // 1024,
        "loadavg_at_start": os.getloadavg(),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def cpu_busy(seconds: float = 1.0) -> float:
    """Percent of all cores busy over `seconds` (from /proc/stat): other work that would skew the figures."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values) - idle, sum(values)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return round(100 * (busy1 - busy0) / max(total1 - total0, 1), 1)


def git_info() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short=12", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "branch": git("rev-parse", "--abbrev-ref", "HEAD"),
    }


def database_info(database_url: str, usernames: list[str]) -> dict:
    name = urlsplit(database_url).path.lstrip("/")
    if name in CI_DATABASES:
        raise HarnessError(f"refusing to benchmark {name!r}: it is CI's database and a run writes applications")
    try:
        conn = psycopg.connect(database_url, connect_timeout=5, autocommit=True)
    except psycopg.Error as error:
        raise HarnessError(f"cannot connect to {name}: {error}".strip()) from error
    with conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        if "xinyidai_user" not in tables:
            raise HarnessError(f"{name} has no Xinyidai tables: migrate and seed it (see bench/README.md)")
        users = {r[0] for r in conn.execute("SELECT username FROM xinyidai_user WHERE username LIKE 'demo\\_%'")}
        missing = set(usernames) - users
        if missing:
            raise HarnessError(f"{name} lacks {sorted(missing)}: run seed_demo on it first (see bench/README.md)")
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in MAIN_TABLES if t in tables}  # noqa: S608 (fixed names)
        settings = {s: conn.execute(f"SHOW {s}").fetchone()[0] for s in PG_SETTINGS}
        size = conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0]
    return {"name": name, "server_version": version, "size": size, "row_counts": counts, "settings": settings}


# --- the run -----------------------------------------------------------------------------------------------


@dataclass
class Run:
    args: argparse.Namespace
    server: Gunicorn
    env: dict[str, str]
    mark: str
    result: dict
    headers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    created: dict[str, deque] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base_url

    def request(self, endpoint: Endpoint, path: str | None = None) -> Request:
        headers = dict(self.headers.get((endpoint.auth, endpoint.user or ""), {}))
        body = None
        if endpoint.body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(endpoint.body).encode()
        return Request(endpoint.method, path or endpoint.path, headers, body)

    def target(self, endpoint: Endpoint) -> Target:
        """Reads repeat one request; a submission collects its new ids; an accept takes one id each."""
        if endpoint.ids_from:
            ids = self.created.setdefault(endpoint.ids_from, deque())

            def make() -> Request | None:
                return self.request(endpoint, endpoint.path.format(id=ids.popleft())) if ids else None

            return Target(make=make)
        request = self.request(endpoint)
        if endpoint.collect_ids:
            ids = self.created.setdefault(endpoint.name, deque())

            def seen(status: int, body: bytes) -> None:
                if status == 201:
                    ids.append(json.loads(body)["id"])

            return Target(make=lambda: request, seen=seen)
        return client.fixed(request)

    def redact(self, text: str) -> str:
        """The statement without API tokens and session keys (results files may be committed)."""
        for token in self.tokens.values():
            text = text.replace(token, "<token>")
        return SESSION_KEY.sub(r"\1'<session>'", text)

    # --- set-up ---

    async def log_in(self) -> None:
        for role in roles_needed(self.args.selected):
            username = USERS[role]
            session_id = await client.session_login(self.base, username, self.args.password)
            token = await client.api_token(self.base, username, self.args.password)
            self.tokens[role] = token
            self.headers[("session", role)] = {"Cookie": f"sessionid={session_id}"}
            self.headers[("token", role)] = {"Authorization": f"Token {token}"}

    async def discover(self) -> list[Endpoint]:
        """The concrete requests of the selected endpoints (`--only`), the framework floor first."""
        selected = self.args.selected
        endpoints = [Endpoint("healthz", "framework floor", "floor", "floor", "GET", "/healthz/")]
        if any(name in FOUNDATION for name in selected):
            endpoints += await self.discover_foundation()
        if any(name in ISSUE5 for name in selected):
            endpoints += self.issue5_endpoints()
        return [e for e in endpoints if e.name in selected]

    def issue5_endpoints(self) -> list[Endpoint]:
        """The dashboard page and the statistics API (issue 5, item 6), as demo_province (the whole province)."""
        a = self.args
        page, api = (
            {"user": "province", "auth": "session", "issue": 5},
            {"user": "province", "auth": "token", "issue": 5},
        )
        drill = f"{a.dashboard_path}?{a.drill_query}" if a.drill_query else a.dashboard_path
        series = "/api/v1/stats/series/" + (f"?{a.stats_series_query}" if a.stats_series_query else "")
        return [
            Endpoint("dashboard_page", "dashboard, default range", "page", "read", "GET", a.dashboard_path, **page),
            Endpoint("dashboard_city_page", "dashboard drilled to a city", "page", "read", "GET", drill, **page),
            Endpoint("stats_summary_api", "stats summary API", "api", "read", "GET", "/api/v1/stats/summary/", **api),
            Endpoint("stats_kpis_api", "stats KPI API", "api", "read", "GET", "/api/v1/stats/kpis/", **api),
            Endpoint("stats_series_api", "stats monthly series API", "api", "read", "GET", series, **api),
            Endpoint(
                "stats_breakdown_bank_api", "stats by bank API", "api", "read", "GET", "/api/v1/stats/breakdown/bank/",
                **api,
            ),
            Endpoint(
                "stats_breakdown_region_api", "stats by region API", "api", "read", "GET",
                "/api/v1/stats/breakdown/region/", **api,
            ),
        ]  # fmt: skip

    async def probe(self, endpoints: list[Endpoint]) -> dict[str, dict]:
        """One untimed GET of each read: the ones that do not answer 200 (not built yet: 404; a page sending
        the user to log in: 302) are reported and left out instead of being timed as if they worked."""
        missing = {}
        for endpoint in endpoints:
            if endpoint.category != "read" or endpoint.method != "GET":
                continue
            headers = self.headers.get((endpoint.auth, endpoint.user or ""), {})
            status, text, location = await client.probe(self.base, endpoint.path, headers)
            if status != 200:
                hint = {404: "not built yet?", 302: "redirected: login or role refused?", 403: "role refused"}
                missing[endpoint.name] = {
                    "status": status,
                    "hint": hint.get(status, "error"),
                    "location": location,
                    "body": text[:300],
                }
                log(f"{endpoint.name}: GET {endpoint.path} answered {status} ({missing[endpoint.name]['hint']})")
        return missing

    async def discover_foundation(self) -> list[Endpoint]:
        """The foundation's requests (issue 3): deep pages that exist, a visible application, an eligible product."""
        a, depth = self.args, self.args.deep_page
        sme_page, officer_page = self.headers[("session", "sme")], self.headers[("session", "officer")]
        sme_api, officer_api = self.headers[("token", "sme")], self.headers[("token", "officer")]

        products = f"/products/?{a.product_filter}"
        products_deep, products_info = await client.deep_html_page(self.base, products, sme_page, depth)
        inbox = "/inbox/?status=submitted"
        inbox_deep, inbox_info = await client.deep_html_page(self.base, inbox, officer_page, depth)
        inbox_api = "/api/v1/applications/?status=submitted"
        inbox_api_deep, inbox_api_info = await client.deep_api_page(self.base, inbox_api, officer_api, depth)

        detail_id = None
        for query in ("?status=disbursed", ""):
            results = (await client.get_json(self.base, f"/api/v1/applications/{query}", officer_api))["results"]
            if results:
                detail_id = results[0]["id"]
                break
        if detail_id is None:
            raise HarnessError("demo_officer sees no application: seed the database first")

        product = None
        async for item in client.api_items(self.base, "/api/v1/institution-products/?page_size=100", officer_api):
            if item["status"] != "listed":
                continue
            seen_by_sme = await client.get_json(self.base, f"/api/v1/products/{item['id']}/", sme_api)
            if seen_by_sme.get("eligible"):
                product = seen_by_sme
                break
        if product is None:
            raise HarnessError(
                "no listed product of demo_officer's institution tree is open to demo_sme's enterprise, "
                "so submissions could not be accepted by demo_officer"
            )
        submission = {
            "product": product["id"],
            "amount": product["amount_min"],
            "term_months": product["term_min_months"],
            "purpose": self.mark,
            "consent": True,
        }
        self.result["discovery"] = {
            "products_deep": products_info,
            "inbox_deep": inbox_info,
            "applications_api_deep": inbox_api_info,
            "application_detail_id": detail_id,
            "submission_product": {k: product[k] for k in ("id", "name", "amount_min", "amount_max")},
            "submission_body": submission,
        }
        n = a.concurrency
        sme_s, officer_s = {"user": "sme", "auth": "session"}, {"user": "officer", "auth": "session"}
        sme_t, officer_t = {"user": "sme", "auth": "token"}, {"user": "officer", "auth": "token"}
        return [
            Endpoint("products_page", "supermarket, filtered, p1", "page", "read", "GET", products, **sme_s),
            Endpoint(
                "products_page_deep",
                "supermarket, filtered, deep page",
                "page",
                "read",
                "GET",
                products_deep,
                **sme_s,
                deep_of="products_page",
                discovery=products_info,
            ),
            Endpoint(
                "products_api",
                "supermarket API",
                "api",
                "read",
                "GET",
                f"/api/v1/products/?{a.product_filter}",
                **sme_t,
            ),
            Endpoint("inbox_page", "officer inbox, submitted, p1", "page", "read", "GET", inbox, **officer_s),
            Endpoint(
                "inbox_page_deep",
                "officer inbox, submitted, deep page",
                "page",
                "read",
                "GET",
                inbox_deep,
                **officer_s,
                deep_of="inbox_page",
                discovery=inbox_info,
            ),
            Endpoint("applications_api", "applications API, submitted", "api", "read", "GET", inbox_api, **officer_t),
            Endpoint(
                "applications_api_deep",
                "applications API, submitted, deep page",
                "api",
                "read",
                "GET",
                inbox_api_deep,
                **officer_t,
                deep_of="applications_api",
                discovery=inbox_api_info,
            ),
            Endpoint(
                "application_page", "detail page", "page", "read", "GET", f"/applications/{detail_id}/", **officer_s
            ),
            Endpoint(
                "application_api", "detail API", "api", "read", "GET", f"/api/v1/applications/{detail_id}/", **officer_t
            ),
            Endpoint("pool_page", "demand pool page", "page", "read", "GET", "/pool/", **officer_s),
            Endpoint("pool_api", "demand pool API", "api", "read", "GET", "/api/v1/demands/pool/", **officer_t),
            Endpoint("loans_page", "loan list page", "page", "read", "GET", "/loans/", **officer_s),
            Endpoint("loans_api", "loan list API", "api", "read", "GET", "/api/v1/loans/", **officer_t),
            Endpoint(
                "submit_api",
                "application submission (SME)",
                "api",
                "write",
                "POST",
                "/api/v1/applications/",
                **sme_t,
                body=submission,
                instances=n,
                collect_ids=True,
            ),
            Endpoint(
                "accept_api",
                "accept a fresh submission (officer)",
                "api",
                "write",
                "POST",
                "/api/v1/applications/{id}/accept/",
                **officer_t,
                instances=n,
                ids_from="submit_api",
            ),
        ]

    def capture(self, endpoints: list[Endpoint]) -> dict:
        """Each endpoint's SQL, captured in a separate Django process (bench.capture)."""
        spec = {
            "host": f"{self.server.host}:{self.server.port}",
            "users": {
                role: {"username": USERS[role], "password": self.args.password, "token": token}
                for role, token in self.tokens.items()
            },
            "endpoints": [asdict(e) for e in endpoints if e.category != "floor"],
        }
        with tempfile.TemporaryDirectory(prefix="xinyidai-bench-") as tmp:
            spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "sql.json")
            spec_path.write_text(json.dumps(spec))
            done = subprocess.run(
                [sys.executable, "-m", "bench.capture", "capture", str(spec_path), str(out_path)],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise HarnessError(f"SQL capture failed:\n{done.stderr[-3000:]}")
            captured = json.loads(out_path.read_text())
        for name in ("submit_api", "accept_api"):
            statuses = captured.get(name, {}).get("statuses", [])
            if any(s >= 400 for s in statuses):
                raise HarnessError(f"captured {name} answered {statuses}: the write endpoints cannot be measured")
        return captured

    # --- measuring ---

    async def measure(self) -> None:
        a = self.args
        await self.log_in()
        endpoints = await self.discover()
        missing = await self.probe(endpoints)
        for endpoint in endpoints:
            if endpoint.name in missing:
                row = {k: v for k, v in asdict(endpoint).items() if k not in ("instances", "collect_ids", "ids_from")}
                self.result["endpoints"].append({**row, "http": {}, "sql": None, "unavailable": missing[endpoint.name]})
        endpoints = [e for e in endpoints if e.name not in missing]
        log("capturing each endpoint's SQL in a separate Django process")
        captured = await asyncio.to_thread(self.capture, endpoints)
        rows = self.result["endpoints"]
        floor_rps = None
        for endpoint in endpoints:
            row = {
                **{k: v for k, v in asdict(endpoint).items() if k not in ("instances", "collect_ids", "ids_from")},
                "http": {},
                "sql": None,
            }
            rows.append(row)
            sql = captured.get(endpoint.name)
            if sql is not None:
                row["query_count"] = sql["query_count"]
                row["capture"] = {k: sql[k] for k in ("statuses", "query_counts_seen", "db_time_ms", "missing_sql")}
                row["sql_sample"] = [self.redact(statement) for statement in sql["instances"][0] if statement]
            elif endpoint.category == "floor":
                row["query_count"] = 0
            target = self.target(endpoint)
            async with MemorySampler(self.server) as memory:
                row["http"]["warmup"] = await client.drive(self.base, target, concurrency=1, count=a.warmup)
                row["http"]["c1"] = await client.drive(
                    self.base, target, concurrency=1, count=a.latency_requests, keep_raw=True
                )
                row["http"]["cN"] = await client.drive(
                    self.base, target, concurrency=a.concurrency, duration=a.duration, count=a.max_requests
                )
            row["rss"] = memory.summary()
            if sql is not None and sql["instances"]:
                instances = sql["instances"]
                transactional = endpoint.category == "write"
                row["sql"] = {
                    "mode": "COMMIT replayed as ROLLBACK" if transactional else "as captured",
                    "c1": await floors.replay(
                        a.database_url,
                        instances[:1],
                        transactional=transactional,
                        concurrency=1,
                        count=a.latency_requests,
                        warmup=a.warmup,
                        keep_raw=True,
                    ),
                    "cN": await floors.replay(
                        a.database_url,
                        instances,
                        transactional=transactional,
                        concurrency=a.concurrency,
                        duration=a.sql_duration,
                    ),
                }
            if endpoint.name == "healthz":
                floor_rps = row["http"]["cN"]["rps"]
            row["ratios"] = ratios(row, floor_rps)
            log(progress_line(row))
        rows.sort(key=lambda row: CATALOGUE.index(row["name"]))
        # The framework floor again: a drift between the two says the machine was busy with something else.
        floor = endpoints[0]
        again = await client.drive(self.base, self.target(floor), concurrency=a.concurrency, duration=a.duration)
        self.result["framework_floor_at_end"] = {"rps": again["rps"], "p95_ms": again["p95_ms"], "at_start": floor_rps}
        log(f"framework floor again: {report.fmt(again['rps'], 0)} rps (at the start: {report.fmt(floor_rps, 0)} rps)")
        self.result["memory"]["workers"] = [
            {"pid": pid, **status} for pid, status in sorted(self.server.memory().items())
        ]
        if a.soak_requests > 0:
            await self.soak([e for e in endpoints if e.category == "read"])

    async def soak(self, reads: list[Endpoint]) -> None:
        """Fresh workers (SIGHUP), then a mixed read loop; RSS per worker after 100 requests and at the end."""
        a = self.args
        log(f"soak: reloading workers, then {a.soak_requests} mixed reads at c={a.concurrency}")
        await asyncio.to_thread(self.server.reload)
        pids = self.server.worker_pids()
        requests = cycle([self.request(e) for e in reads])
        checkpoints = {100, a.soak_requests, *range(1000, a.soak_requests, 1000)}
        curve: dict[int, list] = {pid: [] for pid in pids}

        def progress(done: int) -> None:
            if done in checkpoints:
                for pid in pids:
                    curve[pid].append((done, read_status(pid).get("VmRSS", 0)))

        stats = await client.drive(
            self.base,
            Target(make=lambda: next(requests)),
            concurrency=a.concurrency,
            count=a.soak_requests,
            on_progress=progress,
        )
        workers = {}
        for pid, points in curve.items():
            first, last = (points[0][1], points[-1][1]) if points else (0, 0)
            workers[str(pid)] = {
                "rss_after_first_kib": first,
                "rss_at_end_kib": last,
                "after_first": points[0][0] if points else None,
                "growth": round(last / first, 4) if first else None,
                "curve": points,
            }
        self.result["memory"]["soak"] = {
            "requests": stats["requests"],
            "concurrency": a.concurrency,
            "errors": stats["errors"],
            "statuses": stats["statuses"],
            "rps": stats["rps"],
            "p50_ms": stats["p50_ms"],
            "p95_ms": stats["p95_ms"],
            "endpoints": [e.name for e in reads],
            "workers": workers,
        }
        self.result["memory"]["soak_workers"] = [
            {"pid": pid, **status} for pid, status in sorted(self.server.memory().items())
        ]
        log(f"soak: {stats['requests']} requests, {stats['errors']} errors, {stats['rps']} rps")


class MemorySampler:
    """The largest VmRSS of each worker while a block runs (sampled every 50 ms)."""

    def __init__(self, server: Gunicorn, interval: float = 0.05):
        self.server, self.interval = server, interval
        self.peak: dict[int, int] = {}

    def sample(self) -> None:
        for pid in self.pids:
            rss = read_status(pid).get("VmRSS", 0)
            self.peak[pid] = max(self.peak.get(pid, 0), rss)

    async def _loop(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)

    async def __aenter__(self):
        self.pids = self.server.worker_pids()
        self.task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc) -> None:
        self.task.cancel()
        self.sample()

    def summary(self) -> dict:
        return {"max_rss_kib": max(self.peak.values(), default=0), "per_worker_kib": self.peak}


def ratios(row: dict, floor_rps: float | None) -> dict:
    def div(a, b):
        return round(a / b, 3) if a is not None and b else None

    http, sql = row["http"], row["sql"] or {}
    return {
        "rps_to_framework_floor": div(http["cN"]["rps"], floor_rps),
        "p50_to_sql_p50": div(http["c1"]["p50_ms"], (sql.get("c1") or {}).get("p50_ms")),
        "rps_to_sql_rps": div(http["cN"]["rps"], (sql.get("cN") or {}).get("rps")),
    }


def progress_line(row: dict) -> str:
    c1, cn, num = row["http"]["c1"], row["http"]["cN"], report.fmt
    text = (
        f"{row['name']:<27} q={row.get('query_count', '-')!s:<3} c=1 p50 {num(c1['p50_ms'])} p95 {num(c1['p95_ms'])}"
        f" ms | cN {num(cn['rps'], 0)} rps p95 {num(cn['p95_ms'])} ms"
    )
    if row["sql"]:
        text += f" | sql p50 {num(row['sql']['c1']['p50_ms'], 2)} ms, {num(row['sql']['cN']['rps'], 0)} rps"
    errors = sum(row["http"][p]["errors"] for p in ("warmup", "c1", "cN"))
    return text + (f" | {errors} ERRORS {row['http']['cN']['statuses']}" if errors else "")


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict:
    """Checks and static files before the server starts; what they found goes into the results."""
    pending = manage(env, "migrate", "--check", "--noinput", capture=True)
    if pending.returncode != 0:
        log("WARNING: the database has unapplied migrations (indexes may be missing): migrate it first")
    if args.collectstatic == "always" or (args.collectstatic == "auto" and statics_stale()):
        log("collectstatic --noinput (WhiteNoise compressed manifest)")
        done = manage(env, "collectstatic", "--noinput", "-v", "0", capture=True)
        if done.returncode != 0:
            raise HarnessError(f"collectstatic failed:\n{done.stderr[-2000:]}")
    elif args.collectstatic == "auto":
        log("staticfiles/ is up to date (collectstatic skipped; --collectstatic always to force)")
    return {"migrations_pending": pending.returncode != 0}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = datetime.datetime.now(datetime.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    out_path = args.output_dir / f"{args.scale}-{stamp}.json"
    env = production_env(args.database_url)
    server = Gunicorn(
        env=env,
        log_path=args.output_dir / f"{args.scale}-{stamp}.gunicorn.log",
        port=args.port,
        workers=args.workers,
        threads=args.threads,
    )
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "password"}
    config.update(
        duration_s=args.duration, gunicorn=server.argv()[1:], conn_max_age=env.get("DATABASE_CONN_MAX_AGE", "60")
    )
    result = {
        "scale": args.scale,
        "started_at": started.isoformat(timespec="seconds"),
        "config": config,
        "machine": machine_info(),
        "git": git_info(),
        "endpoints": [],
        "memory": {},
    }
    run = Run(args=args, server=server, env=env, mark=f"xinyidai-bench {stamp}", result=result)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops gunicorn
    status, wrote = 0, False
    try:
        log(f"scale {args.scale}: database {urlsplit(args.database_url).path.lstrip('/')}")
        result["machine"]["cpu_busy_percent_before"] = busy = cpu_busy()
        if busy > 20:
            log(f"WARNING: {busy}% of the CPU was busy before the run started: the figures will be skewed")
        result["database"] = database_info(args.database_url, [USERS[r] for r in roles_needed(args.selected)])
        wrote = True  # from here on the run may write applications: clean them up
        result["database"].update(prepare(args, env))
        log(f"starting gunicorn on {server.base_url} ({args.workers} workers x {args.threads} threads)")
        server.start()
        asyncio.run(run.measure())
    except HarnessError as error:
        result["harness_error"] = str(error)
        status = 2
    except BaseException as error:  # a crash or Ctrl-C: still stop the server, clean up, keep what was measured
        result["harness_error"] = f"{type(error).__name__}: {error}"
        status = crash_status(error)
    finally:
        result["memory"].setdefault("retired_workers", server.retired)
        server.stop()
        if wrote and not args.keep_writes:
            cleanup = subprocess.run(
                [sys.executable, "-m", "bench.capture", "cleanup", run.mark],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            result["cleanup"] = cleanup.stdout.strip() or cleanup.stderr.strip()[-500:]
    result["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    result["targets"] = report.evaluate(result)
    out_path.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print()
    print(report.render(result))
    print(f"\nResults: {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
