"""Debian's Chromium driven by Playwright (Python) for the UI's tests, against a real hub.

Playwright's sync API refuses to run where an asyncio loop is running, as pytest-twisted's
is in the test thread: the browser lives in a thread of its own and each scenario runs
there (:meth:`Browser.run`), its assertions carried back to the test.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "webui" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts" / "webui"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def why_not() -> str | None:
    """Why the browser tests cannot run here, or None."""
    from rpymostat_webui.resource import built

    if not shutil.which(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium; make test installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (the test extra)"
    if not built():
        return "the web UI is not built: npm was missing when make webui ran"
    if not AXE.is_file():
        return "axe-core is not installed (make webui runs npm ci in webui/)"
    return None


class Browser:
    def __init__(self):
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="playwright")
        self._call(self._start)

    def _call(self, work, *args):
        return self._thread.submit(work, *args).result(timeout=240)

    def _start(self):
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)

    def run(self, scenario, size: str = "phone", scheme: str = "light", storage=None):
        """``scenario(page)`` in a fresh context (its own storage) of the given size and
        colour scheme; fails when the page broke its Content-Security-Policy or threw."""
        return self._call(self._run, scenario, size, scheme, storage)

    def _run(self, scenario, size, scheme, storage):
        context = self._browser.new_context(viewport=SIZES[size], color_scheme=scheme, storage_state=storage)
        page = context.new_page()
        page.set_default_timeout(15000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "Content Security Policy"
                in m.text else None)
        page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
        try:
            result = scenario(page)
            assert problems == [], problems
            return result
        finally:
            context.close()

    def close(self):
        self._call(self._stop)
        self._thread.shutdown()

    def _stop(self):
        self._browser.close()
        self._playwright.stop()


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    found = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')})`);
    }""")
    return found


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
