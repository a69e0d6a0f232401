"""How much of the torch API real programs use glassnet has (issue 25): the list and its sources
are in ``coverage_names.py``; the figure is reported here and must not drop below ``FLOOR``
(raise the floor when names are added), and the page quotes it."""
import re
from pathlib import Path

from .coverage_names import READ, all_names, coverage, program_names, status

#: the figure when this test was last raised; a change that loses names fails here
FLOOR = 0.963
DOC = Path(__file__).resolve().parents[2] / "docs" / "torch-compatibility.md"


def test_the_list_is_broad_and_every_name_has_a_source():
    names = all_names()
    assert len(names) > 250 and len(READ) >= 6 and len(program_names()) > 100
    assert all(sources for sources in names.values())


def test_glassnet_has_at_least_the_recorded_fraction_of_the_names(capsys):
    fraction, groups = coverage()
    with capsys.disabled():
        print(f"\ntorch names used by real programs: glassnet has {len(groups['has'])} of "
              f"{sum(map(len, groups.values()))} ({fraction:.1%}); refused with one line: "
              f"{', '.join(groups['refused'])}; missing: {', '.join(groups['missing'])}")
    assert fraction >= FLOOR, f"coverage fell to {fraction:.1%}; missing now: {groups['missing']}"


def test_the_page_shows_the_current_figure_and_every_missing_name():
    fraction, groups = coverage()
    text = DOC.read_text()
    shown = re.search(r"glassnet has (\d+) of (\d+) \(([\d.]+)%\)", text)
    assert shown, "docs/torch-compatibility.md must state the coverage figure"
    assert (int(shown[1]), int(shown[2])) == (len(groups["has"]), sum(map(len, groups.values())))
    section = text.split("## Coverage", 1)[1]
    for name in groups["missing"] + groups["refused"]:
        assert f"`{name}`" in section, f"{name} is missing from the page's coverage section"


def test_a_name_is_had_refused_or_missing():
    assert status("nn.Linear") == "has" and status("Tensor.index_fill_") == "has"
    assert status("float16") == "refused" and status("onnx.export") == "refused"
    assert status("fft.rfft") == "missing"
