"""Playwright drives Debian's chromium (installed by `make test`); no browser is ever downloaded."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if CHROMIUM is None:
        if os.environ.get("XINYIDAI_REQUIRE_SERVICES") == "1":
            pytest.fail("CI requires Debian's chromium for the browser tests")
        pytest.skip("needs Debian's chromium (make test installs it)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}
