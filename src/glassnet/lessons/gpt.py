"""Lesson ``gpt``: "Let's build GPT" (Karpathy's ``gpt.py``), shrunk to about a minute on a CPU.

The text is 700 short dialogues written by a seeded grammar (``gpt_text``: no internet here to
fetch Tiny Shakespeare, and a generated text has a known entropy); its 26 characters are the
vocabulary, the first 90 % trains and the last 10 % is held out (val).  Four models are trained
the video's way, each with AdamW for a fixed number of steps on random batches of 16 windows of
32 characters, from ``glassnet.manual_seed``:

1. ``BigramLanguageModel``: the next character's logits are a row of a table;
2. one self-attention head (``AttentionLM``, ``n_head=1``): each position reads earlier ones;
3. four heads side by side (``AttentionLM``, ``n_head=4``);
4. the GPT: two blocks of four heads plus a feed-forward, residuals and LayerNorm
   (``GPT(GPTConfig(...))``, the issue's tiny GPT).

Then the numbers: the lowest loss any bigram model can reach (the entropy of the bigram table,
counted with NumPy), what the trained bigram reaches, what attention reaches, and the text's own
information per character under the grammar, which no model can beat.  The attention map of a
trained head and text generated before and after training show what the difference is made of.
"""
from __future__ import annotations

import re
import time

import numpy as np

import glassnet as torch
from glassnet.nn import functional as F

from .gpt_model import GPT, AttentionLM, BigramLanguageModel, GPTConfig
from .gpt_text import ADJECTIVES, NOUNS, make_text
from .result import Check, Claim, FigureEntry, LessonResult, Table, timed

TITLE = "Let's build GPT, shrunk: a bigram, attention heads, then blocks"
SEED = "issue 22 (sequence models and attention): Karpathy's \"Let's build GPT\" (gpt.py), on a CPU"

BATCH_SIZE, BLOCK_SIZE = 16, 32
# name → (steps of the full lesson, steps with quick=True, AdamW learning rate)
MODELS = {
    "bigram": (1000, 300, 1e-1),
    "one head": (1000, 200, 1e-2),
    "four heads": (1000, 200, 1e-2),
    "GPT": (2500, 200, 3e-3),
}
EVALS = 10                    # loss measurements per model, besides the one before training
GENERATED = 400               # characters generated before and after training


# -- data ----------------------------------------------------------------------------------------

class Vocabulary:
    """The characters of a text, each given an integer (its place in sorted order)."""

    def __init__(self, text: str):
        self.chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))

    def __len__(self):
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        return [self.stoi[c] for c in s]

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)


def get_batch(data, batch_size: int = BATCH_SIZE, block_size: int = BLOCK_SIZE):
    """``batch_size`` random windows of ``data`` (inputs) and the same shifted by one (targets)."""
    ix = torch.randint(len(data) - block_size, (batch_size,)).tolist()
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


def chunks(data, block_size: int = BLOCK_SIZE, count: int | None = None):
    """Non-overlapping windows covering ``data`` (or ``count`` of them, evenly spaced): the fixed
    sets the losses are measured on, so every measurement sees the same characters."""
    n = (len(data) - 1) // block_size
    starts = np.arange(n) * block_size
    if count is not None and count < n:
        starts = starts[np.linspace(0, n - 1, count).astype(int)]
    x = torch.stack([data[int(i):int(i) + block_size] for i in starts])
    y = torch.stack([data[int(i) + 1:int(i) + block_size + 1] for i in starts])
    return x, y


def bigram_entropy(ids: np.ndarray, vocab_size: int) -> float:
    """The entropy of the next character given the current one, from the counts of ``ids``'s
    consecutive pairs: ``-Σ N[a,b]/N · log(N[a,b]/N[a])``.  It is the loss of the best bigram
    model for exactly these pairs (the counts, normalised per row), so no bigram model can score
    lower on them."""
    counts = np.zeros((vocab_size, vocab_size))
    np.add.at(counts, (ids[:-1], ids[1:]), 1)
    rows = counts.sum(1, keepdims=True)
    seen = counts > 0
    return float(-(counts[seen] * np.log((counts / np.maximum(rows, 1))[seen])).sum() / counts.sum())


