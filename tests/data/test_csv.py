"""load_csv: a user's own file, with errors that name the line and the column."""
import io

import numpy as np
import pytest

import glassnet
from glassnet.data.datasets import load_csv


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_numeric_file_gives_float32_features_and_column_target(tmp_path):
    path = _write(tmp_path, "x1,x2,label\n0.5,1,0\n-2,3e-1,1\n\n4,5,1\n")
    X, y = load_csv(path, target="label")
    assert X.dtype == glassnet.float32 and X.shape == (3, 2)
    assert X.tolist() == [[0.5, 1.0], [-2.0, np.float32(0.3)], [4.0, 5.0]]
    assert y.dtype == glassnet.float32 and y.tolist() == [[0.0], [1.0], [1.0]]


def test_features_pick_and_order_the_columns(tmp_path):
    path = _write(tmp_path, "a,b,c,t\n1,2,3,9\n4,5,6,8\n")
    X, y = load_csv(str(path), target="t", features=["c", "a"])
    assert X.tolist() == [[3.0, 1.0], [6.0, 4.0]]
    assert y.tolist() == [[9.0], [8.0]]


def test_text_labels_map_to_sorted_int64_classes(tmp_path):
    path = _write(tmp_path, "w,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n")
    X, y, classes = load_csv(path, target="species", return_classes=True)
    assert classes == ["setosa", "versicolor", "virginica"]
    assert y.dtype == glassnet.int64 and y.shape == (4,)
    assert y.tolist() == [2, 0, 1, 0]
    assert [classes[i] for i in y.tolist()] == ["virginica", "setosa", "versicolor", "setosa"]
    _, _, numeric_classes = load_csv(_write(tmp_path, "a,t\n1,0\n", "n.csv"), target="t",
                                     return_classes=True)
    assert numeric_classes is None


def test_reads_file_objects_other_delimiters_and_a_byte_order_mark(tmp_path):
    X, y = load_csv(io.StringIO("a;t\n1;2\n"), target="t", delimiter=";")
    assert X.tolist() == [[1.0]] and y.tolist() == [[2.0]]
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffa,t\n1,0\n".encode("utf-8"))
    assert load_csv(path, target="t")[0].tolist() == [[1.0]]


def test_missing_target_column_lists_the_available_columns(tmp_path):
    path = _write(tmp_path, "x1,x2,label\n1,2,0\n")
    with pytest.raises(ValueError, match=r"no column named 'target'; the columns are \['x1', 'x2', 'label'\]"):
        load_csv(path, target="target")


def test_missing_feature_column_lists_the_available_columns(tmp_path):
    path = _write(tmp_path, "x1,x2,label\n1,2,0\n")
    with pytest.raises(ValueError, match=r"no column named 'x3'.*\['x1', 'x2', 'label'\]"):
        load_csv(path, target="label", features=["x1", "x3"])
    with pytest.raises(ValueError, match="also listed in features"):
        load_csv(path, target="label", features=["x1", "label"])


@pytest.mark.parametrize("cell", ["", "  ", "nan", "NaN"])
def test_empty_or_nan_cell_is_an_error_naming_line_and_column(tmp_path, cell):
    path = _write(tmp_path, f"x1,x2,label\n1,2,0\n3,{cell},1\n")
    with pytest.raises(ValueError, match=r"line 3, column 'x2'.*Missing values are not allowed"):
        load_csv(path, target="label")


def test_non_numeric_cell_is_an_error_naming_line_column_and_value(tmp_path):
    path = _write(tmp_path, "x1,x2,label\n1,2,0\n3,4,1\nfive,6,0\n")
    with pytest.raises(ValueError, match=r"line 4, column 'x1': 'five' is not a number"):
        load_csv(path, target="label")


