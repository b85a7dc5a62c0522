"""Load and soak benchmark (issue 7, item 7): many simulated users on a mixed journey for minutes, against
gunicorn with production settings and a real Celery worker, on a seeded PostgreSQL database.

    python -m bench.soak --scale medium [--database-url URL] [--duration 600] [--users 50] [options; --help]
    make soak SCALE=medium SOAK_ARGS="--duration 60"

Each simulated user logs in as one soak login (created once in the database by bench/soak_setup.py) and loops
its role's journey with think time between steps: SMEs browse and apply and publish demands, officers work
their inbox (accept, open the consented credit profile, approve) and the demand pool (claim, release), staff
read the dashboard and the statistics API, and API clients with tokens read statistics, post bank feedback
with an Idempotency-Key (which asks the worker for a rollup refresh) and request credit report PDFs (which the
worker renders). Every response is checked against what the journey expects; any other status and every
connection error counts as an error. Worker memory (gunicorn and Celery, VmRSS from /proc) and the load
average are sampled every --sample-interval seconds.

Writes bench/results/soak-<scale>-<UTC timestamp>.json (with the gunicorn and Celery logs next to it) and
prints a table. Exit status 0 whatever the figures say; 2 when the harness could not run.
"""

import argparse
import asyncio
import datetime
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from bench import client, report
from bench.run import CI_DATABASES, DEFAULT_PASSWORD, cpu_busy, crash_status, git_info, log, machine_info
from bench.server import (
    BIN,
    ROOT,
    Gunicorn,
    HarnessError,
    children_of,
    manage,
    production_env,
    read_status,
    statics_stale,
)

RESULTS = ROOT / "bench" / "results"
ROLES = ["sme", "officer", "staff", "api_bank", "api_stats", "api_report"]
DEFAULT_MIX = {"sme": 20, "officer": 10, "staff": 6, "api_bank": 6, "api_stats": 4, "api_report": 4}
SHANGHAI = ZoneInfo("Asia/Shanghai")
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
DEMAND_URL = re.compile(r"/demands/(\d+)/$")
PRODUCT_FILTERS = ["", "guarantee_mode=04&amount=500000", "guarantee_mode=04", "amount=1000000"]

# Issue 3 (item 4) and issue 5 (item 6) targets, for the p95 of each step under the mixed load. They were set
# for concurrency 1; here 50 users share the machine, so a MISS is a finding to read with the load average.
READ_MS, WRITE_MS, DASHBOARD_MS, STATS_MS = 50.0, 80.0, 150.0, 50.0
TARGETS = {
    "home_page": READ_MS,
    "products_page": READ_MS,
    "product_page": READ_MS,
    "recommendations_page": READ_MS,
    "my_applications_page": READ_MS,
    "authorizations_page": READ_MS,
    "notifications_page": READ_MS,
    "demand_form_page": READ_MS,
    "demand_page": READ_MS,
    "inbox_page": READ_MS,
    "application_page": READ_MS,
    "profile_page": READ_MS,
    "pool_page": READ_MS,
    "pool_api": READ_MS,
    "loans_page": READ_MS,
    "loan_api": READ_MS,
    "demand_api": READ_MS,
    "dashboard_page": DASHBOARD_MS,
    "dashboard_city_page": DASHBOARD_MS,
    "stats_summary_api": STATS_MS,
    "stats_kpis_api": STATS_MS,
    "stats_series_api": STATS_MS,
    "stats_breakdown_bank_api": STATS_MS,
    "stats_breakdown_region_api": STATS_MS,
    "submit_api": WRITE_MS,
    "demand_publish_form": WRITE_MS,
    "demand_close_api": WRITE_MS,
    "accept_api": WRITE_MS,
    "approve_api": WRITE_MS,
    "claim_api": WRITE_MS,
    "release_api": WRITE_MS,
    "repayment_api": WRITE_MS,
    "repayment_replay_api": WRITE_MS,
    "report_request_api": WRITE_MS,
    "report_status_api": READ_MS,
}


