"""Every renderer on both seed examples: Markdown and LaTeX as text, HTML in Jupyter's
``_repr_html_``, JSON against its schema."""
import json
import re
from html.parser import HTMLParser

import pytest

from glassnet.explain import render, schema, validate
from glassnet.explain.render.latex import math_to_latex, text_to_latex

FLIP_ENTRY = ["layer1.weight[2, 0]"]
XOR_ENTRY = ["hidden.weight[0, 0]"]


@pytest.fixture(params=["flip_exact", "flip_f32", "xor"])
def case(request):
    step = request.getfixturevalue(request.param)
    return step, (XOR_ENTRY if request.param == "xor" else FLIP_ENTRY)


def test_text_shows_the_tables_and_the_derivation(flip_exact):
    text = flip_exact.to_text(FLIP_ENTRY)
    assert "Forward pass, per layer and unit" in text and "dead (z ≤ 0)" in text
    assert "∂L/∂layer1.weight[2, 0] = ∂L/∂h₂ · relu′(z₂) · x₀ = 0.44 · 1 · 1 = 0.44" in text
    assert "12 of 31 parameters changed" in text
    assert "0.7257526444625" in text and "−19.0 %" in text
    assert "\x1b[" not in text          # plain text, no colour codes


def test_markdown(flip_exact, xor):
    md = flip_exact.to_markdown(FLIP_ENTRY)
    assert md.startswith("# Seed 002")
    assert "## Forward pass" in md and "## Derivations" in md and "## Checking the seed" in md
    assert "| layer | unit | z (pre-activation) | activation | a | status |" in md
    assert "| layer1 | 2 | 0.5 | relu | 0.5 | alive |" in md
    assert "| layer2.weight[0, 2] | 0.2 | −0.225 | −0.0225 | 0.0225 | 0.2225 | yes |" in md
    assert "```text\n∂L/∂L = 1\n" in md
    assert "| loss after (code output) | 0.7268 | 0.7257526444625 | differs |" in md
    table_rows = [ln for ln in md.splitlines() if ln.startswith("| ")]
    for ln in table_rows:       # every row of a table has as many cells as its header
        assert ln.count(" | ") == ln.replace("\\|", "").count(" | ")
    xmd = xor.to_markdown(XOR_ENTRY)
    assert "| hidden | 0 | 2.5 | σ | 0.9241 | σ′ = 0.0701 |" in xmd
    assert "rounded an intermediate before multiplying" in xmd


def test_latex(flip_exact, xor):
    tex = flip_exact.to_latex(FLIP_ENTRY)
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert r"\begin{tabular}{llllll}" in tex
    assert (r"\partial L/\partial \texttt{layer1.weight}[2, 0] &= \partial L/\partial h_{2} \cdot  "
            r"\mathrm{relu}'(z_{2}) \cdot  x_{0}") in tex
    assert r"&= 0.44 \cdot  1 \cdot  1" in tex
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}")
    assert tex.count("{") == tex.count("}") + tex.count(r"\{") - tex.count(r"\}")
    body = re.sub(r"\$[^$]*\$", "", tex)                 # outside inline math ...
    assert not re.search(r"(?<!\\)_", re.sub(r"\\begin\{align\*\}.*?\\end\{align\*\}", "", body,
                                              flags=re.S))   # ... every underscore is escaped
    xtex = xor.to_latex(XOR_ENTRY)
    assert r"z_{\mathrm{out}}" in xtex and r"\hat{y}" in xtex and r"\sigma '" in xtex


def test_latex_translation():
    assert math_to_latex("∂L/∂z₂ = 0.44 · 1") == r"\partial L/\partial z_{2} = 0.44 \cdot  1"
    assert text_to_latex("ŷ₃ = −0.25 (50 %)") == r"$\hat{y}_{3}$ = $-$0.25 (50 \%)"


class _Balanced(HTMLParser):
    VOID = {"br", "hr", "img", "meta", "input"}

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()


def test_html_displays_in_jupyter(case):
    step, _ = case
    html = step._repr_html_()
    parser = _Balanced()
    parser.feed(html)
    assert parser.stack == []
    assert '<div class="glassnet-explain">' in html and "<table>" in html
    pytest.importorskip("IPython", reason="IPython is needed to run Jupyter's formatter")
    from IPython.core.formatters import DisplayFormatter
    shown, _ = DisplayFormatter().format(step)   # what Jupyter sends to the notebook for `step`
    assert shown["text/html"] == html


def test_json_version_1_validates_against_its_schema(case):
    step, entries = case
    doc = json.loads(step.to_json(entries, version=1))
    validate(doc)
    assert doc["schema"] == "glassnet.explain/1"
    assert doc["layers"] and all(n["z"] is not None for ly in doc["layers"] for n in ly["neurons"])
    assert doc["derivations"][0]["entry"] == entries[0]
    assert all(op["backward"] is not None for op in doc["ops"])


def test_json_version_1_numbers_of_seed_002(flip_exact):
    doc = flip_exact.to_dict(FLIP_ENTRY, version=1)
    layer1 = doc["layers"][0]
    assert [n["status"] for n in layer1["neurons"]] == ["dead", "dead", "alive"]
    assert layer1["neurons"][2]["grad_z"] == 0.44
    edge = next(e for e in doc["layers"][1]["edges"] if (e["from"], e["to"]) == (2, 0))
    assert edge == {"from": 2, "to": 0, "weight": 0.2, "grad": -0.225, "update": 0.0225, "new": 0.2225}
    assert doc["effect"]["exact"] == {"loss_before": "717/800", "loss_after": "58060211557/80000000000"}
    assert doc["update_summary"]["changed"] == 12


def test_schema_rejects_a_wrong_version(flip_f32):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates the JSON output")
    doc = flip_f32.to_dict(version=1)
    doc["schema"] = "glassnet.explain/2"          # a /1 document under the /2 name
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
    doc = flip_f32.to_dict(version=2)
    doc["schema"] = "glassnet.explain/1"          # and the other way round
    with pytest.raises(jsonschema.ValidationError):
        validate(doc)
    assert schema(1)["properties"]["schema"]["const"] == "glassnet.explain/1"
    assert schema()["properties"]["schema"]["const"] == "glassnet.explain/2"


def test_render_rejects_unknown_formats(flip_f32):
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        render(flip_f32, "pdf")
