"""The Text page's server side: its messages, the trainer, frames and step-through against an
independent glassnet.explain recording, samples, the export in torch, the WebSocket session."""
from __future__ import annotations

import base64
import copy
import json
import math
import os

import numpy as np
import pytest

import glassnet
from glassnet import explain
from glassnet.lessons.gpt import bigram_entropy
from glassnet.lessons.gpt_text import make_text
from glassnet.playground import export as X
from glassnet.playground.frames import decode_arrays
from glassnet.playground.protocol import ProtocolError
from glassnet.playground.text import LINK_PARAMS, MASKED, PAUSED_CHARS_PER_FRAME, TextTrainer
from glassnet.playground.text_protocol import TextConfig, TextLimits, parse_text_message, read_link_field
from glassnet.playground.textstep import explain_weight

from .conftest import PageClient

SMALL = TextConfig(n_layer=2, n_head=2, n_embd=16, block_size=16)


def independent_recording(trainer, optimizer_step=False):
    """The window under the cursor's step, recorded here, not by the page's code: a copy of the
    model, the window's characters and the next ones as targets."""
    start = trainer.window()
    T = trainer.T
    x = trainer.ids[start:start + T][None]
    y = trainer.ids[start + 1:start + T + 1][None]
    model = copy.deepcopy(trainer.model)
    opt = None
    if optimizer_step:
        opt = glassnet.optim.AdamW(model.parameters(), lr=trainer.cfg.learning_rate)
        opt.load_state_dict(copy.deepcopy(trainer.optimizer.state_dict()))
    with explain.record(model, opt) as rec:
        _, loss = model(glassnet.tensor(x), glassnet.tensor(y))
        if opt:
            opt.zero_grad()
        loss.backward()
        if opt:
            opt.step()
    return rec, start


@pytest.fixture(scope="module")
def trained():
    t = TextTrainer(SMALL)
    for _ in range(40):
        t.train_step()
    return t


# -- messages ------------------------------------------------------------------------------------
@pytest.mark.parametrize("msg, says", [
    ({"type": "set", "config": {"n_layer": 9}}, "less than or equal to 4"),
    ({"type": "set", "config": {"hidden": [4]}}, "unknown control"),
    ({"type": "set", "config": {"model": "lstm"}}, "model"),
    ({"type": "set", "config": {"temperature": 0}}, "temperature"),
    ({"type": "cursor", "position": -1}, "position"),
    ({"type": "explain", "layer": 7}, "layer"),
    ({"type": "text", "text": 5}, "text"),
    ({"type": "draw", "pixels": []}, "unknown message type"),
])
def test_bad_messages_are_refused_with_a_reason(msg, says):
    with pytest.raises(ProtocolError, match=says):
        parse_text_message(json.dumps(msg))


def test_a_link_field_is_typed_as_its_control():
    assert read_link_field("n_head", "2") == 2
    assert read_link_field("learning_rate", "0.01") == 0.01
    assert read_link_field("model", "bigram") == "bigram"
    with pytest.raises(ProtocolError, match="model"):
        read_link_field("model", "rnn")


def test_heads_must_divide_the_channels():
    t = TextTrainer(SMALL)
    with pytest.raises(ProtocolError, match="multiple of the number of heads"):
        t.apply({"n_head": 3})
    t.apply({"n_head": 4, "n_embd": 24})
    assert t.cfg.n_head == 4 and t.model.blocks[0].sa.heads[0].key.weight.shape == (6, 24)


# -- the trainer ---------------------------------------------------------------------------------
def test_the_default_text_its_vocabulary_and_the_bigram_floor_are_the_lessons():
    t = TextTrainer(SMALL)
    d = make_text()
    assert t.text == d.text and t.vocab.chars == sorted(set(d.text))
    assert t.floor == bigram_entropy(t.ids[:t.n_train], len(t.vocab))
    assert 1.0 < t.floor < 3.0