# -- training ------------------------------------------------------------------------------------

@torch.no_grad()
def estimate_loss(model, sets: dict) -> dict:
    """The mean loss on each fixed set of windows, in eval mode."""
    model.eval()
    out = {name: model(x, y)[1].item() for name, (x, y) in sets.items()}
    model.train()
    return out


def train(model, train_data, sets: dict, steps: int, lr: float, evals: int = EVALS) -> dict:
    """AdamW for ``steps`` steps on random batches; the losses measured ``evals`` times (and at
    step 0).  Returns the history: steps, train and val losses."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    every = max(1, steps // evals)
    history = {"step": [], "train": [], "val": []}
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            losses = estimate_loss(model, sets)
            history["step"].append(step)
            history["train"].append(losses["train"])
            history["val"].append(losses["val"])
        if step == steps:
            break
        xb, yb = get_batch(train_data)
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return history


def build(name: str, vocab_size: int):
    if name == "bigram":
        return BigramLanguageModel(vocab_size)
    if name == "one head":
        return AttentionLM(GPTConfig(vocab_size=vocab_size, n_head=1, n_embd=32))
    if name == "four heads":
        return AttentionLM(GPTConfig(vocab_size=vocab_size, n_head=4, n_embd=32))
    return GPT(GPTConfig(vocab_size=vocab_size))


@torch.no_grad()
def char_losses(model, x, y) -> np.ndarray:
    """The loss of each target character of the windows ``x`` → ``y``, shape (windows, T)."""
    model.eval()
    logits, _ = model(x)
    B, T, C = logits.shape
    losses = F.cross_entropy(logits.view(B * T, C), y.view(B * T), reduction="none")
    model.train()
    return losses.numpy().reshape(B, T)


def generate(model, vocab: Vocabulary, seed: int, length: int = GENERATED) -> str:
    """``length`` characters sampled from ``model`` after a newline, with ``torch.multinomial``
    drawing from ``glassnet.manual_seed(seed)``'s stream."""
    torch.manual_seed(seed)
    context = torch.tensor([vocab.encode("\n")])
    return vocab.decode(model.generate(context, max_new_tokens=length)[0].tolist()[1:])


# -- looking inside ------------------------------------------------------------------------------

@torch.no_grad()
def attention_weights(model: GPT, idx) -> np.ndarray:
    """Every head's weights for the sequence ``idx`` (1, T): shape (layers, heads, T, T), read by
    a forward hook on each head that asks it for its weights on the input it was given."""
    found = []
    hooks = [head.register_forward_hook(lambda head, args, out: found.append(head.weights(args[0])))
             for block in model.blocks for head in block.sa.heads]
    model.eval()
    try:
        model(idx)
    finally:
        for hook in hooks:
            hook.remove()
        model.train()
    n_layer, n_head = model.config.n_layer, model.config.n_head
    return np.stack([w.numpy()[0] for w in found]).reshape(n_layer, n_head, *found[0].shape[1:])


def look_back(weights: np.ndarray) -> np.ndarray:
    """How far back each head reads on average: Σ_j p[i, j]·(i − j), averaged over the rows i."""
    T = weights.shape[-1]
    distance = np.arange(T)[:, None] - np.arange(T)[None, :]
    return (weights * np.maximum(distance, 0)).sum(-1).mean(-1)


_QUESTION = re.compile(r"^\w+: (?:where is the|i saw a|who has the) (\w+) (\w+)[?.]$")


def answers(text: str) -> tuple[int, int]:
    """In generated dialogue: how many well-formed questions (known adjective and noun) are
    followed by a line, and in how many of those the line repeats the question's adjective and
    noun, as every answer of the grammar does."""
    lines = text.split("\n")
    asked = repeated = 0
    for question, answer in zip(lines, lines[1:]):
        match = _QUESTION.match(question)
        if not match or match[1] not in ADJECTIVES or match[2] not in NOUNS:
            continue
        asked += 1
        repeated += re.search(rf"(?:the|a) {match[1]} {match[2]}\b", answer.split(":", 1)[-1]) is not None
    return asked, repeated


