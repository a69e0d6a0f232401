"""Make docs/playground-text.png: a real screenshot of the Text page, trained for a while, the
cursor in the text after an answer that repeats its question, and one attention weight stepped
through (run from the repo root: ``.venv/bin/python -m tests.playground.screenshot_text``)."""
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from glassnet.playground import PlaygroundServer

from .browser import CHROMIUM, CHROMIUM_ARGS


def main(out: str = "docs/playground-text.png", seconds: float = 25.0) -> None:
    with PlaygroundServer() as srv, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)
        page.goto(srv.url + "text")
        page.wait_for_function("window.playground.state && window.playground.drawn")
        page.click("#play")
        time.sleep(float(seconds))
        page.click("#play")
        page.wait_for_function("document.body.dataset.playing === 'false'")
        text = page.locator("#text-box").input_value()
        end = text.index("\n", text.index("where is the", 400)) + 1
        end = text.index(" is ", end) + 1                 # just after an answer's "the <adjective> <noun>"
        page.locator("#text-box").click()
        page.evaluate(f"(() => {{ const b = document.querySelector('#text-box'); b.focus(); b.setSelectionRange({end}, {end}); "
                      f"b.blur(); b.focus(); }})()")
        page.wait_for_function(f"window.playground.drawn.window.start === {end} - window.playground.state.T")
        canvas = page.locator("canvas.attn[data-layer='1'][data-head='0']")
        b = canvas.bounding_box()
        page.mouse.click(b["x"] + b["width"] * 20.5 / 32, b["y"] + b["height"] * 30.5 / 32)
        page.wait_for_selector("#stepper-body:not([hidden])")
        page.click("#stepper .phases button[data-part=softmax]")
        page.mouse.move(5, 5)
        time.sleep(0.4)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=out, full_page=True)
        browser.close()
    print("wrote", out)


if __name__ == "__main__":
    main(*sys.argv[1:])
