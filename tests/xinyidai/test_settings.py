"""Settings come from the environment; every variable is documented; production refuses a missing key."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _variables_read_by_settings() -> set[str]:
    source = (ROOT / "xinyidai" / "settings.py").read_text()
    return set(re.findall(r'(?:os\.environ\.get|env_bool|env_list)\(\s*"([A-Z_]+)"', source))


def test_every_variable_is_in_env_example_and_readme():
    names = _variables_read_by_settings()
    assert "DATABASE_URL" in names and "DJANGO_SECRET_KEY" in names
    example = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    assert not [n for n in names if not re.search(rf"^{n}=", example, re.M)], "missing from .env.example"
    assert not [n for n in names if f"`{n}`" not in readme], "missing from the README table"


def _import_settings(env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "CELERY_"))}
    return subprocess.run(
        [sys.executable, "-c", "import xinyidai.settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_requires_a_secret_key():
    result = _import_settings({"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_defaults_are_secure():
    result = _import_settings({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "x" * 60})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_debug_runs_without_a_key():
    result = _import_settings({"DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]
