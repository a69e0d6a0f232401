"""Reports render as text, Markdown, HTML and JSON; thresholds are tunable; the CLI's edges."""
import json

import pytest

from glassnet import doctor
from glassnet.cli import main
from glassnet.doctor import Finding, Report, Thresholds

GLASSNET_SCRIPT = '''
import glassnet as torch
import glassnet.nn as nn
torch.manual_seed(0)
X = torch.randn(256, 4)
y = (X[:, 0:1] > 0).float()
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
opt = torch.optim.Adam(model.parameters(), lr=0.01)
crit = nn.BCEWithLogitsLoss()
for epoch in range(300):
    {zero}
    loss = crit(model(X), y)
    loss.backward()
    opt.step()
'''


def _report():
    findings = [Finding("dead-relu", "warning", "12 of 16 units are dead.",
                        {"measured": 0.75, "measured_what": "fraction dead", "threshold": 0.5,
                         "comparison": "< "}, {"layer": "1", "step": 40}, "Lower the learning rate."),
                Finding("nan", "error", "NaN at step 3.", {"measured": 3, "threshold": None},
                        {"layer": "0", "step": 3, "line": 12}, "Check the inputs.")]
    return Report(findings, 40, "train.py", "torch", True, 1.5, ["nan", "dead-relu"])


def test_findings_are_ordered_by_severity_and_set_the_exit_code():
    report = _report()
    assert [f.id for f in report.findings] == ["nan", "dead-relu"]
    assert report.exit_code == 1
    assert Report([], 10).exit_code == 0
    with pytest.raises(ValueError, match="severity"):
        Finding("x", "fatal", "", {})


def test_every_format_carries_the_numbers():
    report = _report()
    text, md, html = report.to_text(), report.to_markdown(), report._repr_html_()
    for out in (text, md, html):
        assert "dead-relu" in out and "0.75" in out and "threshold" in out
    assert "line 12" in text and "**error** `nan`" in md and "<table>" in html
    data = json.loads(report.to_json())
    assert set(data) >= {"findings", "steps_observed"} and data["steps_observed"] == 40
    assert data["findings"][0] == {"id": "nan", "severity": "error", "message": "NaN at step 3.",
                                   "evidence": {"measured": 3, "threshold": None},
                                   "where": {"layer": "0", "step": 3, "line": 12},
                                   "fix": "Check the inputs."}
    with pytest.raises(ValueError, match="--format"):
        report.render("pdf")


def test_thresholds_parse_and_change_a_verdict():
    assert Thresholds.parse(["dead_fraction=0.8", "window=4"]).dead_fraction == 0.8
    with pytest.raises(ValueError, match="NAME=VALUE"):
        Thresholds.parse(["no_such=1"])
    with pytest.raises(ValueError, match="needs a number"):
        Thresholds.parse(["window=abc"])


@pytest.mark.parametrize("zero,expected", [("opt.zero_grad()", None), ("pass", "missing-zero-grad")])
def test_a_glassnet_script_is_observed_through_glassnet_hooks(tmp_path, zero, expected):
    script = tmp_path / "train_gn.py"
    script.write_text(GLASSNET_SCRIPT.format(zero=zero))
    report = doctor.diagnose_script(script, steps=60)
    assert report.engine == "glassnet" and report.steps_observed == 60 and report.stopped
    if expected is None:
        assert not report.errors, report.to_text()
    else:
        assert expected in report.ids("error")


def test_a_script_error_is_a_finding_with_its_line(tmp_path, capsys):
    script = tmp_path / "broken.py"
    script.write_text("x = 1\nraise RuntimeError('boom')\n")
    assert main(["doctor", str(script), "--format", "json"]) == 1
    finding = json.loads(capsys.readouterr().out)["findings"][0]
    assert finding["id"] == "script-error" and finding["where"]["line"] == 2


@pytest.mark.parametrize("argv,message", [
    (["doctor"], "either a SCRIPT.py"),
    (["doctor", "nope.py"], "no such script"),
    (["doctor", "--data", "spiral", "--format", "pdf"], "--format"),
    (["doctor", "--data", "nowhere"], "--data must be one of"),
    (["doctor", "--data", "xor", "--threshold", "bogus"], "NAME=VALUE"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet: error:") and message in err and err.count("\n") == 1


def test_doctor_on_the_train_options_prints_markdown(capsys):
    code = main(["doctor", "--data", "xor", "--steps", "30", "--no-probe", "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("**glassnet doctor: --data xor")


def test_script_arguments_reach_the_script(tmp_path, capsys):
    script = tmp_path / "args.py"
    script.write_text("import sys\nassert sys.argv[1:] == ['--epochs', '3'], sys.argv\n")
    main(["doctor", str(script), "--args", "--epochs 3", "--format", "json"])
    ids = {f["id"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "script-error" not in ids and "no-training" in ids       # ran, and trained nothing


def test_doctor_runs_without_torch():
    import subprocess
    import sys
    code = ("import sys\n"
            "class NoTorch:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name.split('.')[0] == 'torch':\n"
            "            raise ImportError('torch is blocked in this test')\n"
            "sys.meta_path.insert(0, NoTorch())\n"
            "import glassnet as gn, glassnet.nn as nn\n"
            "from glassnet import doctor\n"
            "gn.manual_seed(0); X = gn.randn(64, 2); y = (X[:, 0:1] > 0).float()\n"
            "m = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1), nn.Sigmoid())\n"
            "r = doctor.check(m, (X, y), nn.BCEWithLogitsLoss(), steps=20, probe=False)\n"
            "print(sorted(r.ids('error')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['loss-activation-mismatch']"
