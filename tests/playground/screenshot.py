"""Make docs/playground.png: a real screenshot of the playground training (run from the repo root:
``.venv/bin/python -m tests.playground.screenshot``)."""
import sys
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright

import glassnet

from glassnet.playground import PlaygroundServer

from .browser import CHROMIUM, CHROMIUM_ARGS

SETUP = ("#dataset=spiral&noise=0&features=x1,x2,sin(x1),sin(x2)&hidden=8,6&activation=tanh&learning_rate=0.01"
         "&optimizer=adam&batch_size=10&show_test=true&seed=3&regularization=l2&reg_rate=0.001")


def main(out: str = "docs/playground.png", seconds: float = 25.0) -> None:
    with PlaygroundServer() as srv, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        page.goto(srv.url + SETUP)
        page.wait_for_function("window.playground.state && window.playground.state.config.dataset === 'spiral'")
        page.click("#play")
        time.sleep(float(seconds))
        page.click("#play")
        page.wait_for_function("document.body.dataset.playing === 'false'")
        # open the step-through on the test point the network gets most wrong; go to a backward step
        trainer = srv.registry.sessions[page.evaluate("document.body.dataset.session")].trainer
        with glassnet.no_grad():
            p1 = trainer.model(glassnet.tensor(trainer.x_test)).sigmoid().array[:, 0]
        worst = int(np.argmax(np.abs(p1 - trainer.y_test[:, 0])))
        pts = page.evaluate("window.playground.state.points")
        (lo, hi), (x, y, _) = pts["domain"], pts["test"][worst]
        page.locator("#output").click(position={"x": (x - lo) / (hi - lo) * 320, "y": (hi - y) / (hi - lo) * 320})
        page.wait_for_selector("#stepper-body:not([hidden])")
        page.click("#stepper .phases button[data-phase=backward]")
        for _ in range(3):
            page.click("#step-next")
        page.mouse.move(5, 5)
        time.sleep(0.4)
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=out)
        browser.close()
    print("wrote", out)


if __name__ == "__main__":
    main(*sys.argv[1:])
