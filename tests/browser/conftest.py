"""Browser tests: Playwright drives Debian's chromium (never `playwright install`) against live_server."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path("test-output")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists() or shutil.which("chromium"):
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (apt-get install -y chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A Taiwanese browser: the workbench must answer in Traditional Chinese before any switch.
    return {**browser_context_args, "locale": "zh-TW", "viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
