"""Round two of the page, in real Chromium: the step-through for every loss (with and without L1/L2),
the layout at 390 px and 1280x720, wide networks, the chart and legends, the banner, classroom links."""
import copy
import os
import time

import numpy as np
import pytest

import glassnet
from glassnet.nn import functional as F
from glassnet.playground.stepper import pointer

from .browser import Page, browser  # noqa: F401 - the fixture
from .conftest import wait_until

SHOTS = os.environ.get("PLAYGROUND_SHOTS", "/tmp/glassnet-playground-shots")


def shot(tab, name):
    os.makedirs(SHOTS, exist_ok=True)
    tab.page.screenshot(path=os.path.join(SHOTS, name))


def box(tab, selector):
    return tab.page.locator(selector).first.bounding_box()


def inside(b, width, height):
    return b is not None and b["x"] >= -1 and b["y"] >= -1 and b["x"] + b["width"] <= width + 1 \
        and b["y"] + b["height"] <= height + 1


def overlap(a, b):
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def set_up(tab, **config):
    tab.js("(c) => window.playground.send({type: 'set', config: c})", config)
    assert wait_until(lambda: all(getattr(tab.session.trainer.cfg, k) == v for k, v in config.items()), 15)
    tab.page.wait_for_function("(c) => Object.entries(c).every(([k, v]) => "
                               "JSON.stringify(window.playground.state.config[k]) === JSON.stringify(v))", arg=config)


def click_point(tab, split="train", index=0):
    pts = tab.js("window.playground.state.points")
    (lo, hi), (x, y, _) = pts["domain"], pts[split][index]
    b = box(tab, "#output")
    tab.page.locator("#output").click(position={"x": (x - lo) / (hi - lo) * b["width"],
                                                "y": (hi - y) / (hi - lo) * b["height"]})


# -- the step-through, for every loss ----------------------------------------------------------
def reference(trainer, index):
    """The same step, recorded independently: the loss written here with glassnet's functional API."""
    from glassnet.explain import record
    cfg = trainer.cfg
    model = copy.deepcopy(trainer.model)
    opt = glassnet.optim.SGD(model.parameters(), lr=cfg.learning_rate)
    x = glassnet.tensor(trainer.x_train[index:index + 1])
    t = glassnet.tensor(trainer.y_train[index:index + 1])
    weights = [m.weight for m in model if isinstance(m, glassnet.nn.Linear)]

    def loss_of(out):
        if cfg.loss == "bce":
            data = F.binary_cross_entropy_with_logits(out, t)
        elif cfg.loss == "mse":
            data = F.mse_loss(out.sigmoid() if cfg.problem == "classification" else out, t)
        else:
            data = F.l1_loss(out, t)
        if cfg.regularization == "none":
            return data
        terms = [w.abs().sum() if cfg.regularization == "l1" else (w * w).sum() * 0.5 for w in weights]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return data + total * cfg.reg_rate

    with record(model, opt, loss_fn=lambda out, _t: loss_of(out), names={"x": x, "t": t}) as rec:
        loss = loss_of(model(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return rec.to_dict(), model, x.array.astype(np.float64), float(t.array[0, 0])


def loss_in_float64(cfg, model, x, t):
    h = x
    linears = [m for m in model if isinstance(m, glassnet.nn.Linear)]
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0), "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
           "linear": lambda z: z}[cfg.activation]
    for i, lin in enumerate(linears):
        h = h @ lin.weight.array.astype(np.float64).T + lin.bias.array.astype(np.float64)
        if i < len(linears) - 1:
            h = act(h)
    y = h[0, 0]
    p = 1 / (1 + np.exp(-y))
    data = {"bce": -(t * np.log(p) + (1 - t) * np.log(1 - p)),
            "mse": ((p if cfg.problem == "classification" else y) - t) ** 2, "l1": abs(y - t)}[cfg.loss]
    ws = [lin.weight.array.astype(np.float64) for lin in linears]
    pen = {"none": 0.0, "l1": sum(np.abs(w).sum() for w in ws), "l2": sum((w * w).sum() / 2 for w in ws)}
    return data + cfg.reg_rate * pen[cfg.regularization]


CASES = [("classification", "bce"), ("classification", "mse"), ("regression", "mse"), ("regression", "l1")]