# Steps left out of the per-minute latency curve: password hashing and PDF files, slow by design.
SLOW_BY_DESIGN = {"login_page", "login_post", "token_api", "report_download_api"}
# Checks on what came back, recorded like steps (ok or an error) but not requests.
CHECKS = {"claim_race_check", "release_race_check", "repayment_replay_check", "report_download_check", "report_ready"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="demo", help="label of the data set: demo, medium or province")
    parser.add_argument("--database-url", help="default: postgres://postgres@127.0.0.1:5432/xinyidai_<scale>")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="password given to the soak logins")
    parser.add_argument("--duration", type=float, default=600, help="seconds of load after the ramp-up (600)")
    parser.add_argument("--users", type=int, default=50, help="simulated users (the mix is scaled to it)")
    parser.add_argument(
        "--mix",
        default=",".join(f"{k}={v}" for k, v in DEFAULT_MIX.items()),
        help="users per role before scaling to --users (roles: " + ", ".join(ROLES) + ")",
    )
    parser.add_argument("--think", default="2,6", help="think time between steps, min,max seconds (uniform)")
    parser.add_argument("--ramp", type=float, default=30, help="seconds over which the users log in, one by one")
    parser.add_argument("--institutions", type=int, default=5, help="bank branches the officers and SMEs use")
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/7", help="the Celery worker's broker")
    parser.add_argument("--celery-concurrency", type=int, default=2, help="worker processes of the Celery worker")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: one per core)")
    parser.add_argument("--threads", type=int, default=4, help="gthread threads per worker (default 4)")
    parser.add_argument("--sample-interval", type=float, default=10, help="seconds between memory samples")
    parser.add_argument("--report-timeout", type=float, default=120, help="seconds a PDF may take to be ready")
    parser.add_argument("--seed", type=int, default=20261128, help="random seed of the journeys")
    parser.add_argument("--collectstatic", choices=["auto", "always", "never"], default="auto")
    parser.add_argument("--keep-writes", action="store_true", help="keep the applications and demands written")
    parser.add_argument("--output-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.database_url = args.database_url or f"postgres://postgres@127.0.0.1:5432/xinyidai_{args.scale}"
    low, _, high = args.think.partition(",")
    args.think_range = (float(low), float(high or low))
    try:
        args.counts = role_counts(args.mix, args.users)
    except ValueError as error:
        parser.error(str(error))
    return args


def role_counts(mix: str, users: int) -> dict[str, int]:
    """`--mix` scaled to `users` (largest remainders), every role named in the mix keeping at least one user."""
    weights = {}
    for part in filter(None, (p.strip() for p in mix.split(","))):
        role, _, n = part.partition("=")
        if role not in ROLES or not n.isdigit():
            raise ValueError(f"--mix: expected role=N with a role among {ROLES}, got {part!r}")
        weights[role] = int(n)
    total = sum(weights.values())
    if not total or users < len([w for w in weights.values() if w]):
        raise ValueError("--mix and --users: at least one user per role in the mix")
    exact = {r: users * w / total for r, w in weights.items() if w}
    counts = {r: max(1, math.floor(x)) for r, x in exact.items()}
    by_remainder = sorted(exact, key=lambda r: exact[r] - math.floor(exact[r]), reverse=True)
    for role in by_remainder:
        if sum(counts.values()) >= users:
            break
        counts[role] += 1
    while sum(counts.values()) > users:
        counts[max(counts, key=counts.get)] -= 1
    return counts


# --- measurements ------------------------------------------------------------------------------------------


@dataclass
class Step:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: int = 0


@dataclass
class Recorder:
    """Every request of the run: latency and status per step name, errors with a sample of their bodies."""

    started: float
    steps: dict[str, Step] = field(default_factory=lambda: defaultdict(Step))
    error_samples: list[dict] = field(default_factory=list)
    timeline: Counter = field(default_factory=Counter)  # requests per minute of the run
    timeline_errors: Counter = field(default_factory=Counter)
    minute_latencies: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, seconds: float, status: str, ok: bool, *, detail: str = "", user: str = "") -> None:
        step = self.steps[name]
        step.latencies.append(seconds)
        step.statuses[status] += 1
        minute = int((time.monotonic() - self.started) // 60)
        if name not in CHECKS:
            self.timeline[minute] += 1
        if name not in SLOW_BY_DESIGN | CHECKS:
            self.minute_latencies[minute].append(seconds * 1000)
        if not ok:
            step.errors += 1
            self.timeline_errors[minute] += 1
            if len(self.error_samples) < 50:
                at = round(time.monotonic() - self.started, 1)
                self.error_samples.append({"step": name, "status": status, "user": user, "t": at, "body": detail[:500]})

    def summary(self) -> list[dict]:
        rows = []
        for name, step in sorted(self.steps.items()):
            ordered = sorted(x * 1000 for x in step.latencies)
            row = {
                "name": name,
                "check": name in CHECKS,
                "requests": len(ordered),
                "errors": step.errors,
                "statuses": dict(sorted(step.statuses.items())),
                "mean_ms": round(sum(ordered) / len(ordered), 3) if ordered else None,
                "max_ms": round(ordered[-1], 3) if ordered else None,
            }
            for q in (50, 90, 95, 99):
                row[f"p{q}_ms"] = round(client.percentile(ordered, q), 3) if ordered else None
            target = TARGETS.get(name)
            row["target_p95_ms"] = target
            if target is not None and ordered:
                row["target"] = "PASS" if row["p95_ms"] <= target else "MISS"
            rows.append(row)
        return rows


# --- the processes under test ------------------------------------------------------------------------------


class SoakGunicorn(Gunicorn):
    """bench.server.Gunicorn with its stdout/stderr (Django's error log: tracebacks of 500s) in a file."""

    output_path: Path | None = None

    def start(self, timeout: float = 60) -> None:
        if self._healthy():
            raise HarnessError(f"something already answers on {self.base_url}: stop it or pass --port")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.output_path, "ab") as out:
            self.process = subprocess.Popen(
                self.argv(), cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                start_new_session=True,
            )  # fmt: skip
        self.wait_ready(timeout)


@dataclass
class CeleryWorker:
    """A real `celery -A xinyidai worker` (no beat) on the soak's broker, started and always stopped here."""

    env: dict[str, str]
    log_path: Path
    concurrency: int
    name: str
    process: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        return [
            str(BIN / "celery"), "-A", "xinyidai", "worker", "-l", "info", f"--concurrency={self.concurrency}",
            f"--hostname={self.name}@%h", "--without-gossip", "--without-mingle",
        ]  # fmt: skip

    def purge(self) -> str:
        done = subprocess.run(
            [str(BIN / "celery"), "-A", "xinyidai", "purge", "-f"],
            cwd=ROOT, env=self.env, capture_output=True, text=True, check=False, timeout=60,
        )  # fmt: skip
        if done.returncode != 0:
            raise HarnessError(f"celery purge failed (is Redis up at the broker URL?):\n{done.stderr[-1500:]}")
        return done.stdout.strip()

    def start(self, timeout: float = 90) -> None:
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                self.argv(), cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"the Celery worker exited with {self.process.returncode}; see {self.log_path}")
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise HarnessError(f"the Celery worker was not ready within {timeout:.0f}s; see {self.log_path}")

    def pids(self) -> list[int]:
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *children_of(self.process.pid)]

    def stop(self) -> None:
        """SIGTERM (warm shutdown: running tasks finish), then SIGKILL of its process group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def queue_length(broker_url: str) -> int | None:
    """Messages still waiting in the worker's default queue (Redis list `celery`)."""
    try:
        import redis

        return redis.Redis.from_url(broker_url, socket_connect_timeout=2).llen("celery")
    except Exception:  # noqa: BLE001 (a figure for the report, never a reason to fail the run)
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (from /proc/<pid>/stat), 0 when it has gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


