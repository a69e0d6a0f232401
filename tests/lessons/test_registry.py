"""glassnet.lessons: the registry, and the result object every renderer reads."""
import json

import pytest

from glassnet import lessons
from glassnet.lessons.result import Check, LessonResult, Table


def test_names_in_tour_order_and_described():
    assert lessons.names() == ["dose", "diagonal-flip", "xor-linear", "xor-from-scratch",
                               "xor-worked-example", "spiral", "debug-checklist", "cnn-digits",
                               "gpt"]
    assert all(lessons.describe(n) for n in lessons.names())


def test_unknown_lesson_is_a_value_error_naming_the_lessons():
    with pytest.raises(ValueError, match="unknown lesson 'nope'.*dose"):
        lessons.run("nope")


def test_result_to_dict_is_json_ready():
    result = lessons.run("xor-worked-example", figures=False)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["name"] == "xor-worked-example" and data["tables"] and data["claims"]


def test_table_rows_must_match_columns_and_checks_have_known_status():
    with pytest.raises(ValueError, match="2 cells but there are 3 columns"):
        Table("t", ["a", "b", "c"], [[1, 2]])
    with pytest.raises(ValueError, match="status"):
        Check("x", "maybe", "1")
    assert LessonResult("n", "t", "s", "summary").seconds == 0.0