def _copy_position(dialogues, start: int, width: int = BLOCK_SIZE) -> int:
    """The end (exclusive) of the first repeated "adjective noun" at or after ``start`` whose
    question is inside the ``width`` characters that end there, so one window shows both."""
    copied, text = dialogues.copied, dialogues.text
    while True:
        first = start + int(np.argmax(copied[start:]))
        end = first + int(np.argmin(copied[first:]))
        if text.find(text[first:end], end - width, first) >= 0:
            return end
        start = end


# -- the lesson ----------------------------------------------------------------------------------

@timed
def run(seed: int = 0, quick: bool = False, figures: bool = True) -> LessonResult:
    """Train the bigram, one head, four heads and the GPT on the dialogues, and compare them.

    Parameters
    ----------
    seed : int
        ``glassnet.manual_seed`` for each model's initialisation and batches (the text is fixed).
    quick : bool
        A few hundred steps per model instead of the lesson's 1,000–2,500 (for tests: seconds).
    """
    dialogues = make_text()
    vocab = Vocabulary(dialogues.text)
    ids = np.array(vocab.encode(dialogues.text))
    data = torch.tensor(ids, dtype=torch.long)
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]
    val_windows = chunks(val_data)
    sets = {"train": chunks(train_data, count=len(val_windows[0])), "val": val_windows}
    covered = len(val_windows[0]) * BLOCK_SIZE                  # the val pairs the losses see
    floor = bigram_entropy(ids[:n], len(vocab))
    val_floor = bigram_entropy(ids[n:n + covered + 1], len(vocab))
    source = dialogues.nats_per_char
    val_copied = dialogues.copied[n + 1:n + covered + 1].reshape(-1, BLOCK_SIZE)

    histories, models, seconds, before = {}, {}, {}, None
    for name, (full, short, lr) in MODELS.items():
        torch.manual_seed(seed)
        model = build(name, len(vocab))
        if name == "GPT":
            before = generate(model, vocab, seed)
        start = time.perf_counter()
        histories[name] = train(model, train_data, sets, short if quick else full, lr)
        seconds[name] = time.perf_counter() - start
        models[name] = model
    gpt = models["GPT"]
    after = generate(gpt, vocab, seed)
    bigram_text = generate(models["bigram"], vocab, seed)
    val = {name: h["val"][-1] for name, h in histories.items()}
    per_char = {name: char_losses(models[name], *val_windows) for name in ("bigram", "GPT")}
    on_copies = {name: float(losses[val_copied].mean()) for name, losses in per_char.items()}
    elsewhere = {name: float(losses[~val_copied].mean()) for name, losses in per_char.items()}
    asked_gpt, repeated_gpt = answers(after)
    asked_bigram, repeated_bigram = answers(bigram_text)

    # the attention of the trained GPT on a val window that ends with a repeated "adjective noun"
    end = _copy_position(dialogues, n + 200)
    sample = dialogues.text[end - BLOCK_SIZE:end]
    weights = attention_weights(gpt, torch.tensor([vocab.encode(sample)]))
    reach = look_back(weights)
    layer, head = np.unravel_index(int(reach.argmax()), reach.shape)

    params = {name: sum(p.numel() for p in m.parameters()) for name, m in models.items()}
    steps = {name: histories[name]["step"][-1] for name in MODELS}
    numbers = {
        "characters": len(dialogues.text), "vocab_size": len(vocab), "train_chars": n,
        "val_chars": len(ids) - n, "seed": seed, "quick": quick, "steps": steps,
        "parameters": params, "seconds": seconds,
        "bigram_floor": floor, "val_bigram_floor": val_floor, "source_entropy": source,
        "bigram_val_loss": val["bigram"], "one_head_val_loss": val["one head"],
        "four_heads_val_loss": val["four heads"], "gpt_val_loss": val["GPT"],
        "gpt_train_loss": histories["GPT"]["train"][-1],
        "below_floor": floor - val["GPT"],
        "copied_loss": on_copies, "other_loss": elsewhere,
        "gpt_answers": [asked_gpt, repeated_gpt], "bigram_answers": [asked_bigram, repeated_bigram],
        "generated_before": before, "generated_after": after, "generated_bigram": bigram_text,
        "attention_sample": sample, "attention_head": [int(layer), int(head)],
        "look_back": reach.tolist(), "histories": histories,
    }
    sections = _sections(numbers, vocab)
    tables = [
        Table("Four models, one text", ["model", "parameters", "steps", "AdamW lr", "train loss",
                                        "val loss", "seconds"],
              [[name, params[name], steps[name], MODELS[name][2],
                f"{histories[name]['train'][-1]:.4f}", f"{val[name]:.4f}", f"{seconds[name]:.1f}"]
               for name in MODELS],
              caption=f"Losses in nats per character on fixed windows of {BLOCK_SIZE}; batches of "
                      f"{BATCH_SIZE}; seed {seed}."),
        Table("What the numbers say", ["quantity", "nats per character"],
              [["bigram floor: entropy of the train bigram table (NumPy counts)", f"{floor:.4f}"],
               ["  the same for the val pairs (no bigram can score lower on val)", f"{val_floor:.4f}"],
               ["trained bigram, val loss", f"{val['bigram']:.4f}"],
               ["one head, val loss", f"{val['one head']:.4f}"],
               ["four heads, val loss", f"{val['four heads']:.4f}"],
               ["GPT, val loss", f"{val['GPT']:.4f}"],
               ["the text's own information under the grammar", f"{source:.4f}"]]),
        Table("Where the GPT gains", ["val characters", "count", "bigram loss", "GPT loss"],
              [["repeating the question's adjective and noun", int(val_copied.sum()),
                f"{on_copies['bigram']:.3f}", f"{on_copies['GPT']:.3f}"],
               ["all the others", int((~val_copied).sum()), f"{elsewhere['bigram']:.3f}",
                f"{elsewhere['GPT']:.3f}"]]),
    ]
    claims = [Claim("Attention beats the bigram model's loss floor",
                    f"GPT val loss {val['GPT']:.3f} against the bigram floor {floor:.3f}",
                    val["GPT"] < floor)]
    checks = [
        Check("the trained bigram is at its floor", "pass" if val["bigram"] >= val_floor - 1e-4
              and val["bigram"] - floor < 0.1 else "warn",
              f"{val['bigram']:.4f} vs {floor:.4f}",
              "a bigram cannot score below the val table's entropy; trained well, it gets close"),
        Check("the GPT does not beat the text's own information", "pass"
              if val["GPT"] > source else "fail", f"{val['GPT']:.4f} > {source:.4f}",
              "no model can, on average, over enough text"),
    ]
    output = [f"vocab {len(vocab)} characters, {n} train / {len(ids) - n} val",
              *(f"{name}: {params[name]:,} parameters, {steps[name]} steps, val loss "
                f"{val[name]:.4f} ({seconds[name]:.1f} s)" for name in MODELS),
              f"bigram floor {floor:.4f}, text's own information {source:.4f}",
              "", "GPT before training:", *before.split("\n")[:4],
              "", "GPT after training:", *after.split("\n")[:8],
              "", "bigram after training:", *bigram_text.split("\n")[:4]]
    figs = _figures(histories, floor, source, weights, sample, (layer, head)) if figures else []
    return LessonResult(
        name="gpt", title=TITLE, seed=SEED,
        summary=(f"On {len(dialogues.text):,} characters of generated dialogue, the best any "
                 f"bigram model can do is {floor:.3f} nats per character (the entropy of the "
                 f"bigram table) and the trained bigram reaches {val['bigram']:.3f} on val; one "
                 f"attention head reaches {val['one head']:.3f}, four {val['four heads']:.3f}, "
                 f"the two-block GPT {val['GPT']:.3f}, against the text's own "
                 f"{source:.3f}. Its answers repeat what was asked: it reads back."),
        numbers=numbers, output=output, sections=sections, tables=tables, figures=figs,
        claims=claims, checks=checks)