@pytest.mark.slow
def test_the_step_through_is_right_for_every_loss_with_and_without_regularisation(browser, server):  # noqa: F811
    tab = Page(browser, server, viewport={"width": 1280, "height": 720})
    try:
        for problem, loss in CASES:
            set_up(tab, problem=problem, loss=loss, optimizer="sgd", learning_rate=0.1, activation="tanh")
            tab.js("window.playground.send({type: 'step', n: 20})")
            assert wait_until(lambda: tab.session.trainer.steps >= 20)
            for reg, rate in (("none", 0.0), ("l2", 0.3), ("l1", 0.03)):
                set_up(tab, regularization=reg, reg_rate=rate)
                tab.js("window.playground.explain = null")
                click_point(tab, "train", 3)
                tab.page.wait_for_function("window.playground.explain && window.playground.explain.point.index === 3")
                check_step_through(tab, problem, loss, reg)
                tab.page.click("#step-close")
        assert not tab.errors, tab.errors
    finally:
        tab.close()


def check_step_through(tab, problem, loss, reg):
    trainer = tab.session.trainer
    msg = tab.js("window.playground.explain")
    doc = msg["record"]
    ref, stepped, x, t = reference(trainer, 3)
    where = f"{problem}/{loss}/{reg}"
    # the loss step, as the page shows it: the formula, the penalty, the total, the loss after
    tab.page.click("#stepper .phases button[data-phase=loss]")
    text = tab.page.locator("#step-view").inner_text()
    formula = {"bce": "−[t·log σ(ŷ) + (1 − t)·log(1 − σ(ŷ))]", "mse": "(ŷ − t)²" if problem == "regression"
               else "(σ(ŷ) − t)²", "l1": "|ŷ − t|"}[loss]
    assert formula in text, (where, text)
    assert "BinaryCrossEntropyWithLogits(" not in text and "Error" not in text
    assert ("penalty" in text) == (reg != "none"), (where, text)
    after = loss_in_float64(trainer.cfg, stepped, x, t)
    assert doc["effect"]["loss_after"] == pytest.approx(after, rel=2e-5, abs=1e-7), where   # new weights, new penalty
    pct = tab.page.locator("#step-view .num[data-format=pct2]").inner_text()
    assert pct == f"{doc['effect']['change_percent']:+.2f}".replace("-", "−")
    # every number on every step: the recording's value, and glassnet.explain's own (an independent
    # recording of the same step agrees on every layer and effect value)
    n = len(msg["steps"])
    tab.page.click("#step-first")
    for i in range(n):
        step = msg["steps"][i]
        if i:
            tab.page.keyboard.press("ArrowRight")
        tab.page.wait_for_function(f"document.getElementById('step-pos').textContent.startsWith('{i + 1} /')")
        nums = tab.page.eval_on_selector_all("#step-view .num", """els => els.map(e =>
            [e.dataset.path || null, parseFloat(e.dataset.value), e.dataset.derived || null])""")
        paths = [(p, v) for p, v, _ in nums if p]
        for path, v in paths:
            assert v == pytest.approx(pointer(doc, path), rel=1e-12, abs=0), (where, path)
            if path.startswith(("layers/", "effect/")):
                assert v == pytest.approx(pointer(ref, path), rel=1e-5, abs=1e-7), (where, path)
        if step["phase"] == "backward" and "weight w" in step["title"] and reg != "none":
            # ∂L/∂w = ∂L/∂z · input + penalty share, each shown, and the sum is the recorded gradient
            derived = [v for p, v, d in nums if d]
            grad = paths[-1][1]
            assert derived[-2] + derived[-1] == pytest.approx(grad, rel=1e-4, abs=1e-6), (where, step["title"])
        if step["phase"] == "backward" and "weight w" in step["title"] and reg == "none":
            gz, xin, grad = paths[-3][1], paths[-2][1], paths[-1][1]
            assert gz * xin == pytest.approx(grad, rel=1e-4, abs=1e-7), (where, step["title"])


# -- layout ---------------------------------------------------------------------------------------
def test_at_390_px_the_columns_stack_and_nothing_needs_sideways_panning(browser, server):  # noqa: F811
    tab = Page(browser, server, "#hidden=8,8,8&features=x1,x2,x1^2", viewport={"width": 390, "height": 844})
    try:
        tab.page.wait_for_function("window.playground.drawn && window.playground.state.config.hidden.length === 3")
        assert tab.js("document.documentElement.scrollWidth") <= 390
        cols = [box(tab, s) for s in ("#data-col", "#net-col", "#out-col")]
        for b in cols:
            assert b["x"] >= 0 and b["x"] + b["width"] <= 390
        assert cols[0]["y"] < cols[1]["y"] < cols[2]["y"]            # stacked, in order
        for sel in ("#play", "#learning_rate", "#loss", "#datasets", "#output", "#export"):
            b = box(tab, sel)
            assert b["x"] >= 0 and b["x"] + b["width"] <= 390, sel
        # the network scrolls inside its own box; the page does not
        assert tab.js("document.getElementById('net-scroll').scrollWidth > document.getElementById('net-scroll').clientWidth")
        tab.page.locator("#output").scroll_into_view_if_needed()
        click_point(tab)
        tab.page.wait_for_selector("#stepper-body:not([hidden])")
        stepper = box(tab, "#stepper")
        assert stepper["x"] >= 0 and stepper["x"] + stepper["width"] <= 390
        assert tab.js("document.documentElement.scrollWidth") <= 390
        shot(tab, "playground-390.png")
        assert not tab.errors, tab.errors
    finally:
        tab.close()