def test_infinite_or_float32_overflowing_cell_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"line 2, column 'a': 'inf' is not a finite number"):
        load_csv(_write(tmp_path, "a,t\ninf,0\n"), target="t")
    with pytest.raises(ValueError, match=r"line 2, column 'a': '1e39' is too large for float32"):
        load_csv(_write(tmp_path, "a,t\n1e39,0\n", "big.csv"), target="t")


@pytest.mark.parametrize("row, got", [("3,4", 2), ("3,4,1,9", 4)])
def test_ragged_row_is_an_error_naming_the_line(tmp_path, row, got):
    path = _write(tmp_path, f"x1,x2,label\n1,2,0\n\n{row}\n")
    with pytest.raises(ValueError, match=rf"line 4: expected 3 cells .*got {got}"):
        load_csv(path, target="label")


def test_empty_or_nan_target_cell_is_an_error(tmp_path):
    with pytest.raises(ValueError, match=r"line 3, column 'label': the target cell is empty"):
        load_csv(_write(tmp_path, "x,label\n1,a\n2,\n"), target="label")
    with pytest.raises(ValueError, match=r"line 2, column 'label'.*missing value"):
        load_csv(_write(tmp_path, "x,label\n1,nan\n2,1\n", "nan.csv"), target="label")


def test_target_mixing_numbers_and_text_is_an_error_pointing_at_both(tmp_path):
    path = _write(tmp_path, "x,label\n1,0\n2,1\n3,l\n")
    with pytest.raises(ValueError, match=r"mixes numbers \(line 2: '0'\) and text \(line 4: 'l'\)"):
        load_csv(path, target="label")


def test_header_problems_and_empty_files_are_reported(tmp_path):
    with pytest.raises(ValueError, match="is empty"):
        load_csv(_write(tmp_path, ""), target="t")
    with pytest.raises(ValueError, match="no data rows"):
        load_csv(_write(tmp_path, "a,t\n", "h.csv"), target="t")
    with pytest.raises(ValueError, match="'a' appears twice"):
        load_csv(_write(tmp_path, "a,a,t\n1,2,3\n", "d.csv"), target="t")
    with pytest.raises(ValueError, match="column 2 of the header has no name"):
        load_csv(_write(tmp_path, "a,,t\n1,2,3\n", "e.csv"), target="t")


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "nope.csv", target="t")


def test_load_csv_arrays_are_load_csvs_values_never_made_tensors(tmp_path):
    from glassnet.data.csv_file import load_csv_arrays
    path = _write(tmp_path, "a;b;kind\n1;2;cat\n3;4.5;dog\n5;6;cat\n")
    X, y, classes = load_csv(path, target="kind", delimiter=";", return_classes=True)
    Xa, ya, names = load_csv_arrays(path, "kind", delimiter=";")
    assert type(Xa) is np.ndarray and type(ya) is np.ndarray and names == classes == ["cat", "dog"]
    np.testing.assert_array_equal(Xa, X.numpy())
    np.testing.assert_array_equal(ya, y.numpy())
    assert (Xa.dtype, ya.dtype) == (np.float32, np.int64)
    with pytest.raises(ValueError, match="line 3, column 'b'"):
        load_csv_arrays(_write(tmp_path, "a,b,t\n1,2,0\n3,,1\n", "bad.csv"), "t")


def test_read_features_reads_named_columns_of_a_file_without_target(tmp_path):
    from glassnet.data.csv_file import read_features
    path = _write(tmp_path, "x2,x1\n1,2\n3,4\n")
    X = read_features(path, ["x1", "x2"])
    assert X.dtype == np.float32 and X.tolist() == [[2.0, 1.0], [4.0, 3.0]]
    with pytest.raises(ValueError, match=r"no column named 'x3'; the model needs \['x1', 'x3'\]"):
        read_features(path, ["x1", "x3"])
    with pytest.raises(ValueError, match="line 2, column 'x1'"):
        read_features(_write(tmp_path, "x1\nnan\n", "nan.csv"), ["x1"])