def test_the_gpt_learns_and_the_bigram_baseline_trains():
    t = TextTrainer(SMALL)
    first = t.evaluate(force=True)["val_loss"]
    for _ in range(60):
        t.train_step()
    assert t.evaluate(force=True)["val_loss"] < first - 0.5
    b = TextTrainer(TextConfig(model="bigram", learning_rate=0.1))
    for _ in range(30):
        assert math.isfinite(b.train_step())
    f = decode_arrays(b.frame(playing=False))
    assert "attention" not in f["data"] and f["data"]["params"].size == len(b.vocab) ** 2
    with pytest.raises(ProtocolError, match="bigram model has no attention"):
        explain_weight(b, 0, 0, 0, 0)


def test_attention_in_a_frame_is_that_of_an_independent_explain_recording(trained):
    trained.set_cursor(500)
    f = decode_arrays(trained.frame(playing=False))
    rec, start = independent_recording(trained)
    assert f["window"]["start"] == start == 500 - trained.T
    assert f["window"]["ids"] == trained.ids[start:start + trained.T].tolist()
    shown = f["data"]["attention"]
    assert shown.shape == (2, 2, 16, 16)
    for l in range(2):
        for h in range(2):
            head = rec.attention(f"blocks.{l}.sa.heads.{h}")[0]
            # masked entries are shown as masked (never as a small weight), the rest are the recording's
            np.testing.assert_array_equal(shown[l, h] == MASKED, head.masked)
            assert head.masked.sum() == 16 * 15 // 2 and np.array_equal(head.masked, np.triu(np.ones((16, 16), bool), 1))
            np.testing.assert_array_equal(shown[l, h][~head.masked], head.weights[~head.masked].astype(np.float32))


def test_generated_text_uses_the_vocabulary_and_the_temperature(trained):
    trained.apply({"temperature": 0.5})
    # paused, each frame writes a part of the sample (no long piece of work) until it is done
    lengths = []
    while trained.unfinished():
        f = decode_arrays(trained.frame(playing=False))
        lengths.append(len(f["sample"]["text"]))
    assert lengths == list(range(PAUSED_CHARS_PER_FRAME, TextLimits.sample_chars + 1, PAUSED_CHARS_PER_FRAME))
    s = f["sample"]
    assert s["done"] and s["temperature"] == 0.5 and len(s["text"]) == TextLimits.sample_chars
    assert set(s["text"]) <= set(trained.vocab.chars)
    # while playing it is written a few characters a frame
    trained.new_sample()
    f = decode_arrays(trained.frame(playing=True))
    assert 0 < len(f["sample"]["text"]) < TextLimits.sample_chars and not f["sample"]["done"]


def test_a_pasted_text_is_cut_at_the_limit_and_a_short_one_refused():
    t = TextTrainer(SMALL)
    long = ("abcd efgh. " * 6000)
    assert t.set_text(long) == len(long) and len(t.text) == TextLimits.max_chars and t.custom
    assert t.vocab.chars == sorted(set("abcd efgh. "))
    with pytest.raises(ProtocolError, match="at least 200"):
        t.set_text("too short")
    t.set_text(None)
    assert not t.custom and t.text == make_text().text


def test_a_step_through_is_explains_derivation_of_that_weight(trained):
    trained.set_cursor(300)
    m = explain_weight(trained, 1, 0, 6, 2)
    rec, _ = independent_recording(trained, optimizer_step=True)
    d = rec.derivation("blocks.1.sa.heads.0[0, 6, 2]")
    assert m["derivation"]["headline"] == d.headline and m["derivation"]["text"] == str(d)
    assert m["derivation"]["value"] == float(d.value) and m["derivation"]["agrees"]
    head = rec.attention("blocks.1.sa.heads.0")[0]
    assert m["row"]["masked"] == head.masked[6].tolist() and m["row"]["masked"][7]
    np.testing.assert_allclose(m["row"]["probs"], head.weights[6])
    assert m["scale"] == pytest.approx(1 / math.sqrt(8)) and m["head_size"] == 8
    visible = [s for s, mk in zip(m["row"]["scores"], m["row"]["masked"]) if not mk]
    np.testing.assert_allclose(np.array(visible) , np.array(m["row"]["qk"][:7]) * m["scale"], rtol=1e-5, atol=1e-6)
    assert m["row"]["scores"][7] is None
    with pytest.raises(ProtocolError, match="outside"):
        explain_weight(trained, 0, 0, 16, 0)


