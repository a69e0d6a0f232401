"""The Text page in Debian's chromium (Playwright): the attention weights shown are those of an
independent glassnet.explain recording of the same step, masked entries are shown as masked, the
step-through is explain's derivation, generated text uses the vocabulary, the export downloaded
from the page loads in torch with the same logits, a phone and a projector layout, a teacher's
link."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet

from .browser import Page, browser  # noqa: F401 - the fixture
from .test_text import independent_recording

pytestmark = pytest.mark.slow
SMALL = {"n_layer": 2, "n_head": 2, "n_embd": 16, "block_size": 16}


class TextPage(Page):
    def __init__(self, browser, server, hash_="", viewport=None):   # noqa: F811
        super().__init__(browser, server, hash_, viewport or {"width": 1280, "height": 720}, path="text")

    def settle(self):
        """Wait for a frame that answers every message sent so far."""
        self.page.wait_for_function("window.playground.drawn && window.playground.drawn.ack >= window.playground.msgId")

    def train(self, steps=30):
        self.js(f"window.playground.send({{type: 'step', n: {steps}}})")
        self.page.wait_for_function(f"+document.body.dataset.step >= {steps}")
        self.settle()


@pytest.fixture
def page(browser, server):  # noqa: F811
    p = TextPage(browser, server)
    p.js(f"window.playground.send({{type: 'set', config: {SMALL!r}}})".replace("'", '"'))
    p.settle()
    yield p
    assert not p.errors, p.errors
    p.close()


def test_attention_shown_is_the_recordings_and_masked_entries_are_shown_as_masked(page):
    page.train(30)
    box = page.page.locator("#text-box")
    box.click()
    page.js("(() => { const b = document.querySelector('#text-box'); b.setSelectionRange(640, 640); })()")
    page.page.keyboard.press("ArrowRight")                    # the cursor moves: 641
    page.page.wait_for_function("window.playground.drawn.window.start === 641 - 16")
    page.settle()
    trainer = page.session.trainer
    rec, start = independent_recording(trainer)
    assert start == 625
    shown = np.array(page.js("Array.from(window.playground.drawn.data.attention.values)"), np.float32).reshape(2, 2, 16, 16)
    for l in range(2):
        for h in range(2):
            head = rec.attention(f"blocks.{l}.sa.heads.{h}")[0]
            np.testing.assert_array_equal(shown[l, h][~head.masked], head.weights[~head.masked].astype(np.float32))
            # as drawn: a masked cell is the mask's grey, a visible one a shade of blue (or white)
            for i, j in [(0, 1), (3, 9), (14, 15)]:
                assert head.masked[i, j]
                assert page.js(f"window.playground.cellShown({l}, {h}, {i}, {j}).kind") == "masked"
                px = page.js(f"""Array.from(document.querySelector("canvas.attn[data-layer='{l}'][data-head='{h}']")
                    .getContext('2d').getImageData({j} * 8 + 4, {i} * 8 + 4, 1, 1).data)""")
                assert px[:3] == [200, 200, 200]
            for i, j in [(0, 0), (9, 3), (15, 15)]:
                c = page.js(f"window.playground.cellShown({l}, {h}, {i}, {j})")
                assert c["kind"] == "weight" and c["value"] == pytest.approx(head.weights[i, j], abs=1e-7)
                px = page.js(f"""Array.from(document.querySelector("canvas.attn[data-layer='{l}'][data-head='{h}']")
                    .getContext('2d').getImageData({j} * 8 + 4, {i} * 8 + 4, 1, 1).data)""")
                assert px[:3] != [200, 200, 200] and px[2] == round(255 - 66 * min(1, float(np.float32(head.weights[i, j]))))
    # the hover readout says so too
    canvas = page.page.locator("canvas.attn[data-layer='1'][data-head='0']")
    b = canvas.bounding_box()
    canvas.hover(position={"x": b["width"] * 10.5 / 16, "y": b["height"] * 2.5 / 16})
    assert "masked" in page.page.locator("#cell-readout").inner_text()


def click_weight(page, layer, head, i, j, T=16):
    """Click weight [i, j] of a head's map and wait for its step-through."""
    canvas = page.page.locator(f"canvas.attn[data-layer='{layer}'][data-head='{head}']")
    b = canvas.bounding_box()
    canvas.click(position={"x": b["width"] * (j + 0.5) / T, "y": b["height"] * (i + 0.5) / T})
    page.page.wait_for_function(f"document.body.dataset.explained === '{layer},{head},{i},{j}'")


