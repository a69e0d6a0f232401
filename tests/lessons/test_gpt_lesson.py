"""Lesson gpt: "Let's build GPT" shrunk, on a generated text; the bigram floor against attention."""
import hashlib
import math

import numpy as np
import pytest

import glassnet as torch
from glassnet import lessons
from glassnet.lessons import gpt
from glassnet.lessons.gpt_text import make_text


@pytest.fixture(scope="module")
def result():
    return lessons.run("gpt", quick=True)


def test_quick_run_trains_four_models(result):
    n = result.numbers
    assert n["vocab_size"] == 27 and n["train_chars"] + n["val_chars"] == n["characters"]
    assert n["steps"] == {"bigram": 300, "one head": 200, "four heads": 200, "GPT": 200}
    assert n["parameters"]["bigram"] == 27 * 27
    for h in n["histories"].values():
        assert h["step"][0] == 0 and len(h["step"]) == len(h["train"]) == len(h["val"])
        assert h["val"][-1] < h["val"][0]                      # every model learned something
    assert [c.status for c in result.checks] == ["pass", "pass"] and result.claims[0].holds


def test_the_bigram_floor_is_the_entropy_of_the_counted_table(result):
    text = make_text().text
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    n = result.numbers["train_chars"]
    pairs = np.stack([ids[:n - 1], ids[1:n]], 1)
    table, counts = np.unique(pairs, axis=0, return_counts=True)
    row_totals = {a: counts[table[:, 0] == a].sum() for a in np.unique(table[:, 0])}
    expected = -sum(c * math.log(c / row_totals[a]) for (a, _), c in zip(table, counts)) / counts.sum()
    assert result.numbers["bigram_floor"] == pytest.approx(expected, rel=1e-12)
    # a deterministic text has no entropy; a uniform one has log V
    assert gpt.bigram_entropy(np.array([0, 1, 2, 0, 1, 2, 0]), 3) == pytest.approx(0.0)
    assert gpt.bigram_entropy(np.array([0, 0, 1, 1, 0]), 2) == pytest.approx(math.log(2))


def test_what_the_numbers_say_holds_on_any_machine(result):
    n = result.numbers
    # no bigram can score below the val pairs' own table entropy (float32 losses: a little slack)
    assert n["bigram_val_loss"] >= n["val_bigram_floor"] - 1e-4
    assert n["bigram_val_loss"] - n["bigram_floor"] < 0.2           # trained to its floor
    # attention reads back: far below the floor even after 200 steps (measured about 0.6 vs 1.65)
    assert n["gpt_val_loss"] < n["bigram_floor"] - 0.4
    assert n["gpt_val_loss"] < n["four_heads_val_loss"] < n["bigram_val_loss"]
    assert n["source_entropy"] < n["gpt_val_loss"]
    assert n["copied_loss"]["GPT"] < n["copied_loss"]["bigram"] - 0.3
    assert f"{n['gpt_val_loss']:.3f}" in result.summary and f"{n['bigram_floor']:.3f}" in result.summary


def test_generated_text_uses_only_the_vocabulary(result):
    vocabulary = set(make_text().text)
    n = result.numbers
    for key in ("generated_before", "generated_after", "generated_bigram"):
        assert len(n[key]) == gpt.GENERATED and set(n[key]) <= vocabulary
    assert n["generated_before"] != n["generated_after"]


def test_attention_weights_are_causal_rows_of_probabilities(result):
    torch.manual_seed(0)
    model = gpt.build("GPT", 27)
    weights = gpt.attention_weights(model, torch.randint(27, (1, 12)))
    assert weights.shape == (2, 4, 12, 12)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
    assert np.all(np.triu(weights, k=1) == 0)
    assert gpt.look_back(np.eye(5)[None, None]).tolist() == [[0.0]]
    layer, head = result.numbers["attention_head"]
    assert result.numbers["look_back"][layer][head] == max(map(max, result.numbers["look_back"]))


def test_figures_written(result, tmp_path):
    assert [f.name for f in result.figures] == ["losses", "attention", "attention_heads"]
    paths = result.save_figures(tmp_path, formats=("png",))
    assert len(paths) == 3 and all(p.stat().st_size > 5000 for p in paths)


def test_the_text_is_the_same_everywhere_and_its_information_is_counted():
    dialogues = make_text()
    # only random.Random(seed).random() is used, whose sequence Python guarantees
    assert hashlib.sha256(dialogues.text.encode()).hexdigest()[:16] == "d3a02cd048fc9789"
    assert dialogues.copied.shape == (len(dialogues.text),)
    copied = "".join(c if m else "|" for c, m in zip(dialogues.text, dialogues.copied))
    first = [s for s in copied.split("|") if s][0]
    assert len(first.split(" ")) == 2 and first in dialogues.text.split("\n")[0]
    # one exchange: the kind's probability, two names, adjective, noun, and the kind's own choices
    for seed in range(6):
        one = make_text(1, seed)
        kind = ("where" if "where" in one.text else "saw" if "saw" in one.text else "who")
        extra = {"where": math.log(4 * 8), "saw": math.log(3), "who": math.log(8)}[kind]
        p = {"where": 0.5, "saw": 0.3, "who": 0.2}[kind]
        assert one.nats == pytest.approx(-math.log(p) + math.log(8 * 7 * 8 * 10) + extra)


def test_answers_counts_questions_answered_by_repeating():
    text = ("ada: where is the red fox?\nbob: the red fox is by the pond.\n"
            "cy: i saw a big cat.\ndot: a small cat? no.\n"
            "eve: who has the purple cow?\nfay: gus has the purple cow.\n")
    assert gpt.answers(text) == (2, 1)


def test_one_training_step_matches_torch():
    pytest.importorskip("torch")
    from glassnet.bridge import to_torch
    import torch as real
    torch.manual_seed(0)
    model = gpt.build("GPT", 27)
    text = make_text(40).text
    data = torch.tensor(gpt.Vocabulary(make_text().text).encode(text))
    xb, yb = gpt.get_batch(data)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    theirs = to_torch(model)
    their_optimizer = real.optim.AdamW(theirs.parameters(), lr=3e-3)
    _, loss = model(xb, yb)
    _, their_loss = theirs(real.tensor(xb.numpy()), real.tensor(yb.numpy()))
    assert loss.item() == pytest.approx(their_loss.item(), rel=1e-5)
    loss.backward()
    their_loss.backward()
    ours = dict(model.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours[name].grad.numpy(), p.grad.numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    optimizer.step()
    their_optimizer.step()
    # Adam's first step moves each weight by about lr·g/(|g| + eps): for a gradient near eps
    # (1e-8) float32's differences in g show in the step, so the tolerance is 1 % of lr
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(ours[name].detach().numpy(), p.detach().numpy(), rtol=1e-5,
                                   atol=3e-5, err_msg=name)
