"""A local stack (`chairside run`) and Debian's Chromium, driven by Playwright, for the browser tests.

Chromium comes from the system (`./dev test` installs Debian's package when it is missing); Playwright's
own browser download cannot work here. Screens are captured under test-artifacts/browser/ (gitignored),
and axe-core, bundled by the console's npm install, checks each one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from infra.local_services import free_ports
from tests.helpers import CACHE, REPO

CHROMIUM = os.environ.get("CHAIRSIDE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("CHAIRSIDE_TEST_ARTIFACTS", REPO / "test-artifacts")) / "browser"
AXE = REPO / "console" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """`chairside run` on free ports with its own home; yields the base URL; stopped with SIGTERM. One per test
    process: the browser tests on a worker share it (none depends on another's data)."""
    home = tmp_path_factory.mktemp("stack-home")
    port, dynamodb_port, moto_port = free_ports(3)  # distinct: three free_port() calls may repeat one
    env = {**os.environ, "CHAIRSIDE_HOME": str(home), "CHAIRSIDE_CACHE": str(CACHE), "CHAIRSIDE_API_PORT": str(port),
           "CHAIRSIDE_DYNAMODB_PORT": str(dynamodb_port), "CHAIRSIDE_MOTO_PORT": str(moto_port)}
    env.pop("CHAIRSIDE_JWKS_FILE", None)
    process = subprocess.Popen([sys.executable, "-m", "infra.cli", "run"], env=env, cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + 240  # a first run builds the console (npm ci, type check, Vite)
    for line in process.stdout:
        lines.append(line)
        if "API ready" in line:
            break
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("chairside run did not become ready:\n" + "".join(lines))
    else:
        raise AssertionError("chairside run stopped:\n" + "".join(lines))
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium (./dev test does it as root)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Screens:
    """Captures a screen as a PNG and checks it with axe-core (no serious or critical violation)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.taken: list[Path] = []

    def check(self, page, name: str) -> list[dict]:
        page.wait_for_load_state("networkidle")
        # (locators, not wait_for_function: its polling evaluates a string, which the console's CSP refuses)
        expect(page.locator(".loading")).to_have_count(0)
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        assert page.evaluate("typeof window.axe !== 'undefined'"), "open pages in a context from `new_context`"
        result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                 "targets": [node["target"] for node in v["nodes"]][:5]}
                for v in result if v["impact"] in ("serious", "critical")]


@pytest.fixture
def new_context(browser):
    """Makes browser contexts whose pages load axe-core before their own scripts: Playwright's init script is
    not subject to the page's Content Security Policy, which refuses inline scripts (and so a script tag)."""
    made = []

    def make(**options):
        context = browser.new_context(**options)
        context.add_init_script(path=str(AXE))
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def screens() -> Screens:
    return Screens(ARTIFACTS)