class Sampler:
    """Every `interval` s: VmRSS of the gunicorn master and workers and of the Celery worker's processes, the
    load average and the share of CPU busy since the previous sample."""

    def __init__(self, server: Gunicorn, worker: CeleryWorker, interval: float, started: float):
        self.server, self.worker, self.interval, self.started = server, worker, interval, started
        self.samples: list[dict] = []
        self._cpu = self._cpu_times()

    @staticmethod
    def _cpu_times() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    def sample(self) -> None:
        busy, total = self._cpu_times()
        cpu = round(100 * (busy - self._cpu[0]) / max(total - self._cpu[1], 1), 1)
        self._cpu = (busy, total)
        master = self.server.process.pid if self.server.process else None
        gunicorn_pids, celery_pids = self.server.worker_pids(), self.worker.pids()
        gunicorn = {str(pid): read_status(pid).get("VmRSS", 0) for pid in gunicorn_pids}
        celery = {str(pid): read_status(pid).get("VmRSS", 0) for pid in celery_pids}
        self.samples.append(
            {
                "t": round(time.monotonic() - self.started, 1),
                "loadavg": [round(x, 2) for x in os.getloadavg()],
                "cpu_busy_percent": cpu,
                "gunicorn_master_kib": read_status(master).get("VmRSS", 0) if master else 0,
                "gunicorn_workers_kib": gunicorn,
                "celery_kib": celery,
                "cpu_s": {str(pid): cpu_seconds(pid) for pid in [*gunicorn_pids, *celery_pids]},
            }
        )

    async def run(self) -> None:
        while True:
            self.sample()
            await asyncio.sleep(self.interval)


