"""Make docs/playground-images.png: a real screenshot of the Images page, trained for a while, a
digit drawn on the pad and one feature-map value stepped through (run from the repo root:
``.venv/bin/python -m tests.playground.screenshot_images``)."""
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from glassnet.playground import PlaygroundServer

from .browser import CHROMIUM, CHROMIUM_ARGS

#: a "7" on the 160 px pad
SEVEN = [[(35, 30), (125, 30), (100, 80), (80, 135)]]


def main(out: str = "docs/playground-images.png", seconds: float = 20.0) -> None:
    with PlaygroundServer() as srv, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)
        page.goto(srv.url + "images")
        page.wait_for_function("window.playground.state && window.playground.drawn")
        page.click("#play")
        time.sleep(float(seconds))
        page.click("#play")
        page.wait_for_function("document.body.dataset.playing === 'false'")
        box = page.locator("#pad").bounding_box()
        for stroke in SEVEN:
            page.mouse.move(box["x"] + stroke[0][0], box["y"] + stroke[0][1])
            page.mouse.down()
            for x, y in stroke[1:]:
                page.mouse.move(box["x"] + x, box["y"] + y, steps=8)
            page.mouse.up()
        page.wait_for_function("window.playground.drawn.current.split === 'drawing'")
        time.sleep(0.5)
        page.click("#confusion button[data-i='8'][data-j='1']")
        maps = page.locator("#layers .layer[data-layer='0'] canvas.maps")
        mb = maps.bounding_box()
        page.mouse.click(mb["x"] + 3 * 52 + 20, mb["y"] + 20)
        page.wait_for_selector("#stepper-body:not([hidden])")
        page.click("#stepper .phases button[data-part=forward]")
        page.mouse.move(5, 5)
        time.sleep(0.4)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=out, full_page=True)
        browser.close()
    print("wrote", out)


if __name__ == "__main__":
    main(*sys.argv[1:])
