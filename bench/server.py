"""The server under test: gunicorn with production-like settings, started and always stopped by the harness.

Two gthread workers with four threads each (see README: why this shape on a 2-core machine). Worker memory
is read from /proc/<pid>/status: VmRSS (now) and VmHWM (peak since the worker started).
"""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the venv's bin: the harness runs on the venv's python


class HarnessError(RuntimeError):
    """The harness could not measure (as opposed to an endpoint that measured badly): exit non-zero."""


def production_env(database_url: str, host: str = "127.0.0.1") -> dict[str, str]:
    """The environment of `make`'s caller with production settings on and HTTPS-only switches off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS=host,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SESSION_COOKIE_SECURE="0",
        DJANGO_CSRF_COOKIE_SECURE="0",
        DJANGO_SECURE_HSTS_SECONDS="0",
        DJANGO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str, capture: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=False, capture_output=capture, text=True
    )


def statics_stale() -> bool:
    """Whether staticfiles/ must be collected again: no manifest yet, or a source newer than it."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    # node_modules/.package-lock.json: npm rewrites it on every install (a new vendor package, e.g. ECharts).
    sources = [ROOT / "static", ROOT / "package-lock.json", ROOT / "node_modules" / ".package-lock.json"]
    sources += [ROOT / "requirements.txt", ROOT / "xinyidai" / "settings.py"]  # settings: STATICFILES_DIRS
    for source in sources:
        paths = source.rglob("*") if source.is_dir() else [source]
        if any(p.stat().st_mtime > built for p in paths if p.exists()):
            return True
    return False


def read_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process in KiB (empty if it has gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return {}
    out = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(rest.split()[0])
    return out


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        # Fields after the parenthesised command: state, ppid, ...
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class Gunicorn:
    env: dict[str, str]
    log_path: Path
    host: str = "127.0.0.1"
    port: int = 8100
    workers: int = 2
    threads: int = 4
    process: subprocess.Popen | None = None
    retired: list[dict] = field(default_factory=list)  # memory of workers replaced by reload()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def argv(self) -> list[str]:
        return [
            str(BIN / "gunicorn"),
            "xinyidai.wsgi:application",
            f"--bind={self.host}:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=gthread",
            f"--threads={self.threads}",
            "--keep-alive=5",
            "--timeout=60",
            "--graceful-timeout=15",
            "--worker-tmp-dir=/dev/shm",
            "--log-level=warning",
            f"--error-logfile={self.log_path}",
        ]

    def start(self, timeout: float = 60) -> None:
        if self._healthy():
            raise HarnessError(f"something already answers on {self.base_url}: stop it or pass --port")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.argv(), cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, start_new_session=True
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float, *, exclude: set[int] = frozenset()) -> None:
        """Until /healthz/ answers and `workers` fresh workers (none of `exclude`) are up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            pids = self.worker_pids()
            if len(pids) == self.workers and not set(pids) & exclude and self._healthy():
                return
            time.sleep(0.2)
        raise HarnessError(f"gunicorn did not become healthy within {timeout:.0f}s; see {self.log_path}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/healthz/", timeout=2) as response:  # noqa: S310
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def memory(self) -> dict[int, dict[str, int]]:
        """{worker pid: {"VmRSS": KiB, "VmHWM": KiB}} for the live workers."""
        return {pid: status for pid in self.worker_pids() if (status := read_status(pid))}

    def reload(self, timeout: float = 60) -> None:
        """Replace the workers with fresh ones (SIGHUP), keeping the peak memory of the old ones."""
        old = self.memory()
        self.retired.extend({"pid": pid, **status} for pid, status in old.items())
        os.kill(self.process.pid, signal.SIGHUP)
        self.wait_ready(timeout, exclude=set(old))

    def stop(self) -> None:
        """SIGTERM the master (graceful), then SIGKILL the process group it leads if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
