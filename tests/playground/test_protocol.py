"""Every message from the page is validated; what does not fit is refused with a readable reason."""
import json

import pytest

from glassnet.playground import protocol as P


@pytest.mark.parametrize("msg, cls", [
    ({"type": "play"}, P.PlayMsg),
    ({"type": "step", "n": 5, "id": 3}, P.StepMsg),
    ({"type": "set", "config": {"hidden": [8, 8], "features": ["x2", "x1"]}}, P.SetMsg),
    ({"type": "set_weight", "layer": 0, "row": 1, "col": None, "value": -2.5}, P.SetWeightMsg),
    ({"type": "explain", "split": "test", "index": 0}, P.ExplainMsg),
    ({"type": "preset", "name": "xor_step"}, P.PresetMsg),
    ({"type": "upload_csv", "name": "a.csv", "text": "1,2,0"}, P.UploadCsvMsg),
    ({"type": "got_frame"}, P.GotFrameMsg),
])
def test_valid_messages_parse_to_their_model(msg, cls):
    assert isinstance(P.parse_client_message(json.dumps(msg)), cls)


def test_features_come_back_in_canonical_order():
    m = P.parse_client_message(json.dumps({"type": "set", "config": {"features": ["sin(x2)", "x1"]}}))
    assert m.config.features == ["x1", "sin(x2)"]


@pytest.mark.parametrize("text, fragment", [
    ("not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"type": "fly"}', "unknown message type"),
    ('{"no_type": 1}', "unknown message type"),
    ('{"type": "step", "n": 0}', "greater than or equal to 1"),
    ('{"type": "step", "n": 100000}', "less than or equal to 1000"),
    ('{"type": "play", "extra": 1}', "Extra inputs"),
    ('{"type": "set", "config": {"hidden": [1, 2, 3, 4, 5, 6, 7]}}', "at most 6"),
    ('{"type": "set", "config": {"hidden": [9]}}', "less than or equal to 8"),
    ('{"type": "set", "config": {"features": ["x3"]}}', "unknown feature"),
    ('{"type": "set", "config": {"features": []}}', "at least 1"),
    ('{"type": "set", "config": {"learning_rate": -1}}', "greater than 0"),
    ('{"type": "set", "config": {"activation": "softmax"}}', "activation"),
    ('{"type": "set_weight", "layer": 0, "row": 0, "col": 0, "value": 1e300}', "less than or equal to 1000"),
    ('{"type": "set_weight", "layer": 0, "row": 0, "col": 0, "value": NaN}', "value"),
    ('{"type": "explain", "index": -1}', "index"),
    ('{"type": "set", "config": {"n_points": 5000}}', "less than or equal to 2000"),
])
def test_invalid_messages_are_refused_with_a_reason(text, fragment):
    with pytest.raises(P.ProtocolError) as err:
        P.parse_client_message(text)
    assert fragment in str(err.value)


def test_oversized_and_binary_messages_are_refused():
    with pytest.raises(P.ProtocolError, match="over the limit"):
        P.parse_client_message('{"type": "upload_csv", "text": "' + "1" * (P.LIMITS.max_message_bytes + 1) + '"}')
    with pytest.raises(P.ProtocolError, match="binary"):
        P.parse_client_message(b'{"type": "play"}')
    with pytest.raises(P.ProtocolError, match="upload_csv"):
        P.parse_client_message(json.dumps({"type": "upload_csv", "text": "x" * (P.LIMITS.max_upload_bytes + 1)}))


def test_config_cross_checks_problem_data_set_and_loss():
    with pytest.raises(P.ProtocolError, match="does not fit a regression"):
        P.Config(problem="regression", dataset="spiral", loss="mse").check()
    with pytest.raises(P.ProtocolError, match="loss 'bce' does not fit"):
        P.Config(problem="regression", dataset="plane", loss="bce").check()
    P.Config(problem="regression", dataset="bump", loss="l1").check()
