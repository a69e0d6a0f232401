"""Playwright driving Debian's chromium (never a downloaded browser); skipped without it."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MISSING = (f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
           f"(apt-get update && apt-get install -y chromium; `make test` does this)")


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(MISSING)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    """A tab on the playground, with its console errors collected."""

    def __init__(self, browser, server, hash_: str = "", viewport=None, path: str = "", **options):
        self.context = browser.new_context(viewport=viewport or {"width": 1400, "height": 1000},
                                           accept_downloads=True, bypass_csp=True,   # page.evaluate needs eval
                                           **options)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda e: self.errors.append(f"{e} {e.stack}"))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.server = server
        self.page.goto(server.url + path + hash_)
        self.page.wait_for_function("document.body.dataset.step !== undefined && window.playground.state")
        self.session_id = self.page.evaluate("document.body.dataset.session")

    @property
    def session(self):
        return self.server.registry.sessions[self.session_id]

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)

    def set_range(self, selector: str, value) -> None:
        self.page.eval_on_selector(selector, "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }",
                                   str(value))

    def edge_point(self, edge: str):
        """A point of the page where the edge ``"layer,row,col"`` is the topmost thing (to hover it)."""
        return self.page.evaluate("""(key) => {
            const hit = document.querySelector(`path.edge.hit[data-edge='${key}']`);
            const svg = hit.ownerSVGElement.getBoundingClientRect(), len = hit.getTotalLength();
            for (let i = 1; i < 40; i++) {
                const q = hit.getPointAtLength(len * i / 40), x = svg.left + q.x, y = svg.top + q.y;
                if (document.elementFromPoint(x, y) === hit) return [x, y];
            }
            return null; }""", edge)

    def pixels(self, selector: str = "#output") -> np.ndarray:
        from PIL import Image
        png = self.page.locator(selector).screenshot()
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)

    def close(self) -> None:
        self.context.close()

    def export_and_load(self, tmp_path):
        """Press *Export model*, download the weights and the PyTorch code the page offers, and run
        the code (up to its ``__main__`` part) in ``tmp_path``: its module namespace."""
        with self.page.expect_download() as dl:
            self.page.click("#export")
        dl.value.save_as(tmp_path / dl.value.suggested_filename)
        with self.page.expect_download() as dl2:
            self.page.click("#export-links a[data-file$='.py']")
        code_path = tmp_path / dl2.value.suggested_filename
        dl2.value.save_as(code_path)
        code = code_path.read_text().split('if __name__ == "__main__":')[0]
        cwd = os.getcwd()
        os.chdir(tmp_path)
        try:
            scope = {}
            exec(compile(code, str(code_path), "exec"), scope)
        finally:
            os.chdir(cwd)
        return scope