def _sections(n: dict, vocab: Vocabulary) -> list:
    val_gain = n["bigram_val_loss"] - n["gpt_val_loss"]
    asked, repeated = n["gpt_answers"]
    b_asked, b_repeated = n["bigram_answers"]
    layer, head = n["attention_head"]
    shown = "".join(vocab.chars).replace("\n", "⏎").replace(" ", "␣")
    return [
        ("The text",
         f"{n['characters']:,} characters of short dialogues from a seeded grammar (glassnet/"
         f"lessons/gpt_text.py: there is no internet here for Tiny Shakespeare, and a generated "
         f"text's information is known exactly). Its {n['vocab_size']} characters ({shown}) are "
         f"the vocabulary. Every answer repeats the question's adjective and noun: \"eve: where "
         f"is the red fox?\" is answered \"bob: the red fox is by the pond.\" Which of eight "
         f"adjectives follows the answer's \"the \" cannot be told from the character before it; "
         f"it can be read a dozen characters back."),
        ("Four models",
         "The bigram model looks up the next character's logits in a table row: it sees one "
         "character. The attention models add a position embedding and a head: each position "
         "makes a query, every earlier position a key and a value, and the softmax of the "
         "scaled query·key products (the future masked to −∞) weighs the values it reads. Four "
         "heads read four different things side by side. The GPT stacks two blocks of four heads "
         "and a feed-forward layer, each around a residual connection, after a LayerNorm."),
        ("What the numbers say",
         f"No bigram model can beat {n['bigram_floor']:.3f} nats per character on this text: "
         f"that is the entropy of the next character given the current one, counted from the "
         f"training pairs, and the count table itself is the best bigram. The trained bigram "
         f"reaches {n['bigram_val_loss']:.3f} on val (the val pairs' own floor is "
         f"{n['val_bigram_floor']:.3f}): it has learned all a bigram can. The GPT reaches "
         f"{n['gpt_val_loss']:.3f}, {val_gain:.3f} nats per character lower, a factor "
         f"e^{val_gain:.2f} = {np.exp(val_gain):.1f} in how sure it is of the right character "
         f"on average (the geometric mean). That gap is what the earlier characters tell, which "
         f"only attention can read. The text's own information under its grammar is "
         f"{n['source_entropy']:.3f} nats per character: what is left is genuinely random "
         f"(names, places, which question), plus the first characters of each window, which "
         f"have little to read back."),
        ("Where the gain is",
         f"On the val characters that repeat the question's adjective and noun the bigram's loss "
         f"is {n['copied_loss']['bigram']:.3f} and the GPT's {n['copied_loss']['GPT']:.3f}; on "
         f"all the others {n['other_loss']['bigram']:.3f} and {n['other_loss']['GPT']:.3f}. "
         f"In {GENERATED} generated characters, {repeated} of the GPT's {asked} well-formed "
         f"questions get an answer that repeats them; the bigram writes {b_asked} well-formed "
         f"question{'s' if b_asked != 1 else ''} ({b_repeated} answered so)."),
        ("Inside a head",
         f"The attention map is layer {layer + 1}, head {head + 1}'s weights on a val window "
         f"ending in a repeated adjective and noun: row t is how much position t reads each "
         f"earlier position (the future is masked, never read). It is the head that reads "
         f"furthest back on this window ({n['look_back'][layer][head]:.1f} positions on "
         f"average); the grid shows all {len(n['look_back']) * len(n['look_back'][0])} heads."),
    ]


def _figures(histories, floor, source, weights, sample, chosen):
    from glassnet import viz
    layer, head = chosen
    runs = {name: (h["step"], h["train"], h["val"]) for name, h in histories.items()}
    n_layer, n_head = weights.shape[:2]
    return [
        FigureEntry("losses", "Train (solid) and val (dashed) loss of the four models against "
                    "the bigram floor and the text's own information.",
                    viz.loss_curves(runs, levels={"bigram floor": floor, "text's information": source},
                                    title="Bigram, one head, four heads, GPT")),
        FigureEntry("attention", f"Layer {layer + 1}, head {head + 1} of the trained GPT on a val "
                    "window: row = the position reading, column = the position read; light "
                    "grey: masked (the future).",
                    viz.attention_map(weights[layer, head], list(sample),
                                      title=f"GPT layer {layer + 1}, head {head + 1}")),
        FigureEntry("attention_heads", "Every head of the trained GPT on the same window.",
                    viz.attention_maps(weights, np.triu(np.ones(weights.shape[-2:], dtype=bool), k=1),
                                       row_labels=[f"layer {i + 1}" for i in range(n_layer)],
                                       col_labels=[f"head {j + 1}" for j in range(n_head)],
                                       title="All heads")),
    ]