def test_a_weight_stepped_through_is_explains_derivation(page):
    page.train(20)
    click_weight(page, 1, 1, 11, 4)
    rec, _ = independent_recording(page.session.trainer, optimizer_step=True)
    d = rec.derivation("blocks.1.sa.heads.1[0, 11, 4]")
    page.page.click("#stepper .phases button[data-part=backward]")
    view = page.page.locator("#step-view").inner_text()
    assert d.headline in view and d.convention in view
    for math_, _ in d.lines:
        assert math_ in view
    assert page.page.locator("#step-text").text_content() == str(d)
    page.page.click("#stepper .phases button[data-part=softmax]")
    assert page.page.locator("#step-view tr").nth(13).inner_text().count("masked") >= 1     # key 12 > query 11
    page.page.click("#stepper .phases button[data-part=scores]")
    assert "masked" in page.page.locator("#step-view").inner_text()
    # the keyboard: focus a map, move, Enter
    page.page.focus("canvas.attn[data-layer='0'][data-head='0']")
    for key in ["ArrowDown", "ArrowDown", "ArrowRight", "Enter"]:
        page.page.keyboard.press(key)
    page.page.wait_for_function("document.body.dataset.explained === '0,0,2,1'")


def test_the_exact_arithmetic_of_a_weight_stepped_through_is_explains(page):
    from glassnet.playground.textstep import decimal
    page.train(20)
    click_weight(page, 1, 0, 9, 3)
    page.page.click("#stepper .phases button[data-part=exact]")
    rec, _ = independent_recording(page.session.trainer, optimizer_step=True)
    c = rec.attention_exact("blocks.1.sa.heads.0[0, 9, 3]")
    view = page.page.locator("#step-view")
    text = view.inner_text()
    assert decimal(c.score) in text and 'step.attention_exact("blocks.1.sa.heads.0[0, 9, 3]")' in text
    first = view.locator("table.exact").first.locator("tr.sel td")
    assert first.nth(1).inner_text() == decimal(c.score)
    shown = int(first.nth(3).get_attribute("data-digits"))
    assert 5 <= shown <= 9 and first.nth(3).inner_text() == f"{shown} digits"        # float32: about 7
    rows = view.locator("table.exact").nth(1).locator("tr")
    for j in range(16):
        cells = rows.nth(j + 1).locator("td")
        assert cells.nth(1).inner_text() == ("0 (masked)" if j > 9 else decimal(c.grad_scores[j]))
    assert "equals p" in text and "irrational" in text                 # head size 8: 1/√8
    assert not page.errors, page.errors


def test_generated_text_uses_the_vocabulary(page):
    page.page.click("#play")
    page.page.wait_for_function("+document.body.dataset.step > 30 && window.playground.drawn.sample.text.length > 20")
    page.page.click("#play")
    page.page.wait_for_function("document.body.dataset.playing === 'false'")
    page.page.locator("#temperature").fill("0.5")
    page.page.wait_for_function("window.playground.drawn.sample.temperature === 0.5 && window.playground.drawn.sample.done")
    sample = page.page.locator("#sample").text_content()
    vocab = set(page.js("window.playground.state.vocab"))
    assert len(sample) == 160 and set(sample) <= vocab
    assert vocab == set(page.session.trainer.vocab.chars)


