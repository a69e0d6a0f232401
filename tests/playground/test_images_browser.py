"""The Images page in Debian's chromium (Playwright): a drawn digit is classified and joins the
training set; a feature map and a derivation shown are those of an independent glassnet.explain
recording of the same step; the export loads in torch with the same outputs; a phone and a
projector layout; a teacher's link."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet
from glassnet.explain.summary import conv_arrays

from .browser import Page, browser  # noqa: F401 - the fixture
from .test_images import independent_recording

pytestmark = pytest.mark.slow


class ImagesPage(Page):
    def __init__(self, browser, server, hash_="", viewport=None):   # noqa: F811
        super().__init__(browser, server, hash_, viewport or {"width": 1280, "height": 720}, path="images",
                         has_touch=True)

    def draw_stroke(self, points):
        box = self.page.locator("#pad").bounding_box()
        sx, sy = box["width"] / 160, box["height"] / 160
        self.page.mouse.move(box["x"] + points[0][0] * sx, box["y"] + points[0][1] * sy)
        self.page.mouse.down()
        for x, y in points[1:]:
            self.page.mouse.move(box["x"] + x * sx, box["y"] + y * sy, steps=3)
        self.page.mouse.up()

    def settle(self):
        """Wait for a frame that answers every message sent so far."""
        self.page.wait_for_function("window.playground.drawn && window.playground.drawn.ack >= window.playground.msgId")

    def train(self, steps=40):
        self.js(f"window.playground.send({{type: 'step', n: {steps}}})")
        self.page.wait_for_function(f"+document.body.dataset.step >= {steps}")


@pytest.fixture
def page(browser, server):  # noqa: F811
    p = ImagesPage(browser, server)
    yield p
    assert not p.errors, p.errors
    p.close()


def test_a_digit_drawn_on_the_canvas_is_classified_and_added_to_the_data(page):
    page.train(60)
    page.draw_stroke([(80, 15), (80, 60), (80, 100), (80, 145)])          # a "1"
    page.page.wait_for_function("window.playground.drawn.current.split === 'drawing'")
    page.settle()
    trainer = page.session.trainer
    image, _ = trainer.current_digit()
    assert image[0, :, 3:5].sum() > 3 and image[0, :, :2].sum() == 0     # the stroke, in the middle columns
    with glassnet.no_grad():
        expect = int(np.argmax(trainer.model(glassnet.tensor(image[None])).numpy()[0]))
    page.page.wait_for_function(f"document.body.dataset.predicted === '{expect}'")
    assert page.page.locator("#predicted").inner_text().startswith(str(expect))
    n = len(trainer.y_train)
    page.page.select_option("#draw-label", "1")
    page.page.click("#add-drawing")
    page.page.wait_for_function(f"window.playground.state.n_train === {n + 1}")
    assert trainer.drawings[-1][1] == 1 and np.array_equal(trainer.drawings[-1][0], image)
    assert "added your drawing of a 1" in page.js("document.body.dataset.lastNotice")
    # the keyboard alternative: focus the pad, move, ink a cell
    page.page.click("#pad-clear")
    page.page.focus("#pad")
    for key in ["ArrowUp", "ArrowUp", "ArrowLeft", "Space"]:
        page.page.keyboard.press(key)
    page.page.wait_for_function("window.playground.drawn.data.input.values[1 * 8 + 2] === 1")
    assert page.js("document.querySelector('#pad').dataset.cursor") == "2,1"
    # a finger: a tap inks the cell under it
    page.page.click("#pad-clear")
    box = page.page.locator("#pad").bounding_box()
    page.page.touchscreen.tap(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.9)
    page.page.wait_for_function("window.playground.drawn.data.input.values[7 * 8 + 7] > 0")


def test_a_feature_map_and_a_derivation_shown_match_an_independent_recording(page):
    page.train(40)
    page.js("window.playground.send({type: 'select', split: 'test', index: 11})")
    page.page.wait_for_function("window.playground.drawn.current.index === 11")
    # the frame's feature maps, as drawn, are the recording's
    trainer = page.session.trainer
    rec, _ = independent_recording(trainer)
    for ly in trainer.layers():
        shown = np.array(page.js(f"Array.from(window.playground.drawn.data.maps{ly['index']}.values)"), np.float32)
        np.testing.assert_array_equal(shown.reshape(ly["out_channels"], ly["side"], ly["side"]),
                                      conv_arrays(rec, ly["path"])["maps"])
    # click channel 3's pixel [2, 1] of conv 2's maps (4×4 maps, 12 px a value, 4 px between maps)
    canvas = page.page.locator("#layers .layer[data-layer='1'] canvas.maps")
    px, gap, side = (int(page.js(f"document.querySelector(\"#layers .layer[data-layer='1'] canvas.maps\").dataset.{k}"))
                     for k in ("px", "gap", "side"))
    box = canvas.bounding_box()
    scale = box["width"] / page.js("document.querySelector(\"#layers .layer[data-layer='1'] canvas.maps\").width")
    span = side * px + gap
    canvas.click(position={"x": (3 * span + 1 * px + px / 2) * scale, "y": (2 * px + px / 2) * scale})
    page.page.wait_for_function("document.body.dataset.explained === '1,3,2,1'")
    rec, _ = independent_recording(trainer, optimizer_step=True)
    page.page.click("#stepper .phases button[data-part=map]")
    shown = np.array(page.js("[...document.querySelectorAll('#step-view table.fmap')[0].querySelectorAll('.num')]"
                             ".map((e) => +e.dataset.value)"), np.float32)
    np.testing.assert_array_equal(shown.reshape(side, side), conv_arrays(rec, "3")["maps"][3])
    page.page.click("#stepper .phases button[data-part=backward]")
    entry = page.js("window.playground.explain.entry")
    d = rec.derivation(entry)
    view = page.page.locator("#step-view").inner_text()
    assert d.headline in view and d.convention in view
    for math_, note in d.lines:
        assert math_ in view
    assert page.page.locator("#step-text").text_content() == str(d)
    page.page.click("#stepper .phases button[data-part=forward]")
    z = float(page.page.locator("#step-view tr.total .num").nth(1).get_attribute("data-value"))
    conv = [op for op in rec.forward_ops if op.op == "ConvNd"][1]
    assert z == float(conv.output[0, 3, 2, 1])
    # a weight in the multiply-adds derives that weight
    page.page.locator("#step-view button.w").nth(2).click()
    page.page.wait_for_function(f"window.playground.explain.entry !== '{entry}'")
    page.page.click("#stepper .phases button[data-part=receptive]")
    assert "reads" in page.page.locator("#step-view").inner_text()


def test_the_export_downloaded_from_the_page_loads_in_torch_with_the_same_outputs(page, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    page.train(30)
    scope = page.export_and_load(tmp_path)
    trainer = page.session.trainer
    x = trainer.x_test[:40]
    with glassnet.no_grad():
        ours = trainer.model(glassnet.tensor(x)).numpy()
    np.testing.assert_allclose(scope["model"](torch.tensor(x)).detach().numpy(), ours, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 720}])
def test_the_layout_fits_a_phone_and_a_projector(browser, server, viewport):  # noqa: F811
    p = ImagesPage(browser, server, viewport=viewport)
    try:
        p.page.wait_for_function("window.playground.drawn && document.querySelector('#confusion button')")
        assert p.js("document.documentElement.scrollWidth") <= viewport["width"]
        for sel in ["#play", "#pad", "#add-drawing", "#probs", "#layers canvas.maps", "#confusion", "#export",
                    "#learning_rate", "#channels-0"]:
            box = p.page.locator(sel).first.bounding_box()
            assert box and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, sel
        # every control has a label a screen reader reads
        unlabelled = p.js("""[...document.querySelectorAll('select, input, button, canvas[tabindex]')].filter((el) =>
            !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim()
            && !el.getAttribute('aria-labelledby')).map((el) => el.id || el.outerHTML.slice(0, 60))""")
        assert not unlabelled, unlabelled
        if viewport["width"] == 1280:        # the projector: the controls, the pad and the maps in the first screen
            for sel in ["#play", "#pad", "#layers canvas.maps"]:
                assert p.page.locator(sel).first.bounding_box()["y"] < viewport["height"], sel
        assert not p.errors, p.errors
    finally:
        p.close()


def test_a_teachers_link_sets_up_the_network_hides_controls_and_carries_weights(browser, server):  # noqa: F811
    from glassnet.playground.images import ImagesTrainer
    from glassnet.playground.images_protocol import ImagesConfig
    from glassnet.playground.links import encode_weights
    t = ImagesTrainer(ImagesConfig(channels=[4, 6], kernel_size=5, seed=9))
    w = encode_weights([q.detach().numpy() for q in t.model.parameters()])
    p = ImagesPage(browser, server, hash_=f"#channels=4,6&kernel_size=5&seed=9&w={w}&hide=learning_rate,layers")
    try:
        p.page.wait_for_function("window.playground.state.config.kernel_size === 5 && window.playground.drawn"
                                 " && window.playground.drawn.data.kernels0.shape[3] === 5")
        assert p.page.locator("#learning_rate").is_hidden() and p.page.locator("#n_layers").is_hidden()
        assert p.page.locator("#optimizer").is_visible()
        trainer = p.session.trainer
        for a, b in zip(trainer.model.parameters(), t.model.parameters()):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        p.page.click("#share")
        link = p.page.locator("#share-link").input_value()
        assert "/images#" in link and "channels=4%2C6" in link and "&w=" in link
        assert not p.errors, p.errors
    finally:
        p.close()


def test_a_misclassified_digit_can_be_clicked_and_the_maps_are_keyboard_operable(page):
    page.train(20)
    page.page.wait_for_function("window.playground.drawn.wrong.length > 0")
    i, j = page.js("""(() => { const f = window.playground.drawn, lab = window.playground.state.test.labels;
                      const [k, p] = f.wrong[0]; return [lab[k], p]; })()""")
    page.page.click(f"#confusion button[data-i='{i}'][data-j='{j}']")
    thumb = page.page.locator("#wrong-list .thumb").first
    k = int(thumb.get_attribute("data-index"))
    thumb.click()
    page.page.wait_for_function(f"window.playground.drawn.current.index === {k}")
    cur = page.js("window.playground.drawn.current")
    assert cur["label"] == i and cur["split"] == "test"
    assert page.session.trainer.current == ("test", k)
    # the feature maps without a mouse: focus, move, Enter
    page.page.focus("#layers .layer[data-layer='0'] canvas.maps")
    for key in ["ArrowRight", "ArrowDown", "ArrowDown", "PageDown", "Enter"]:
        page.page.keyboard.press(key)
    page.page.wait_for_function("document.body.dataset.explained === '0,1,2,1'")
    page.page.focus("#layers .layer[data-layer='0'] canvas.kernels")
    for key in ["ArrowDown", "ArrowRight", "Enter"]:
        page.page.keyboard.press(key)
    page.page.wait_for_function("window.playground.explain.entry.startsWith('0.weight[0, 0, 1, 1]')")