def test_at_1280x720_the_step_through_docks_beside_the_network(browser, server):  # noqa: F811
    tab = Page(browser, server, viewport={"width": 1280, "height": 720})
    try:
        tab.page.wait_for_function("window.playground.drawn")
        scroll = tab.js("window.scrollY")
        click_point(tab)
        tab.page.wait_for_selector("#stepper-body:not([hidden])")
        tab.page.click("#stepper .phases button[data-phase=backward]")
        tab.page.keyboard.press("ArrowRight")
        time.sleep(0.3)
        assert tab.js("window.scrollY") == scroll                    # clicking a point does not scroll
        stepper = box(tab, "#stepper")
        assert inside(stepper, 1280, 720) or (stepper["y"] < 720 and stepper["x"] + stepper["width"] <= 1281)
        assert inside(box(tab, "#step-view"), 1280, 720)
        his = tab.page.locator(".node.hi")
        assert his.count() >= 1
        for i in range(his.count()):
            b = his.nth(i).bounding_box()
            assert inside(b, 1280, 720), b                            # the highlighted neurons are in view
            assert not overlap(b, stepper)                            # and not under the panel
        assert inside(box(tab, "#output"), 1280, 720)                 # points can still be picked
        # the gradient flows back along the highlighted edges (an animation, output -> input)
        flowing = tab.js("""[...document.querySelectorAll('path.edge.hi')].map(p =>
            getComputedStyle(p).animationName)""")
        assert flowing and set(flowing) == {"flow-back"}
        shot(tab, "playground-1280x720.png")
        assert not tab.errors, tab.errors
    finally:
        tab.close()


def test_a_wide_network_scrolls_and_every_weight_stays_hoverable(browser, server):  # noqa: F811
    tab = Page(browser, server, "#hidden=8,8,8,8,8,8", viewport={"width": 1280, "height": 1300})
    try:
        tab.page.wait_for_function("window.playground.drawn && window.playground.state.config.hidden.length === 6")
        lefts = sorted({round(v) for v in tab.js("""[...document.querySelectorAll('.node.hidden')].map(n =>
            parseFloat(n.style.left))""")})
        assert min(np.diff(lefts)) >= 100                           # columns do not squeeze
        unreachable = tab.js("""() => {
            const sc = document.getElementById('net-scroll'), bad = [];
            for (const hit of document.querySelectorAll('path.edge.hit')) {
                const len = hit.getTotalLength(); let ok = false;
                for (let i = 1; i < 200 && !ok; i++) {
                    const q = hit.getPointAtLength(len * i / 200);
                    sc.scrollLeft = Math.max(0, q.x - sc.clientWidth / 2);
                    const svg = hit.ownerSVGElement.getBoundingClientRect();
                    ok = document.elementFromPoint(svg.left + q.x, svg.top + q.y) === hit;
                }
                if (!ok) bad.push(hit.dataset.edge);
            }
            return bad; }""")
        assert unreachable == [], unreachable
        n_edges = tab.page.locator("path.edge.hit").count()
        assert n_edges == 2 * 8 + 5 * 64 + 8
        # hover and edit one in the last layers (scrolled into view inside the network's box)
        tab.page.evaluate("document.getElementById('net-scroll').scrollLeft = 1e6")
        x, y = tab.edge_point("6,0,5")
        tab.page.mouse.move(x, y)
        tab.page.locator("#tooltip").wait_for(state="visible")
        assert "w1,6 (12.weight[0, 5])" in tab.page.locator("#tooltip").inner_text()
        tab.page.mouse.click(x, y)
        tab.page.fill("#weight-input", "1.25")
        tab.page.press("#weight-input", "Enter")
        assert wait_until(lambda: tab.session.trainer.linears[6].weight.array[0, 5] == 1.25)
        assert not tab.errors, tab.errors
    finally:
        tab.close()