@pytest.mark.parametrize("ij", [(6, 2), (3, 9)])             # a visible weight, a masked one
def test_a_step_through_shows_explains_exact_check_of_that_weight(trained, ij):
    from fractions import Fraction

    from glassnet.playground.textstep import decimal, digits
    i, j = ij
    trained.set_cursor(300)
    m = explain_weight(trained, 0, 1, i, j)["exact"]
    rec, _ = independent_recording(trained, optimizer_step=True)
    c = rec.attention_exact(f"blocks.0.sa.heads.1[0, {i}, {j}]")
    assert m["score"]["exact"] == decimal(c.score) and m["score"]["masked"] == (j > i)
    if j > i:                                   # masked: the exact q·k·scale, no recorded score
        assert m["score"]["recorded"] is None
    else:
        assert m["score"]["recorded"] == c.score_recorded and 5 <= m["score"]["digits"] <= 9   # float32: ~7
        assert abs(Fraction(m["score"]["exact"]) - c.score) < Fraction(1, 10 ** 18)
    assert [g["exact"] for g in m["grad_scores"]] == [decimal(v) for v in c.grad_scores]
    assert [g["recorded"] for g in m["grad_scores"]] == c.grad_scores_recorded
    assert [g["digits"] for g in m["grad_scores"][i + 1:]] == [None] * (SMALL.block_size - i - 1)   # masked: 0 = 0
    assert all(g["digits"] is None or g["digits"] >= 4 for g in m["grad_scores"])
    assert m["formula_equal"] and m["scale_exact"] is False and m["scale"] is None     # 1/√8: not rational
    assert m["grad_q"]["max_difference"] == c.differences()["grad_q"] < 1e-6
    assert m["sum_p"]["difference"] == c.differences()["sum_p"] < 1e-6
    assert m["call"] == f'step.attention_exact("blocks.0.sa.heads.1[0, {i}, {j}]")'
    assert digits(Fraction(1, 3), 1 / 3) >= 15 and digits(Fraction(1), 1.0) is None and digits(Fraction(1), 1.01) == 1


@pytest.mark.parametrize("cfg", [SMALL, TextConfig(model="bigram")])
def test_the_export_loads_in_torch_with_the_same_logits(trained, tmp_path, cfg):
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    t = trained if cfg is SMALL else TextTrainer(cfg)
    name = "text.safetensors"
    msg = X.export_message(t.model, name, "load.py", X.gpt_torch_code(t.cfg, t.vocab.chars, name))
    (tmp_path / name).write_bytes(base64.b64decode(msg["safetensors"]))
    code = msg["code"].split('if __name__ == "__main__":')[0]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        scope = {}
        exec(compile(code, "load.py", "exec"), scope)
    finally:
        os.chdir(cwd)
    x = np.stack([t.ids[k:k + t.T] for k in (0, 100, 900)])
    with glassnet.no_grad():
        ours, _ = t.model(glassnet.tensor(x))
    theirs, _ = scope["model"](torch.tensor(x))
    np.testing.assert_allclose(theirs.detach().numpy(), ours.numpy(), rtol=1e-4, atol=1e-5)
    window = t.text[100:100 + t.T]
    np.testing.assert_allclose(scope["logits"](window).numpy(), ours.numpy()[1], rtol=1e-4, atol=1e-5)


def test_warnings_name_a_dead_feed_forward_unit_and_a_divergence():
    from glassnet.playground import health as H
    t = TextTrainer(SMALL)
    with glassnet.no_grad():
        t.model.blocks[0].ffwd.net[0].bias[3] = -100.0
    found = H.live_warnings(t)
    assert any(w["kind"] == "dead_relu" and w["units"] == [4] and "block 1's feed-forward" in w["message"]
               for w in found)
    with glassnet.no_grad():
        t.model.lm_head.weight[0, 0] = float("nan")
    d = H.broken_parameters(t, float("nan"))
    assert "lm_head.weight" in d["message"] and d["where"] == "the output layer"