def test_the_export_downloaded_from_the_page_loads_in_torch_with_the_same_logits(page, tmp_path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    page.train(20)
    scope = page.export_and_load(tmp_path)
    trainer = page.session.trainer
    x = np.stack([trainer.ids[k:k + 16] for k in (0, 333, 2000)])
    with glassnet.no_grad():
        ours, _ = trainer.model(glassnet.tensor(x))
    theirs, _ = scope["model"](torch.tensor(x))
    np.testing.assert_allclose(theirs.detach().numpy(), ours.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("viewport", [{"width": 390, "height": 844}, {"width": 1280, "height": 720}])
def test_the_layout_fits_a_phone_and_a_projector(browser, server, viewport):  # noqa: F811
    p = TextPage(browser, server, viewport=viewport)
    try:
        p.page.wait_for_function("window.playground.drawn && document.querySelector('canvas.attn')")
        assert p.js("document.documentElement.scrollWidth") <= viewport["width"]
        for sel in ["#play", "#text-box", "#model", "#n_head", "#learning_rate", "#heads canvas.attn", "#curve",
                    "#sample", "#temperature", "#export"]:
            box = p.page.locator(sel).first.bounding_box()
            assert box and box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 1, sel
        unlabelled = p.js("""[...document.querySelectorAll('select, input, button, textarea, canvas[tabindex]')].filter((el) =>
            !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim()
            && !el.getAttribute('aria-labelledby')).map((el) => el.id || el.outerHTML.slice(0, 60))""")
        assert not unlabelled, unlabelled
        if viewport["width"] == 1280:        # the projector: the controls, the text and the maps in the first screen
            for sel in ["#play", "#text-box", "#heads canvas.attn", "#curve"]:
                assert p.page.locator(sel).first.bounding_box()["y"] < viewport["height"], sel
        assert not p.errors, p.errors
    finally:
        p.close()


def test_a_teachers_link_sets_up_the_model_hides_controls_and_carries_weights(browser, server):  # noqa: F811
    from glassnet.playground.links import encode_weights
    from glassnet.playground.text import TextTrainer
    from glassnet.playground.text_protocol import TextConfig
    t = TextTrainer(TextConfig(n_layer=1, n_head=2, n_embd=8, block_size=8, seed=9))
    w = encode_weights([q.detach().numpy() for q in t.model.parameters()])
    p = TextPage(browser, server, hash_=f"#n_layer=1&n_head=2&n_embd=8&block_size=8&seed=9&w={w}&hide=learning_rate,model")
    try:
        p.page.wait_for_function("window.playground.state.config.n_embd === 8 && window.playground.drawn"
                                 " && window.playground.drawn.data.attention.shape[3] === 8 && window.playground.drawn.data.params")
        assert p.page.locator("#learning_rate").is_hidden() and p.page.locator("#model").is_hidden()
        assert p.page.locator("#n_head").is_visible()
        for a, b in zip(p.session.trainer.model.parameters(), t.model.parameters()):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        p.page.click("#share")
        link = p.page.locator("#share-link").input_value()
        assert "/text#" in link and "n_embd=8" in link and "&w=" in link and "trained weights included" in \
            p.page.locator("#share-panel").inner_text()
        assert not p.errors, p.errors
    finally:
        p.close()


def test_a_paste_over_the_limit_is_named_and_cut(page):
    page.page.locator("#text-box").fill("to be or not to be. " * 2600)       # 52,000 characters
    assert "over the limit of 50,000" in page.page.locator("#text-count").inner_text()
    page.page.click("#text-use")
    page.page.wait_for_function("window.playground.state.custom && window.playground.state.n_chars === 50000")
    assert "first 50,000" in page.js("document.body.dataset.lastNotice")
    assert page.page.locator("#text-box").input_value() == ("to be or not to be. " * 2600)[:50000]


def test_a_share_link_carries_a_pasted_text_and_its_weights(browser, server):  # noqa: F811
    pasted = "the cat sat on the mat. the dog sat on the log. a cat and a dog. " * 30      # 1,950 characters
    p = TextPage(browser, server)
    try:
        p.js('window.playground.send({type: "set", config: {n_layer: 1, n_head: 2, n_embd: 8, block_size: 8}})')
        p.settle()
        p.page.locator("#text-box").fill(pasted)
        p.page.click("#text-use")
        p.page.wait_for_function("window.playground.state.custom && window.playground.state.n_chars === 1950")
        p.train(20)
        p.page.click("#share")
        link = p.page.locator("#share-link").input_value()
        said = p.page.locator("#share-panel").inner_text()
        assert "&text=" in link and "your text included" in said and "&w=" in link and len(link) < 12000
        trained = [q.detach().numpy().copy() for q in p.session.trainer.model.parameters()]
    finally:
        p.close()
    q = TextPage(browser, server, hash_=link[link.index("#"):])
    try:
        q.page.wait_for_function("window.playground.state.custom && window.playground.drawn && window.playground.drawn.data.params")
        assert q.page.locator("#text-box").input_value() == pasted
        assert q.session.trainer.text == pasted and q.session.trainer.cfg.n_embd == 8
        for a, b in zip(q.session.trainer.model.parameters(), trained):
            np.testing.assert_array_equal(a.detach().numpy(), b)
        assert not q.errors, q.errors
    finally:
        q.close()


def test_a_share_link_says_a_long_paste_was_left_out_and_the_page_opening_it_says_so(browser, server):  # noqa: F811
    rng = np.random.default_rng(1)
    pasted = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz .,\n"), 30000))   # hardly compresses
    p = TextPage(browser, server)
    try:
        p.page.locator("#text-box").fill(pasted)
        p.page.click("#text-use")
        p.page.wait_for_function("window.playground.state.custom && window.playground.state.n_chars === 30000")
        p.page.click("#share")
        link = p.page.locator("#share-link").input_value()
        said = p.page.locator("#share-panel").inner_text()
        assert "&text_omitted=30000" in link and "&text=" not in link and "&w=" not in link and len(link) < 1000
        assert "your text was NOT included" in said and "30,000 characters" in said
    finally:
        p.close()
    q = TextPage(browser, server, hash_=link[link.index("#"):])
    try:
        q.page.wait_for_function("document.body.dataset.lastError && document.body.dataset.lastError.includes('too long for a link')")
        shown = q.page.locator("#messages").inner_text()
        assert "30,000 characters" in shown and "not included" in shown
        assert not q.session.trainer.custom
    finally:
        q.close()


CANVASES = "Array.from(document.querySelectorAll('canvas.attn')).map((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data))"


def _shown(page):
    return np.array(page.js("Array.from(window.playground.drawn.data.attention.values)"), np.float32).reshape(2, 2, 16, 16)


def _check_recording(page):
    rec, _ = independent_recording(page.session.trainer)
    shown = _shown(page)
    for l in range(2):
        for h in range(2):
            head = rec.attention(f"blocks.{l}.sa.heads.{h}")[0]
            np.testing.assert_array_equal(shown[l, h] == -1, head.masked)
            np.testing.assert_array_equal(shown[l, h][~head.masked], head.weights[~head.masked].astype(np.float32))


def test_the_maps_stay_drawn_across_frames_without_them_and_change_with_a_new_recording(page):
    page.train(20)
    _check_recording(page)
    before = page.js(CANVASES)
    drawn, kept = page.js("[window.playground.mapsDrawn, window.playground.framesKeptMaps || 0]")
    # paused, a new sample is written over several frames, each recording the same weights: those
    # frames leave the maps out (header kept), and the page keeps showing the ones it has
    page.js("window.playground.send({type: 'sample'})")
    page.page.wait_for_function("window.playground.drawn.sample.done && window.playground.drawn.ack >= window.playground.msgId"
                                f" && window.playground.framesKeptMaps >= {kept + 5}")
    f = page.js("({kept: window.playground.drawn.kept, arrays: window.playground.drawn.arrays})")
    assert f == {"kept": ["attention"], "arrays": []}
    assert page.js("window.playground.mapsDrawn") == drawn          # not redrawn: they did not change
    assert page.js(CANVASES) == before
    _check_recording(page)
    assert page.js("window.playground.cellShown(1, 1, 2, 5).kind") == "masked"
    # a step: a new recording, new maps sent and drawn
    old = _shown(page)
    page.train(21)                               # (to step 41)
    _check_recording(page)
    assert not np.array_equal(_shown(page), old)
    assert page.js("window.playground.mapsDrawn") > drawn and page.js(CANVASES) != before