# -- the chart, the legends, the fixed square, the data thumbnails, where messages go -------------
def test_chart_legends_fixed_square_multigauss_and_csv_thumbnail(browser, server, tmp_path):  # noqa: F811
    tab = Page(browser, server, viewport={"width": 1280, "height": 720})
    try:
        p = tab.page
        for k in range(1, 4):
            tab.js("window.playground.send({type: 'step', n: 10})")
            p.wait_for_function(f"window.playground.drawn && window.playground.drawn.step === {10 * k}")
        p.wait_for_function("window.playground.history.length > 2")
        curve = tab.pixels("#curve")
        assert (curve.sum(axis=2) < 400).sum() > 200                 # axes, labels and lines are drawn
        assert (np.abs(curve[:14, 60:110] - 255).sum(axis=2) > 100).any()   # the legend, top left
        set_up(tab, noise=50)
        assert tab.js("window.playground.state.points.domain") == [-6, 6]    # noise never moves the axes
        assert p.locator("#legend-neg").inner_text() == "class 0"
        set_up(tab, problem="regression")
        assert "target" in p.locator("#legend-neg").inner_text() and "class" not in p.locator(".legend").inner_text()
        p.click("#datasets button[data-dataset=multigauss]")
        assert wait_until(lambda: tab.session.trainer.cfg.dataset == "multigauss")
        # an uploaded CSV's thumbnail is its own points (white background, a few dots)
        rows = [f"{a:.2f},{b:.2f},{a + b:.2f}" for a, b in np.random.default_rng(0).uniform(-3, 3, (30, 2))]
        f = tmp_path / "mine.csv"
        f.write_text("x1,x2,y\n" + "\n".join(rows))
        p.set_input_files("#csv", str(f))
        p.wait_for_selector("#datasets button[data-dataset=csv].selected")
        thumb = tab.pixels("#datasets button[data-dataset=csv] canvas")
        white = (thumb.min(axis=2) > 245).mean()
        assert 0.6 < white < 0.99, white
        # messages sit in their own strip: they cover neither the losses nor the problem selector
        tab.js("window.playground.send({type: 'explain', split: 'train', index: 1999})")
        p.wait_for_selector("#messages .msg.error")
        msg = box(tab, "#messages .msg.error")
        for sel in ("#train-loss", "#test-loss", "#problem", "#loss"):
            assert not overlap(msg, box(tab, sel)), sel
        assert not tab.errors, tab.errors
    finally:
        tab.close()


# -- when it breaks, say why ------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # the overflow is the point
def test_divergence_banner_stays_and_names_the_step_and_layer_and_nan_has_its_colour(browser, server):  # noqa: F811
    tab = Page(browser, server, viewport={"width": 1280, "height": 720})
    try:
        p = tab.page
        set_up(tab, learning_rate=10.0, optimizer="sgd", activation="relu", problem="regression", loss="mse")
        p.click("#play")
        p.wait_for_function("document.body.dataset.diverged === 'true'", timeout=30000)
        banner = p.locator("#banner .diverged")
        text = banner.inner_text()
        step = tab.session.diverged["step"]
        assert f"diverged at step {step}" in text and ("layer" in text or "loss" in text), text
        assert "Lower the learning rate" in text
        # paused (the banner pauses the button at once; a frame already in flight may still
        # say "playing" until the server's next one arrives)
        p.wait_for_function("document.querySelector('#play').getAttribute('aria-label') === 'play'",
                            timeout=5000)
        time.sleep(6)                                                          # not a 5-second toast
        assert banner.is_visible() and banner.inner_text() == text
        # NaN weights (as a divergence leaves them) are drawn in NaN's own colour
        tab.session.trainer.linears[0].weight.array[...] = np.nan            # the session is paused
        tab.js("window.playground.send({type: 'set_weight', layer: 1, row: 0, col: 0, value: 0.5})")
        p.wait_for_function("document.body.classList.contains('nan')")
        assert "diverged" in banner.inner_text()                              # still said
        px = tab.pixels("#output")
        magenta = ((px[..., 0] > 180) & (px[..., 1] < 60) & (px[..., 2] > 110)).mean()
        assert magenta > 0.2, magenta                                          # NaN drawn in its own colour
        p.click("#reset")
        p.wait_for_function("document.body.dataset.diverged === 'false'")
        assert not banner.count() or not banner.is_visible()
        assert not tab.errors, tab.errors
    finally:
        tab.close()