# -- the WebSocket session -----------------------------------------------------------------------
class TextClient(PageClient):
    def __init__(self, server):
        super().__init__(server, "/text", first=("text", "state", "frame"))


@pytest.fixture
def text(server):
    c = TextClient(server)
    yield c
    c.close()


def test_the_page_is_served_with_its_own_modules(server):
    import urllib.request
    html = urllib.request.urlopen(server.url + "text").read().decode()
    assert '<script type="module" src="/static/text.js">' in html
    for name in ("text.js", "text.css", "classroom.js"):
        assert len(urllib.request.urlopen(f"{server.url}static/{name}").read()) > 1000


def test_a_session_trains_follows_the_cursor_and_explains(text):
    assert text.hello["page"] == "text" and text.state["config"] == TextConfig().model_dump()
    assert text.text["text"] == make_text().text and not text.text["custom"]
    assert text.frame["step"] == 0 and text.frame["data"]["attention"].shape[:2] == (2, 4)
    f = text.request(type="set", config={"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 8})
    assert f["data"]["attention"].shape == (1, 2, 8, 8)
    f = text.request(type="step", n=3)
    assert f["step"] == 3
    f = text.request(type="cursor", position=1000)
    assert f["window"]["start"] == 992
    text.send(type="explain", layer=0, head=1, i=5, j=5)
    m = text.wait("explain")
    assert m["derivation"]["agrees"] and m["entry"] == "blocks.0.sa.heads.1[0, 5, 5]"
    text.send(type="set", config={"n_head": 3})
    assert "multiple of the number of heads" in text.wait("error")["message"]
    text.send(type="text", text="the cat sat on the mat. " * 3000)
    assert text.wait("text")["custom"]
    notice = text.wait("notice")
    assert "72,000 characters" in notice["message"] and "first 50,000" in notice["message"]
    assert text.state["n_chars"] == TextLimits.max_chars


def test_a_link_applies_its_fields_and_weights_and_names_a_bad_one(text):
    from glassnet.playground.links import encode_weights
    t = TextTrainer(TextConfig(n_layer=1, n_head=2, n_embd=8, block_size=8, seed=5))
    n = sum(p.numel() for p in t.model.parameters())
    assert n <= LINK_PARAMS
    w = encode_weights([p.detach().numpy() for p in t.model.parameters()])
    text.send(type="link", fields={"n_layer": "1", "n_head": "2", "n_embd": "8", "block_size": "8", "seed": "5",
                                   "model": "lstm"}, weights=w)
    err = text.wait("error")
    assert "model" in err["message"] and err["link"]
    f = text.wait("frame", lambda m: "params" in m["data"] and m["data"]["params"].size == n)
    np.testing.assert_array_equal(f["data"]["params"], np.concatenate([p.detach().numpy().ravel()
                                                                        for p in t.model.parameters()]))


def test_a_links_text_is_zlib_base64url_and_capped():
    from glassnet.playground.links import LINK_TEXT_BYTES, decode_text, encode_text
    words = make_text().text[:20000]
    field, packed = encode_text(words)
    assert field is not None and packed <= LINK_TEXT_BYTES and len(field) < 8100
    assert set(field) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")    # URL-safe, no padding
    assert decode_text(field, TextLimits.max_chars) == words
    # the same bytes as Python's zlib and base64url (the page only copies the server's field)
    import base64
    import zlib
    assert zlib.decompress(base64.urlsafe_b64decode(field + "=" * (-len(field) % 4))).decode() == words
    assert decode_text(encode_text("é→ß\n" * 60)[0], TextLimits.max_chars) == "é→ß\n" * 60   # any UTF-8
    rng = np.random.default_rng(0)
    noise = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz .,"), 20000))
    field, packed = encode_text(noise)                      # random letters hardly compress: too long
    assert field is None and packed > LINK_TEXT_BYTES
    with pytest.raises(ProtocolError, match="not a text the share button writes"):
        decode_text("not*base64", TextLimits.max_chars)
    with pytest.raises(ProtocolError, match="not a text the share button writes"):
        decode_text(base64.urlsafe_b64encode(b"plain bytes").decode(), TextLimits.max_chars)
    bomb = base64.urlsafe_b64encode(zlib.compress(b"a" * 10 ** 6, 9)).decode().rstrip("=")
    with pytest.raises(ProtocolError, match="too long"):   # never inflated past what a text may hold
        decode_text(bomb, TextLimits.max_chars)
    with pytest.raises(ProtocolError, match="at most 6,000 compressed bytes"):
        decode_text("A" * 9000, TextLimits.max_chars)


def test_a_link_carries_a_pasted_text_before_its_weights_and_names_one_left_out(text):
    from glassnet.playground.links import encode_text, encode_weights
    pasted = "the cat sat on the mat. the dog sat on the log. " * 20
    t = TextTrainer(TextConfig(n_layer=1, n_head=2, n_embd=8, block_size=8, seed=5))
    t.set_text(pasted)                                       # its vocabulary sizes the model
    w = encode_weights([p.detach().numpy() for p in t.model.parameters()])
    text.send(type="link", fields={"n_layer": "1", "n_head": "2", "n_embd": "8", "block_size": "8", "seed": "5"},
              weights=w, text=encode_text(pasted)[0])
    m = text.wait("text", lambda m: m["custom"])
    assert m["text"] == pasted and m["link_text"] == encode_text(pasted)[0]
    n = sum(p.numel() for p in t.model.parameters())
    f = text.wait("frame", lambda m: "params" in m["data"] and m["data"]["params"].size == n)
    np.testing.assert_array_equal(f["data"]["params"], np.concatenate([p.detach().numpy().ravel()
                                                                        for p in t.model.parameters()]))
    text.send(type="link", fields={"text_omitted": "31000", "n_layer": "1"})
    err = text.wait("error", lambda m: "too long for a link" in m["message"])
    assert err["link"] and "31,000 characters" in err["message"] and "Train on this text" in err["message"]
    text.send(type="link", fields={}, text="%%%")
    err = text.wait("error", lambda m: "text=" in m["message"])
    assert "trains on its text instead" in err["message"]


def test_playing_streams_frames_and_a_divergence_leaves_a_lasting_banner(text, server):
    text.send(type="play")
    f = text.wait("frame", lambda m: m["step"] > 10)
    assert f["playing"]
    text.request(type="pause")
    trainer = server.registry.sessions[text.hello["session"]].trainer
    with glassnet.no_grad():
        trainer.model.lm_head.bias[0] = float("nan")
    text.send(type="step", n=1)
    h = text.wait("health", lambda m: m["diverged"] is not None)
    assert "lm_head.bias" in h["diverged"]["message"] and "inf/NaN" in h["diverged"]["message"]


# -- the attention maps go out only when they changed --------------------------------------------

def _frame_for(t, page):
    """A frame drawn for a page that holds ``page`` ({array: version}); (frame, what it then holds)."""
    t.page_arrays = page
    f = decode_arrays(t.frame(playing=True))
    return f, t.frame_arrays


def test_a_frame_leaves_out_the_attention_maps_the_page_already_has():
    t = TextTrainer(SMALL)
    t.record_every = 3600.0                        # a crowd: the recording is reused between frames
    first, page = _frame_for(t, {})
    assert [a[0] for a in first["arrays"]] == ["attention"] and first["kept"] == []
    t.train_step()
    same, page = _frame_for(t, page)               # no new recording: the maps are not sent again
    assert same["arrays"] == [] and same["kept"] == ["attention"] and same["nf"] == 0
    assert same["step"] == 1 and same["recorded_step"] == first["recorded_step"] == 0
    assert len(t.frame(playing=True)) < 2000 < 32 * 1024     # (a frame without them: the header only)
    t.set_cursor(700)                              # a new window: recorded and sent at once
    moved, page = _frame_for(t, page)
    assert [a[0] for a in moved["arrays"]] == ["attention"] and moved["kept"] == []
    assert moved["window"]["start"] == 700 - t.T
    np.testing.assert_array_equal(moved["data"]["attention"], t.attention_maps(independent_recording(t)[0]))
    t.record_every = 0.0                           # a new recording of a trained step: new maps
    t.train_step()
    stepped, page = _frame_for(t, page)
    assert [a[0] for a in stepped["arrays"]] == ["attention"] and stepped["recorded_step"] == 2
    assert not np.array_equal(stepped["data"]["attention"], moved["data"]["attention"])
    # a recording with the same weights (paused: every frame records) is not sent again
    again, page = _frame_for(t, page)
    assert again["arrays"] == [] and again["kept"] == ["attention"]
    # a page that holds nothing (a new connection's) gets everything
    fresh, _ = _frame_for(t, {})
    np.testing.assert_array_equal(fresh["data"]["attention"], stepped["data"]["attention"])


def test_the_bigram_parameters_go_out_when_they_change_and_the_maps_come_back_new():
    t = TextTrainer(TextConfig(model="bigram", learning_rate=0.1))
    f, page = _frame_for(t, {})
    assert [a[0] for a in f["arrays"]] == ["params"]
    f, page = _frame_for(t, page)                  # paused, unchanged: kept
    assert f["arrays"] == [] and f["kept"] == ["params"]
    t.train_step()
    f, page = _frame_for(t, page)
    assert [a[0] for a in f["arrays"]] == ["params"]
    np.testing.assert_array_equal(f["data"]["params"], t.model.token_embedding_table.weight.detach().numpy().ravel())
    # back to a GPT with the seed's weights: maps that equal ones sent long ago are still sent (the page
    # dropped them with the bigram's frames)
    t.apply({"model": "gpt", "n_layer": 1, "n_head": 2, "n_embd": 8, "block_size": 8})
    g, page = _frame_for(t, page)
    assert "attention" in dict(g["arrays"]) and g["kept"] == []
    t.apply({"model": "bigram"})
    b, page = _frame_for(t, page)
    assert [a[0] for a in b["arrays"]] == ["params"] and b["kept"] == []
    t.apply({"model": "gpt"})
    g2, page = _frame_for(t, page)
    assert "attention" in dict(g2["arrays"]) and g2["kept"] == []
    np.testing.assert_array_equal(g2["data"]["attention"], g["data"]["attention"])


def test_a_frame_replaced_in_the_slot_never_counts_as_held_by_the_page():
    from glassnet.playground.text_session import TextSession
    s = TextSession()
    s.trainer = TextTrainer(SMALL)
    s.trainer.record_scale = 0.0                   # (the session sets record_every from it)
    s._publish_frame()
    assert [a[0] for a in decode_arrays(s._frame)["arrays"]] == ["attention"]
    s._publish_frame()                             # replaces the first, never sent: the maps again
    assert [a[0] for a in decode_arrays(s._frame)["arrays"]] == ["attention"]
    [blob] = [m for m in s.take() if isinstance(m, bytes)]
    s._publish_frame()                             # the page has them now: left out
    assert decode_arrays(s._frame)["kept"] == ["attention"]
    s.trainer.train_step()
    s._publish_frame()                             # new maps (a step), in the slot
    assert [a[0] for a in decode_arrays(s._frame)["arrays"]] == ["attention"]
    s._publish_frame()                             # the same maps (same weights), but the page never got them
    f = decode_arrays(s._frame)
    assert [a[0] for a in f["arrays"]] == ["attention"] and f["kept"] == []


def test_with_kept_fills_a_frame_from_the_one_before():
    from glassnet.playground.frames import with_kept
    t = TextTrainer(SMALL)
    t.record_every = 3600.0
    a, page = _frame_for(t, {})
    b, _ = _frame_for(t, page)
    full = with_kept(b, with_kept(a, None))
    assert b["data"] == {} and full["data"]["attention"] is a["data"]["attention"]