def slope_per_10min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, value) in value per 10 minutes."""
    if len(points) < 3:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if not var:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var * 600


def _cpu_in(points: list[tuple[float, float]], start: float, end: float) -> float | None:
    inside = [seconds for t, seconds in points if start <= t <= end + 1]
    return round(inside[-1] - inside[0], 1) if len(inside) > 1 else None


def memory_summary(samples: list[dict], load_from: float, load_to: float) -> dict:
    """Per process: mean RSS over the first and the last minute of the load, their ratio and the slope.

    The first minute starts when the last user has logged in (`load_from`): earlier, the workers are still
    importing the code paths that the first requests of each kind touch."""
    series: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for s in samples:
        for group, key in (("gunicorn", "gunicorn_workers_kib"), ("celery", "celery_kib")):
            for pid, kib in s[key].items():
                if kib:
                    series[(group, pid)].append((s["t"], kib / 1024))
        series[("gunicorn", "master")].append((s["t"], s["gunicorn_master_kib"] / 1024))
    cpu: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for s in samples:
        for pid, seconds in s.get("cpu_s", {}).items():
            if seconds:
                cpu[pid].append((s["t"], seconds))
    out = []
    for (group, pid), points in sorted(series.items()):
        window = [(t, v) for t, v in points if load_from <= t <= load_to + 1]
        first = [v for t, v in window if t < load_from + 60]
        last = [v for t, v in window if t > load_to - 60]
        first_mib = sum(first) / len(first) if first else None
        last_mib = sum(last) / len(last) if last else None
        out.append(
            {
                "process": group,
                "pid": pid,
                "samples": len(points),
                "first_minute_mib": round(first_mib, 1) if first_mib else None,
                "last_minute_mib": round(last_mib, 1) if last_mib else None,
                "growth": round(last_mib / first_mib, 4) if first_mib and last_mib else None,
                "slope_mib_per_10min": (lambda x: round(x, 2) if x is not None else None)(slope_per_10min(window)),
                "max_mib": round(max(v for _, v in points), 1),
                "cpu_s_in_window": _cpu_in(cpu.get(pid, []), load_from, load_to),
            }
        )
    return {"processes": out}


# --- the simulated users -----------------------------------------------------------------------------------


@dataclass
class Shared:
    """What the users hand each other: submitted applications waiting for an officer of their institution."""

    submitted: dict[int, deque] = field(default_factory=lambda: defaultdict(deque))
    demands: dict[int, deque] = field(default_factory=lambda: defaultdict(deque))
    report_ready_s: list[float] = field(default_factory=list)


def _by_role(users: list["User"]) -> Counter:
    out: Counter = Counter()
    for user in users:
        out[user.spec["role"]] += user.iterations
    return out


class User:
    def __init__(self, spec: dict, run: "Soak", index: int):
        self.spec, self.run, self.index = spec, run, index
        self.name = spec["username"]
        self.rng = random.Random(f"{run.args.seed}-{self.name}")
        self.token: str | None = None
        self.csrf: str | None = None
        self.web: aiohttp.ClientSession | None = None
        self.api: aiohttp.ClientSession | None = None
        self.iterations = 0

    # plumbing

    @property
    def base(self) -> str:
        return self.run.server.base_url

    def api_headers(self, **extra) -> dict[str, str]:
        return {"Authorization": f"Token {self.token}", "Accept-Language": "en", **extra}

    async def call(
        self,
        step: str,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200,),
        web: bool = True,
        json_body=None,
        form=None,
        headers: dict | None = None,
    ) -> tuple[int, bytes, dict]:
        session = self.web if web else self.api
        headers = dict(headers or (self.api_headers() if not web else {}))
        began = time.perf_counter()
        try:
            async with session.request(
                method, self.base + path, json=json_body, data=form, headers=headers, allow_redirects=False
            ) as response:
                body = await response.read()
                status, response_headers = response.status, dict(response.headers)
        except (aiohttp.ClientError, TimeoutError) as error:
            elapsed = time.perf_counter() - began
            self.run.recorder.add(
                step, elapsed, f"error:{type(error).__name__}", False, detail=str(error), user=self.name
            )
            return 0, b"", {}
        elapsed = time.perf_counter() - began
        ok = status in expect
        detail = "" if ok else f"{method} {path}: " + body[:400].decode(errors="replace")
        self.run.recorder.add(step, elapsed, str(status), ok, detail=detail, user=self.name)
        if web and ok and status == 200 and b"csrfmiddlewaretoken" in body:
            match = CSRF_FIELD.search(body.decode(errors="replace"))
            if match:
                self.csrf = match.group(1)
        return status, body, response_headers

    async def think(self, factor: float = 1.0) -> None:
        low, high = self.run.args.think_range
        await asyncio.sleep(self.rng.uniform(low, high) * factor)

    @property
    def stopping(self) -> bool:
        return time.monotonic() >= self.run.deadline

    async def login(self) -> bool:
        """Session through the login form (web users) and an API token (everyone)."""
        password = self.run.args.password
        if self.spec["role"] in ("sme", "officer", "staff"):
            status, body, _ = await self.call("login_page", "GET", "/accounts/login/")
            if status != 200 or not self.csrf:
                return False
            form = {"username": self.name, "password": password, "csrfmiddlewaretoken": self.csrf}
            status, _, headers = await self.call("login_post", "POST", "/accounts/login/", form=form, expect=(302,))
            if status != 302:
                return False
        status, body, _ = await self.call(
            "token_api", "POST", "/api/v1/auth/token/", web=False, expect=(200,),
            json_body={"username": self.name, "password": password}, headers={"Accept-Language": "en"},
        )  # fmt: skip
        if status != 200:
            return False
        self.token = json.loads(body)["token"]
        return True

    async def live(self, start_at: float) -> None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        jar = aiohttp.CookieJar(unsafe=True)
        connector = {"limit": 2, "keepalive_timeout": 3}
        async with (
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(**connector), cookie_jar=jar, timeout=client.TIMEOUT,
                headers={"Accept-Language": "zh-hans"},
            ) as self.web,
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(**connector), cookie_jar=aiohttp.DummyCookieJar(), timeout=client.TIMEOUT
            ) as self.api,
        ):  # fmt: skip
            for attempt in range(3):
                if await self.login():
                    break
                await asyncio.sleep(5 * (attempt + 1))
            else:
                self.run.failed_logins.append(self.name)
                return
            self.run.logged_in += 1
            if self.run.logged_in == len(self.run.users):
                self.run.all_logged_in = time.monotonic()
            journey = getattr(self, f"journey_{self.spec['role']}")
            while not self.stopping:
                await journey()
                self.iterations += 1

    # journeys: each is one loop iteration; steps check `stopping` so that the run ends on time, except the
    # ones that undo what the iteration began (a claim is released).

    async def journey_sme(self) -> None:
        spec, shared = self.spec, self.run.shared
        await self.call("home_page", "GET", "/")
        await self.think()
        query = self.rng.choice(PRODUCT_FILTERS)
        await self.call("products_page", "GET", "/products/" + (f"?{query}" if query else ""))
        if self.stopping:
            return
        await self.think()
        await self.call("recommendations_page", "GET", "/recommendations/")
        if self.stopping:
            return
        await self.think()
        product = self.rng.choice(spec["products"])
        await self.call("product_page", "GET", f"/products/{product['id']}/")
        if self.stopping:
            return
        await self.think()
        body = {
            "product": product["id"], "amount": product["amount"], "term_months": product["term_months"],
            "purpose": self.run.mark, "consent": True,
        }  # fmt: skip
        status, text, _ = await self.call(
            "submit_api", "POST", "/api/v1/applications/", web=False, json_body=body, expect=(201,)
        )
        if status == 201:
            created = json.loads(text)
            item = {"id": created["id"], "enterprise": spec["enterprise"]}
            item.update(amount=product["amount"], term=product["term_months"])
            shared.submitted[product["institution"]].append(item)
        if self.stopping:
            return
        await self.think()
        if self.iterations % 2 == 0:
            await self.publish_demand()
            if self.stopping:
                return
            await self.think()
        await self.call("authorizations_page", "GET", "/authorizations/")
        if self.stopping:
            return
        await self.think()
        await self.call("notifications_page", "GET", "/notifications/")
        if self.stopping:
            return
        await self.think()
        await self.call("my_applications_page", "GET", "/applications/")
        await self.think()

    async def publish_demand(self) -> None:
        """Close the demand this user published last time (if any), then publish a new one through the form."""
        previous = self.spec.get("open_demand")
        if previous:
            await self.call("demand_close_api", "POST", f"/api/v1/demands/{previous}/close/", web=False, expect=(200,))
            self.spec["open_demand"] = None
        await self.call("demand_form_page", "GET", "/demands/new/")
        form = [
            ("csrfmiddlewaretoken", self.csrf or ""),
            ("amount", str(self.rng.choice([50, 100, 200, 300]))),
            ("term_months", str(self.rng.choice([6, 12, 24]))),
            ("purpose", self.run.mark),
            ("guarantee_modes", "04"),
            ("guarantee_modes", self.rng.choice(["01", "02", "03"])),
        ]
        status, _, headers = await self.call("demand_publish_form", "POST", "/demands/new/", form=form, expect=(302,))
        match = DEMAND_URL.search(headers.get("Location", "")) if status == 302 else None
        if match:
            self.spec["open_demand"] = int(match.group(1))
            await self.call("demand_page", "GET", f"/demands/{match.group(1)}/")

    async def journey_officer(self) -> None:
        institution = self.spec["institution"]
        queue = self.run.shared.submitted[institution]
        await self.call("inbox_page", "GET", "/inbox/?status=submitted")
        await self.think()
        if queue and not self.stopping:
            item = queue.popleft()
            await self.call("application_page", "GET", f"/applications/{item['id']}/")
            await self.think()
            status, _, _ = await self.call(
                "accept_api", "POST", f"/api/v1/applications/{item['id']}/accept/", web=False, expect=(200,)
            )
            await self.think()
            await self.call("profile_page", "GET", f"/enterprises/{item['enterprise']}/credit/")
            await self.think()
            if status == 200:
                approve = {"amount": item["amount"], "annual_rate": "4.350", "term_months": item["term"]}
                await self.call(
                    "approve_api", "POST", f"/api/v1/applications/{item['id']}/approve/", web=False,
                    json_body=approve, expect=(200,),
                )  # fmt: skip
                await self.think()
        if self.stopping:
            return
        await self.call("pool_page", "GET", "/pool/")
        await self.think()
        status, body, _ = await self.call("pool_api", "GET", "/api/v1/demands/pool/", web=False)
        claim_id = None
        results = json.loads(body).get("results", []) if status == 200 else []
        if results and not self.stopping:
            demand = self.rng.choice(results[:10])
            # Between listing and claiming, another officer may claim the demand or its SME close it: then the
            # claim answers 409 not_claimable (under the row lock) or 404 (no longer in this officer's pool). A
            # race is only a race if the demand has left the pool: a refused demand still listed is an error.
            status, body, _ = await self.call(
                "claim_api", "POST", f"/api/v1/demands/{demand['id']}/claim/", web=False, expect=(201, 404, 409)
            )
            if status == 201:
                claim_id = json.loads(body)["id"]
            elif status in (404, 409):
                again, listing, _ = await self.call("pool_api", "GET", "/api/v1/demands/pool/", web=False)
                listed = again == 200 and any(d["id"] == demand["id"] for d in json.loads(listing).get("results", []))
                self.run.recorder.add(
                    "claim_race_check", 0.0, "still-listed" if listed else "left-pool", not listed, user=self.name
                )
            await self.think()
        await self.call("loans_page", "GET", "/loans/")
        await self.think()
        if claim_id is not None:
            # 409 invalid_transition: the SME closed its demand meanwhile, which releases the claim. Only then:
            # the demand (still visible to the institution that claimed it) must say `closed`.
            status, _, _ = await self.call(
                "release_api", "POST", f"/api/v1/claims/{claim_id}/release/", web=False, expect=(200, 409)
            )
            if status == 409:
                shown, body, _ = await self.call("demand_api", "GET", f"/api/v1/demands/{demand['id']}/", web=False)
                closed = shown == 200 and json.loads(body).get("status") == "closed"
                self.run.recorder.add(
                    "release_race_check", 0.0, "closed" if closed else "not-closed", closed, user=self.name
                )
        if self.stopping:
            return
        await self.think()
        await self.call("notifications_page", "GET", "/notifications/")
        await self.think()

    async def journey_staff(self) -> None:
        await self.call("home_page", "GET", "/")
        await self.think()
        await self.call("dashboard_page", "GET", "/dashboard/")
        if self.stopping:
            return
        await self.think()
        if self.spec["region"].endswith("0000"):  # province staff drill down to Zhengzhou
            await self.call("dashboard_city_page", "GET", "/dashboard/?region=410100")
            await self.think()
        await self.call("stats_summary_api", "GET", "/api/v1/stats/summary/", web=False)
        if self.stopping:
            return
        await self.think()
        await self.call("stats_kpis_api", "GET", "/api/v1/stats/kpis/", web=False)
        await self.think()
        await self.call("notifications_page", "GET", "/notifications/")
        await self.think()

    async def journey_api_stats(self) -> None:
        for step, path in (
            ("stats_summary_api", "/api/v1/stats/summary/"),
            ("stats_kpis_api", "/api/v1/stats/kpis/"),
            ("stats_series_api", "/api/v1/stats/series/"),
            ("stats_breakdown_bank_api", "/api/v1/stats/breakdown/bank/"),
            ("stats_breakdown_region_api", "/api/v1/stats/breakdown/region/"),
        ):
            if self.stopping:
                return
            await self.call(step, "GET", path, web=False)
            await self.think()

    async def journey_api_bank(self) -> None:
        """A bank's system posts a repayment with an Idempotency-Key (1 in 5 retried: the same answer must come
        back marked as replayed), then reads the loan."""
        loans = self.spec["loans"]
        if not loans:
            await self.think()
            return
        loan = self.rng.choice(loans)
        body = {
            "paid_on": datetime.datetime.now(SHANGHAI).date().isoformat(),
            "principal_amount": f"{self.rng.randint(100, 5000) / 100:.2f}",
            "interest": "0.00",
            "reference": f"soak-{uuid.uuid4().hex[:20]}",
        }
        headers = self.api_headers(**{"Idempotency-Key": str(uuid.uuid4())})
        path = f"/api/v1/loans/{loan}/repayments/"
        status, first, _ = await self.call(
            "repayment_api", "POST", path, web=False, json_body=body, headers=headers, expect=(201,)
        )
        if status == 201 and self.rng.random() < 0.2:
            status, again, replay = await self.call(
                "repayment_replay_api", "POST", path, web=False, json_body=body, headers=headers, expect=(201,)
            )
            if status == 201 and (
                replay.get("Idempotent-Replayed") != "true" or json.loads(again) != json.loads(first)
            ):
                self.run.recorder.add(
                    "repayment_replay_check", 0.0, "mismatch", False, detail=again.decode()[:300], user=self.name
                )
        await self.think()
        if self.stopping:
            return
        await self.call("loan_api", "GET", f"/api/v1/loans/{loan}/", web=False)
        await self.think()

    async def journey_api_report(self) -> None:
        """Request a credit report PDF of one's own enterprise, poll it until the worker has rendered it, download
        it; then wait a long while (a report is not something a firm asks for every few seconds)."""
        began = time.monotonic()
        status, body, _ = await self.call(
            "report_request_api", "POST", "/api/v1/credit-reports/", web=False,
            json_body={"enterprise": self.spec["enterprise"]}, expect=(202,),
        )  # fmt: skip
        if status == 202:
            report_id = json.loads(body)["id"]
            state = "pending"
            while state == "pending" and time.monotonic() - began < self.run.args.report_timeout:
                await asyncio.sleep(1)
                status, body, _ = await self.call(
                    "report_status_api", "GET", f"/api/v1/credit-reports/{report_id}/", web=False
                )
                state = json.loads(body).get("status") if status == 200 else "error"
            if state == "ready":
                self.run.shared.report_ready_s.append(time.monotonic() - began)
                headers = self.api_headers(Accept="application/pdf")
                status, pdf, _ = await self.call(
                    "report_download_api",
                    "GET",
                    f"/api/v1/credit-reports/{report_id}/download/",
                    web=False,
                    headers=headers,
                )
                if status == 200 and not pdf.startswith(b"%PDF"):
                    self.run.recorder.add("report_download_check", 0.0, "not-a-pdf", False, user=self.name)
            else:
                self.run.recorder.add("report_ready", time.monotonic() - began, state, False, user=self.name)
        await self.think(factor=5)


# --- the run -----------------------------------------------------------------------------------------------


@dataclass
class Soak:
    args: argparse.Namespace
    server: SoakGunicorn
    worker: CeleryWorker
    env: dict[str, str]
    mark: str
    result: dict
    users: list[dict] = field(default_factory=list)
    shared: Shared = field(default_factory=Shared)
    recorder: Recorder | None = None
    deadline: float = math.inf
    logged_in: int = 0
    all_logged_in: float | None = None
    failed_logins: list[str] = field(default_factory=list)

    def setup_users(self) -> dict:
        spec = {
            "password": self.args.password, "institutions": self.args.institutions, "counts": self.args.counts,
            "seed": self.args.seed,
        }  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="xinyidai-soak-") as tmp:
            spec_path, out_path = Path(tmp, "spec.json"), Path(tmp, "users.json")
            spec_path.write_text(json.dumps(spec))
            done = subprocess.run(
                [sys.executable, "-m", "bench.soak_setup", "setup", str(spec_path), str(out_path)],
                cwd=ROOT, env=self.env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                raise HarnessError(f"soak user set-up failed:\n{done.stderr[-3000:]}")
            return json.loads(out_path.read_text())

    async def drive(self) -> None:
        a = self.args
        started = time.monotonic()
        self.recorder = Recorder(started=started)
        sampler = Sampler(self.server, self.worker, a.sample_interval, started)
        sampling = asyncio.create_task(sampler.run())
        users = [User(spec, self, i) for i, spec in enumerate(self.users)]
        order = list(range(len(users)))
        random.Random(a.seed).shuffle(order)  # roles interleaved while logging in
        step = a.ramp / max(len(users), 1)
        load_from = started + a.ramp
        self.deadline = load_from + a.duration
        log(f"{len(users)} users logging in over {a.ramp:.0f}s, then {a.duration:.0f}s of load")
        progress = asyncio.create_task(self.progress(started))
        try:
            await asyncio.gather(*(users[i].live(started + k * step) for k, i in enumerate(order)))
        finally:
            progress.cancel()
            sampling.cancel()
            sampler.sample()
        ended = time.monotonic()
        # Memory is compared from the moment every user is in (log-ins are slow under load: password hashing).
        steady_from = max(load_from, self.all_logged_in or load_from)
        self.result["timing"] = {
            "ramp_s": a.ramp,
            "all_logged_in_s": round(self.all_logged_in - started, 1) if self.all_logged_in else None,
            "load_from_s": round(load_from - started, 1),
            "load_to_s": round(self.deadline - started, 1),
            "ended_s": round(ended - started, 1),
        }
        self.result["users"] = {
            "counts": a.counts,
            "logged_in": self.logged_in,
            "failed_logins": self.failed_logins,
            "iterations": {u.name: u.iterations for u in users},
            "iterations_by_role": dict(_by_role(users)),
        }
        self.result["steps"] = self.recorder.summary()
        self.result["errors"] = {
            "total": sum(s["errors"] for s in self.result["steps"]),
            "samples": self.recorder.error_samples,
            "per_minute": {str(k): v for k, v in sorted(self.recorder.timeline_errors.items())},
        }
        total = sum(s["requests"] for s in self.result["steps"] if not s["check"])
        self.result["requests"] = {
            "total": total,
            "rps": round(total / max(ended - started, 1e-9), 2),
            "per_minute": {str(k): v for k, v in sorted(self.recorder.timeline.items())},
        }
        self.result["latency_per_minute"] = {
            str(minute): {
                "requests": len(ms),
                "p50_ms": round(client.percentile(sorted(ms), 50), 1),
                "p95_ms": round(client.percentile(sorted(ms), 95), 1),
                "errors": self.recorder.timeline_errors.get(minute, 0),
            }
            for minute, ms in sorted(self.recorder.minute_latencies.items())
        }
        ready = sorted(self.shared.report_ready_s)
        self.result["credit_reports"] = {
            "ready": len(ready),
            "p50_s": round(client.percentile(ready, 50), 2) if ready else None,
            "p95_s": round(client.percentile(ready, 95), 2) if ready else None,
            "max_s": round(ready[-1], 2) if ready else None,
        }
        self.result["queue_backlog_at_end"] = {
            "applications_left_for_officers": sum(len(q) for q in self.shared.submitted.values())
        }
        samples = sampler.samples
        self.result["samples"] = samples
        loads = [s["loadavg"][0] for s in samples if load_from - started <= s["t"] <= self.deadline - started + 1]
        cpu = [s["cpu_busy_percent"] for s in samples[1:]]
        self.result["load"] = {
            "loadavg1_mean": round(sum(loads) / len(loads), 2) if loads else None,
            "loadavg1_max": max(loads) if loads else None,
            "cpu_busy_percent_mean": round(sum(cpu) / len(cpu), 1) if cpu else None,
        }
        self.result["memory"] = memory_summary(samples, steady_from - started, self.deadline - started)
        self.result["memory"]["window_s"] = [round(steady_from - started, 1), round(self.deadline - started, 1)]

    async def progress(self, started: float) -> None:
        while True:
            await asyncio.sleep(30)
            rec = self.recorder
            done = sum(len(s.latencies) for s in rec.steps.values())
            errors = sum(s.errors for s in rec.steps.values())
            log(
                f"t={time.monotonic() - started:5.0f}s users {self.logged_in} requests {done} errors {errors} "
                f"load {os.getloadavg()[0]:.2f}"
            )


def log_findings(path: Path) -> dict:
    """Tracebacks and error lines in a log written during the run."""
    if not path.exists():
        return {"exists": False}
    text = path.read_text(errors="replace")
    lines = text.splitlines()
    errors = [line for line in lines if re.search(r"\b(ERROR|CRITICAL)\b", line)]
    return {
        "lines": len(lines),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "error_lines": len(errors),
        "first_errors": errors[:10],
    }


def render(result: dict) -> str:
    fmt = report.fmt
    out = []
    head = f"{'step':<27} {'n':>6} {'err':>4} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>8} {'target p95':>10}  statuses"
    out += [head, "-" * len(head)]
    for s in result.get("steps", []):
        target = f"{fmt(s['target_p95_ms'], 0)} {s['target']}" if s.get("target") else "-"
        statuses = " ".join(f"{k}:{v}" for k, v in s["statuses"].items())
        if s.get("check"):  # not a request: how many were checked, how many failed, with what
            out.append(f"{s['name']:<27} {s['requests']:>6} {s['errors']:>4} {'(check)':>41}  {statuses}")
            continue
        out.append(
            f"{s['name']:<27} {s['requests']:>6} {s['errors']:>4} {fmt(s['p50_ms']):>7} {fmt(s['p95_ms']):>7} "
            f"{fmt(s['p99_ms']):>7} {fmt(s['max_ms']):>8} {target:>10}  {statuses}"
        )
    req, err, load = result.get("requests", {}), result.get("errors", {}), result.get("load", {})
    users = result.get("users", {})
    timing = result.get("timing", {})
    out.append("target p95: issue 3's and issue 5's limits, set for concurrency 1, applied here to the mixed load")
    out.append("")
    out.append(
        f"{users.get('logged_in', 0)} users ({', '.join(f'{k} {v}' for k, v in users.get('counts', {}).items())}), "
        f"{fmt(timing.get('load_to_s', 0) - timing.get('load_from_s', 0), 0)} s of load after a "
        f"{fmt(timing.get('ramp_s'), 0)} s ramp: {req.get('total', 0)} requests, {fmt(req.get('rps'))} req/s, "
        f"{err.get('total', 0)} errors"
    )
    out.append(
        f"load average (1 min) during the load: mean {fmt(load.get('loadavg1_mean'), 2)}, max "
        f"{fmt(load.get('loadavg1_max'), 2)}; CPU busy {fmt(load.get('cpu_busy_percent_mean'))}% "
        f"(2 cores shared with everything else on the machine)"
    )
    reports = result.get("credit_reports", {})
    out.append(
        f"credit reports rendered by the worker: {reports.get('ready', 0)}, request to ready p50 "
        f"{fmt(reports.get('p50_s'), 2)} s, p95 {fmt(reports.get('p95_s'), 2)} s, max {fmt(reports.get('max_s'), 2)} s"
    )
    worker = result.get("worker", {})
    if worker:
        out.append(
            f"worker: {worker.get('stats_refreshes_finished', '-')} rollup refreshes finished during the run "
            f"({fmt(worker.get('stats_refresh_seconds_total'))} s in all, {fmt(worker.get('stats_refresh_cells_mean'))}"
            f" cells each on average), "
            f"credit reports by status {worker.get('credit_reports', {})}, queue left {worker.get('queue_left', '-')}"
        )
    per_minute = result.get("latency_per_minute", {})
    if per_minute:
        out.append("")
        out.append("per minute (every step but log-ins and PDF downloads): minute requests p50 p95 errors")
        for minute, m in per_minute.items():
            out.append(f"  {minute:>3} {m['requests']:>6} {fmt(m['p50_ms']):>7} {fmt(m['p95_ms']):>8} {m['errors']:>4}")
    out.append("")
    out.append(
        f"{'memory (VmRSS MiB)':<22} {'first min':>9} {'last min':>9} {'growth':>7} {'MiB/10min':>10} {'max':>7}"
        f" {'CPU s':>7}"
    )
    for p in result.get("memory", {}).get("processes", []):
        verdict = "" if p["growth"] is None else "flat" if p["growth"] <= report.RSS_GROWTH else "GROWS"
        out.append(
            f"{p['process'] + ' ' + p['pid']:<22} {fmt(p['first_minute_mib']):>9} {fmt(p['last_minute_mib']):>9} "
            f"{fmt(p['growth'], 3):>7} {fmt(p['slope_mib_per_10min'], 2):>10} {fmt(p['max_mib']):>7}"
            f" {fmt(p.get('cpu_s_in_window')):>7}  {verdict}"
        )
    for label, key in (("gunicorn", "gunicorn_log"), ("celery", "celery_log")):
        found = result.get(key, {})
        if found.get("exists", True) and found:
            out.append(
                f"{label} log: {found.get('tracebacks', 0)} tracebacks, {found.get('error_lines', 0)} ERROR lines"
            )
    if err.get("samples"):
        out.append("")
        out.append("first errors:")
        for e in err["samples"][:10]:
            out.append(f"  t={e['t']}s {e['step']} {e['status']} {e['user']}: {e['body'][:160]}")
    if result.get("harness_error"):
        out.append(f"\nHARNESS ERROR: {result['harness_error']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    name = urlsplit(args.database_url).path.lstrip("/")
    if name in CI_DATABASES or name.startswith("test_"):
        print(f"refusing to soak {name!r}: CI's or a test database (a run writes applications)", file=sys.stderr)
        return 2
    started = datetime.datetime.now(datetime.UTC)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    args.output_dir.mkdir(parents=True, exist_ok=True)
    base = args.output_dir / f"soak-{args.scale}-{stamp}"
    out_path = base.with_suffix(".json")
    env = production_env(args.database_url)
    env["CELERY_BROKER_URL"] = args.broker_url
    server = SoakGunicorn(
        env=env, log_path=Path(f"{base}.gunicorn.log"), port=args.port, workers=args.workers, threads=args.threads
    )
    server.output_path = Path(f"{base}.gunicorn.log")
    worker = CeleryWorker(
        env=env, log_path=Path(f"{base}.celery.log"), concurrency=args.celery_concurrency, name=f"soak-{stamp}"
    )
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "password"}
    config.update(gunicorn=server.argv()[1:], celery=worker.argv()[1:])
    result = {
        "kind": "soak",
        "scale": args.scale,
        "started_at": started.isoformat(timespec="seconds"),
        "config": config,
        "machine": machine_info(),
        "git": git_info(),
    }
    soak = Soak(args=args, server=server, worker=worker, env=env, mark=f"xinyidai-soak {stamp}", result=result)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    status, wrote = 0, False
    try:
        log(f"soak at scale {args.scale}: database {name}, broker {args.broker_url}")
        result["machine"]["cpu_busy_percent_before"] = busy = cpu_busy()
        if busy > 20:
            log(f"WARNING: {busy}% of the CPU was busy before the run started: the figures will be skewed")
        pending = manage(env, "migrate", "--check", "--noinput", capture=True)
        result["migrations_pending"] = pending.returncode != 0
        if pending.returncode != 0:  # the code would query tables that are not there: every figure a 500
            raise HarnessError(f"{name} has unapplied migrations: migrate it first (manage.py migrate)")
        if args.collectstatic == "always" or (args.collectstatic == "auto" and statics_stale()):
            log("collectstatic --noinput")
            done = manage(env, "collectstatic", "--noinput", "-v", "0", capture=True)
            if done.returncode != 0:
                raise HarnessError(f"collectstatic failed:\n{done.stderr[-2000:]}")
        log("creating or finding the soak logins")
        setup = soak.setup_users()
        soak.users = setup["users"]
        result["setup"] = {"institutions": setup["institutions"], "users": len(soak.users)}
        wrote = True
        log(f"purging the broker's queue, starting the Celery worker ({args.celery_concurrency} processes)")
        result["purge"] = worker.purge()
        worker.start()
        log(f"starting gunicorn on {server.base_url} ({args.workers} workers x {args.threads} threads)")
        server.start()
        result["started_load_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        asyncio.run(soak.drive())
        log("load done; waiting up to 120 s for the worker's queue to drain")
        for _ in range(120):
            if not queue_length(args.broker_url):
                break
            time.sleep(1)
        result["worker"] = {"queue_left": queue_length(args.broker_url)}
    except HarnessError as error:
        result["harness_error"] = str(error)
        status = 2
    except BaseException as error:
        result["harness_error"] = f"{type(error).__name__}: {error}"
        status = crash_status(error)
    finally:
        server.stop()
        if "started_load_at" in result:
            done = subprocess.run(
                [sys.executable, "-m", "bench.soak_setup", "stats", result["started_load_at"]],
                cwd=ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            try:
                result.setdefault("worker", {}).update(json.loads(done.stdout))
            except json.JSONDecodeError:
                result.setdefault("worker", {})["stats_error"] = done.stderr[-500:]
        worker.stop()
        if wrote and not args.keep_writes:
            done = subprocess.run(
                [sys.executable, "-m", "bench.soak_setup", "cleanup", soak.mark],
                cwd=ROOT, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            result["cleanup"] = done.stdout.strip() or done.stderr.strip()[-500:]
    result["gunicorn_log"] = log_findings(server.output_path)
    result["celery_log"] = log_findings(worker.log_path)
    result["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    out_path.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print()
    print(render(result))
    print(f"\nResults: {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