def test_live_warnings_name_dead_relus_and_steps_per_second_show(browser, server):  # noqa: F811
    tab = Page(browser, server, viewport={"width": 1280, "height": 720})
    try:
        p = tab.page
        set_up(tab, activation="relu", learning_rate=0.01)
        for col in range(2):                                    # neuron 2 of hidden layer 1: never fires
            tab.js(f"window.playground.send({{type: 'set_weight', layer: 0, row: 1, col: {col}, value: 0}})")
        tab.js("window.playground.send({type: 'set_weight', layer: 0, row: 1, col: null, value: -50})")
        p.wait_for_function("document.getElementById('banner').textContent.includes('in hidden layer 1: neuron 2 ')",
                            timeout=20000)
        warns = p.locator("#banner .warning.dead_relu").all_inner_texts()
        assert any("in hidden layer 1: neuron 2 output 0" in w for w in warns), warns
        p.click("#play")
        p.wait_for_function("/\\d+ steps\\/s/.test(document.getElementById('rate').textContent) && "
                            "parseInt(document.getElementById('rate').textContent) > 0", timeout=20000)
        p.click("#play")
        assert p.locator("#banner .warning.dead_relu").first.is_visible()     # it stays while it holds
        assert not tab.errors, tab.errors
    finally:
        tab.close()


# -- classroom links --------------------------------------------------------------------------------
def test_a_share_link_carries_the_trained_weights_and_hides_chosen_controls(browser, server):  # noqa: F811
    a = Page(browser, server, "#dataset=xor&hidden=3,2&learning_rate=0.1", viewport={"width": 1280, "height": 720})
    try:
        a.page.wait_for_function("window.playground.state.config.dataset === 'xor'")
        a.js("window.playground.send({type: 'step', n: 40})")
        a.page.wait_for_function("window.playground.drawn && window.playground.drawn.step === 40")
        a.page.click("#share")
        a.page.click("#share-panel summary")
        a.page.check("#share-hide input[value=learning_rate]")
        a.page.check("#share-hide input[value=layers]")
        link = a.page.locator("#share-link").input_value()
        assert "w=" in link and "hide=learning_rate,layers" in link and len(link) < 2000
        b = Page(browser, server, link[link.index("#"):], viewport={"width": 1280, "height": 720})
        try:
            assert wait_until(lambda: b.session.trainer.cfg.dataset == "xor" and b.session.trainer.cfg.hidden == [3, 2])
            b.page.wait_for_function("window.playground.drawn")
            for x, y in zip(a.session.trainer.model.parameters(), b.session.trainer.model.parameters()):
                assert wait_until(lambda: (x.array == y.array).all())           # the trained state, exactly
            assert not b.page.locator("#learning_rate").is_visible()
            assert not b.page.locator("#add-layer").is_visible()
            assert b.page.locator(".layer-buttons").count() and not b.page.locator(".layer-buttons").first.is_visible()
            assert b.page.locator("#activation").is_visible()
            assert b.session.trainer.evaluate(b.session.trainer.x_test, b.session.trainer.y_test) == \
                a.session.trainer.evaluate(a.session.trainer.x_test, a.session.trainer.y_test)
            assert not b.errors, b.errors
        finally:
            b.close()
        assert not a.errors, a.errors
    finally:
        a.close()


def test_one_bad_link_field_resets_only_that_field_with_a_message(browser, server):  # noqa: F811
    t = Page(browser, server, "#dataset=spiral&noise=99&hidden=3,5&activation=swish&seed=7&w=AAAA&hide=bogus",
             viewport={"width": 1280, "height": 720})
    try:
        assert wait_until(lambda: t.session.trainer.cfg.dataset == "spiral" and t.session.trainer.cfg.seed == 7)
        cfg = t.session.trainer.cfg
        assert cfg.hidden == [3, 5] and cfg.noise == 0 and cfg.activation == "tanh"
        t.page.wait_for_function("document.querySelectorAll('#messages .msg.error').length >= 3")
        texts = " | ".join(t.page.locator("#messages .msg.error").all_inner_texts())
        assert "noise='99'" in texts and "noise stays 0" in texts
        assert "activation='swish'" in texts and "activation stays tanh" in texts
        assert "weights (w=)" in texts
        t.page.wait_for_function("(document.body.dataset.lastError || '').length > 0")
        assert not t.errors, t.errors
    finally:
        t.close()


def test_the_page_runs_under_its_content_security_policy(browser, server):  # noqa: F811
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})     # no bypass: the real policy
    page = ctx.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server.url)
        page.wait_for_selector("body[data-step='0']")
        page.click("#step")
        page.wait_for_selector("body[data-step='1']")
        assert not errors, errors
    finally:
        ctx.close()
