"""Unit tests of vae/data/: presets, the CSV reader's sniffing and validation, round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.memory import peak_bytes
from vae.config import DataConfig
from vae.data import csv_reader
from vae.data.build import build_dataset, load_csv
from vae.data.csv_reader import Table, check_size, read_table
from vae.data.dataset import DataError, Dataset, rescale, to_csv_bytes
from vae.data.presets import PRESETS, from_points, generate


def load(text: str | bytes, **kwargs) -> Dataset:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return load_csv(raw, name="t.csv", **kwargs)


def error_of(text: str | bytes, **kwargs) -> DataError:
    with pytest.raises(DataError) as info:
        load(text, **kwargs)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return info.value


# --- presets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", [p for p in PRESETS if p != "digits"])
def test_every_2d_preset_is_seeded_finite_and_labelled(preset):
    config = DataConfig(preset=preset, n_samples=500, noise=PRESETS[preset].noise, seed=3)
    a, b = generate(config), generate(config)
    other = generate(config.replace(seed=4))
    assert a.values.shape == (500, 2) and a.columns == ("x1", "x2")
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, other.values)
    assert np.isfinite(a.values).all()
    assert a.labels is not None and len(a.labels) == 500 and len(np.unique(a.labels)) >= 2
    assert a.name == PRESETS[preset].title


def test_at_least_eight_2d_presets_and_digits():
    assert len([p for p, s in PRESETS.items() if s.n_dims == 2]) >= 8
    assert PRESETS["digits"].n_dims == 64


def test_preset_parameter_sets_the_number_of_groups():
    for preset, k in (("blobs", 6), ("ring", 5), ("spirals", 3), ("pinwheel", 7)):
        ds = generate(DataConfig(preset=preset, n_samples=3000, noise=0.1, params={"k": k}))
        assert len(np.unique(ds.labels)) == k, preset


def test_ring_centres_lie_on_radius_four():
    ds = generate(DataConfig(preset="ring", n_samples=4000, noise=0.0, params={"k": 8}))
    np.testing.assert_allclose(np.hypot(ds.values[:, 0], ds.values[:, 1]), 4.0, atol=1e-9)
    assert len(np.unique(np.round(np.arctan2(ds.values[:, 1], ds.values[:, 0]), 6))) == 8


def test_checkerboard_points_sit_on_dark_squares():
    ds = generate(DataConfig(preset="checkerboard", n_samples=2000, noise=0.0))
    squares = (np.floor(ds.values[:, 0]) + np.floor(ds.values[:, 1])) % 2
    assert (squares == 0).all() and (np.abs(ds.values) <= 2).all()


def test_two_moons_matches_scikit_learn():
    from sklearn.datasets import make_moons

    ds = generate(DataConfig(preset="two_moons", n_samples=300, noise=0.1, seed=7))
    x, y = make_moons(n_samples=300, noise=0.1, random_state=7)
    np.testing.assert_array_equal(ds.values, x)
    np.testing.assert_array_equal(ds.labels, y)


def test_digits_preset_has_64_pixel_columns():
    ds = generate(DataConfig(preset="digits", n_samples=1797, noise=0.0))
    assert ds.values.shape == (1797, 64) and ds.columns[0] == "px00" and ds.columns[-1] == "px77"
    assert ds.values.min() == 0 and ds.values.max() == 16
    assert sorted(np.unique(ds.labels)) == list(range(10))
    sub = generate(DataConfig(preset="digits", n_samples=100, noise=0.0))
    assert sub.values.shape == (100, 64)


def test_preset_limits_raise_data_error():
    with pytest.raises(DataError, match="at most 200,000"):
        generate(DataConfig(preset="two_moons", n_samples=200_001))
    with pytest.raises(DataError, match="Unknown preset"):
        generate(DataConfig(preset="nope"))
    with pytest.raises(DataError, match=r"\[1, 12\]"):
        generate(DataConfig(preset="blobs", params={"k": 0}))


# --- standardization ------------------------------------------------------------------------------


@pytest.mark.parametrize("scaling", ["zscore", "minmax", "none"])
def test_standardizer_round_trips_and_scales(scaling):
    ds = load("a,b\n1,10\n2,30\n3,50\n4,70\n", scaling=scaling)
    z = ds.standardized()
    assert z.dtype == np.float32
    np.testing.assert_allclose(ds.standardizer.inverse_transform(z), ds.values, rtol=1e-6)
    if scaling == "zscore":
        np.testing.assert_allclose(z.mean(0), 0, atol=1e-6)
        np.testing.assert_allclose(z.std(0), 1, atol=1e-6)
    elif scaling == "minmax":
        np.testing.assert_allclose(z.min(0), 0) and np.testing.assert_allclose(z.max(0), 1)
    else:
        np.testing.assert_array_equal(z, ds.values.astype(np.float32))


def test_rescale_keeps_values_and_changes_the_standardizer():
    ds = load("a,b\n1,10\n2,30\n3,50\n")
    mm = rescale(ds, "minmax")
    np.testing.assert_array_equal(mm.values, ds.values)
    assert mm.config.scaling == "minmax" and mm.standardizer.method == "minmax"
    np.testing.assert_allclose(mm.standardizer.offset, [1, 10])


# --- CSV: good files ------------------------------------------------------------------------------


def test_plain_csv_uses_every_numeric_column():
    ds = load("name,a,b,c\np,1,2,3\nq,4,5,6\nr,7,8,9\n")
    assert ds.columns == ("a", "b", "c") and ds.labels is None  # 3 names in 3 rows: not classes
    np.testing.assert_array_equal(ds.values, [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert ds.config.source == "upload" and ds.config.columns == ("a", "b", "c") and ds.name == "t.csv"
    assert ds.notes[0] == "Modelling 'a', 'b', 'c' on all 3 rows."


def test_columns_and_label_column_are_honoured():
    ds = load("a,b,c,kind\n1,2,3,x\n4,5,7,y\n7,8,9,x\n", columns=["c", "a"], label_column="kind")
    assert ds.columns == ("c", "a")
    np.testing.assert_array_equal(ds.values[:, 0], [3, 7, 9])
    assert list(ds.labels) == ["x", "y", "x"]


def test_tsv_without_header_gets_generated_names():
    ds = load("1\t2\n3\t4\n5\t7\n")
    assert ds.columns == ("x1", "x2") and ds.n_rows == 3
    assert any("No header" in w for w in ds.warnings)


def test_semicolon_delimiter_with_decimal_comma():
    ds = load("a;b\n1,5;2\n3;4,25\n-0,5;1e3\n")
    np.testing.assert_array_equal(ds.values, [[1.5, 2], [3, 4.25], [-0.5, 1000]])


def test_quoted_numbers_with_thousands_separators():
    ds = load('a,b\n"1,234.5",2\n"2,000",3\n5,"-1,000,000"\n')
    np.testing.assert_array_equal(ds.values, [[1234.5, 2], [2000, 3], [5, -1e6]])


def test_utf8_bom_is_not_part_of_the_first_column_name():
    ds = load("\ufeffa,b\n1,2\n3,4\n".encode())
    assert ds.columns == ("a", "b")


def test_latin1_file_is_read_with_a_warning():
    ds = load("café,naïve\n1,2\n3,4\n".encode("latin-1"))
    assert ds.columns == ("café", "naïve")
    assert any("Latin-1" in w for w in ds.warnings)


def test_duplicate_column_names_are_renamed_with_a_warning():
    ds = load("a,a,b\n1,2,3\n4,5,6\n")
    assert ds.columns == ("a", "a (2)", "b")
    np.testing.assert_array_equal(ds.values, [[1, 2, 3], [4, 5, 6]])
    assert any("appears more than once" in n for n in ds.notes)  # renamed, nothing lost: a note


def test_rows_with_missing_nan_inf_or_text_are_dropped_and_reported_by_line():
    ds = load("a,b\n1,2\n,3\nnan,4\ninf,5\n6,oops\n8,9\n10,11\n")
    np.testing.assert_array_equal(ds.values, [[1, 2], [8, 9], [10, 11]])
    (warning,) = [w for w in ds.warnings if w.startswith("Dropped")]
    assert "Dropped 4 row(s)" in warning and "infinite" in warning and "missing" in warning
    assert "line(s) 3, 4, 5, 6)" in warning


def test_blank_lines_do_not_count_as_rows_and_line_numbers_stay_true():
    ds = load("a,b\n1,2\n\n3,4\n5,x\n7,8\n")
    assert ds.n_rows == 3
    assert any("line(s) 5)" in w for w in ds.warnings)


def test_subsample_of_too_many_rows_is_seeded():
    text = "a,b\n" + "".join(f"{i},{i * 2 % 7}\n" for i in range(50))
    err = error_of(text, max_rows=20)
    assert err.kind == "too_many_rows" and "50 rows" in str(err) and "20" in str(err)
    a = load(text, max_rows=20, subsample_seed=1)
    b = load(text, max_rows=20, subsample_seed=1)
    assert a.n_rows == 20
    np.testing.assert_array_equal(a.values, b.values)
    assert any("subsample" in w for w in a.warnings)


def test_download_round_trips_through_upload_unchanged():
    ds = generate(DataConfig(preset="spirals", n_samples=400, noise=0.3, seed=2, params={"k": 3}))
    back = load_csv(to_csv_bytes(ds), columns=list(ds.columns), label_column="label")
    np.testing.assert_array_equal(back.values, ds.values)  # bit for bit
    np.testing.assert_array_equal(back.labels.astype(int), ds.labels)
    np.testing.assert_array_equal(back.standardizer.offset, ds.standardizer.offset)
    upload = load("x,y,kind\n0.1,2,p\n0.30000000000000004,1e-300,q\n", label_column="kind")
    again = load_csv(to_csv_bytes(upload), label_column="kind")
    np.testing.assert_array_equal(again.values, upload.values)
    assert list(again.labels) == ["p", "q"] and again.columns == ("x", "y")


def test_default_label_is_a_column_named_label():
    table = read_table(b"x1,x2,label\n1,2,0\n3,4,1\n5,6,1\n")
    assert table.roles().modelled == ("x1", "x2") and table.roles().label == "label"


def test_from_points_builds_a_drawn_dataset():
    ds = from_points([[0, 0], [1, 2], [2, 1]], "minmax")
    assert ds.config.source == "drawn" and ds.columns == ("x", "y") and ds.n_rows == 3
    with pytest.raises(DataError, match="at least 2"):
        from_points([[1, 1]])
    with pytest.raises(DataError, match="constant"):
        from_points([[1, 1], [1, 2]])


def test_reads_a_path(tmp_path):
    path = tmp_path / "pts.csv"
    pd.DataFrame({"u": [1.0, 2.0, 3.0], "v": [3.0, 1.0, 2.0]}).to_csv(path, index=False)
    ds = load_csv(path, columns=["v", "u"])
    assert ds.columns == ("v", "u") and ds.name == "pts.csv"
    with pytest.raises(DataError, match="Cannot read"):
        load_csv(tmp_path / "missing.csv")


# --- CSV: bad files -------------------------------------------------------------------------------


def wide_csv(
    n_columns: int, name: str = "column_{}", sep: str = ",", decimal: str = ".", rows: int = 3
) -> bytes:
    """A CSV of ``n_columns`` numeric columns: its header alone may outgrow the 64 KB sniffing sample."""
    rng = np.random.default_rng(0)
    lines = [sep.join(name.format(j) for j in range(n_columns))]
    lines += [
        sep.join(f"{v:.4f}".replace(".", decimal) for v in rng.normal(size=n_columns)) for _ in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


BAD = {
    "10000_columns": (
        wide_csv(10_000),
        "too_many_columns",
        "has 10,000 columns; Latent Lab reads at most 4,096",
    ),
    "empty": (b"", "empty", "is empty"),
    "whitespace": (b"  \n\n", "empty", "is empty"),
    "header_only": (b"a,b\n", "no_rows", "no data rows"),
    "one_row": (b"a,b\n1,2\n", "one_row", "only 1 data row"),
    "one_numeric": (b"a,b\n1,x\n2,y\n3,z\n", "one_numeric", "only one numeric column ('a')"),
    "no_numeric": (b"a,b\nx,y\nz,w\n", "no_numeric", "no numeric columns"),
    "all_nan": (b"a,b\nnan,1\nnan,2\n", "all_dropped", "nothing is left"),
    "constant": (b"a,b\n1,2\n1,3\n1,4\n", "constant", "Column 'a' is constant"),
    "huge_1e30": (b"a,b\n1,2\n1e30,3\n4,5\n", "too_large_values", "up to 1e+30"),
    "beyond_float32": (b"a,b\n1,2\n5e38,3\n4,5\n", "too_large_values", "beyond float32"),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "binary", "Excel workbook"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "binary", "Excel workbook"),
    "nul_bytes": (b"a,b\n1,2\x00\n3,4\n", "binary", "NUL bytes"),
    "utf16": ("a,b\n1,2\n".encode("utf-16"), "binary", "UTF-16"),
    "ragged": (b"a,b\n1,2\n3,4,5\n6,7\n", "parse", "Expected 2 fields in line 3"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_raise_one_line_data_errors(case):
    raw, kind, text = BAD[case]
    err = error_of(raw)
    assert err.kind == kind, str(err)
    assert text in str(err)
    assert isinstance(err, ValueError)


@pytest.mark.parametrize("source", ["bytes", "path"])
def test_a_header_longer_than_the_sniffing_sample_is_read_whole(source, tmp_path):
    """4,096 columns of long names: a 127 KB header, semicolons and decimal commas."""
    raw = wide_csv(4096, name="measurement_{:04d}_of_the_sensor", sep=";", decimal=",")
    assert raw.index(b"\n") > 64 * 1024
    if source == "path":
        (tmp_path / "wide.csv").write_bytes(raw)
    table = read_table(raw if source == "bytes" else tmp_path / "wide.csv")
    assert len(table.columns) == len(table.numeric) == 4096 and table.n_rows == 3
    assert table.columns[-1] == "measurement_4095_of_the_sensor"
    assert (table.delimiter, table.decimal, table.has_header) == (";", ",", True)
    expected = np.random.default_rng(0).normal(size=(3, 4096)).round(4)
    np.testing.assert_allclose(table.frame.to_numpy(np.float64), expected, atol=1e-12)


def test_a_first_line_with_no_end_is_refused():
    err = error_of(b"a" * (5 * 2**20) + b"\n1\n2\n")
    assert err.kind == "parse" and "first line longer than 4 MB" in str(err)


def test_file_over_the_size_limit():
    err = error_of(b"a,b\n1,2\n3,4\n", max_bytes=8)
    assert err.kind == "too_large" and "upload limit" in str(err)
    with pytest.raises(DataError, match=r"150\.0 MB, over the 100 MB"):
        check_size(150 * 2**20, "big.csv")
    check_size(100 * 2**20)  # exactly at the limit is fine


def test_more_than_a_million_rows_is_refused_without_a_subsample():
    table = Table(
        frame=pd.DataFrame({"a": np.arange(1_000_001.0), "b": np.arange(1_000_001.0) % 7}),
        numeric=("a", "b"),
        delimiter=",",
        decimal=".",
        encoding="utf-8",
        has_header=True,
        first_line=2,
        name="big.csv",
    )
    with pytest.raises(DataError, match="1,000,001 rows, more than the 1,000,000 limit") as info:
        build_dataset(table)
    assert info.value.kind == "too_many_rows"
    ds = build_dataset(table, subsample_seed=0)
    assert ds.n_rows == 1_000_000 and len(np.unique(ds.values[:, 0])) == 1_000_000


def test_bad_column_choices():
    assert "not numeric" in str(error_of("a,b,c\n1,2,x\n3,4,y\n", columns=["a", "c"]))
    assert "No column named 'z'" in str(error_of("a,b\n1,2\n3,4\n", columns=["a", "z"]))
    assert "at least 2 different" in str(error_of("a,b\n1,2\n3,4\n", columns=["a"]))
    assert "No label column" in str(error_of("a,b\n1,2\n3,4\n", label_column="q"))


def test_bench_parse_quick_reports_a_ratio():
    from bench.data import bench_parse

    result = bench_parse(quick=True)
    assert result["parse_rows"] == 100_000
    assert result["parse_s"] > 0 and result["read_csv_s"] > 0
    assert result["parse_vs_read_csv"] == pytest.approx(result["parse_s"] / result["read_csv_s"], rel=0.02)


# --- memory --------------------------------------------------------------------------------------


def labelled_csv(n_rows: int, long_label: int = 0) -> bytes:
    """x, y and a label a/b/c; row 7's label is ``long_label`` characters long if given."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n_rows, 2)).round(3)
    labels = np.array(["a", "b", "c"], dtype=object)[rng.integers(0, 3, n_rows)]
    if long_label:
        labels[7] = "L" * long_label
    return ("x,y,label\n" + "".join(f"{a},{b},{c}\n" for (a, b), c in zip(x, labels, strict=True))).encode()


@pytest.mark.slow
def test_a_long_label_costs_its_length_not_rows_times_its_length():
    """50,000 rows and one 2,000-character label: fixed-width NumPy strings cost 50,000 x 2,000 x 4
    bytes (400 MB) per copy; kept as Python strings it costs about its own length."""

    def load_and_write(raw: bytes):
        dataset = load_csv(raw, label_column="label")
        assert dataset.labels[7] in ("a", "b", "c", "L" * 2000)
        to_csv_bytes(dataset)

    plain, long = labelled_csv(50_000), labelled_csv(50_000, long_label=2000)
    plain_peak, long_peak = (
        peak_bytes(lambda: load_and_write(plain)),
        peak_bytes(lambda: load_and_write(long)),
    )
    # Measured: 18 x the file (a Python object per label, float text per value) with or without it.
    assert long_peak < 32 * len(long), (long_peak, len(long))
    assert long_peak < plain_peak + 2**20, (long_peak, plain_peak)


def test_running_out_of_memory_is_a_data_error(monkeypatch):
    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(csv_reader.pd, "read_csv", exhausted)
    err = error_of(labelled_csv(20))
    assert err.kind == "memory" and "ran out of memory" in str(err)


def test_drawn_points_with_two_classes_get_them_as_labels():
    ds = from_points([[0, 0, 0], [1, 2, 0], [2, 1, 1], [3, 3, 1]])
    assert ds.labels.tolist() == [0, 0, 1, 1] and ds.columns == ("x", "y")
    np.testing.assert_array_equal(ds.values, [[0, 0], [1, 2], [2, 1], [3, 3]])
    assert from_points([[0, 0, 2], [1, 2, 2]]).labels is None  # one class: nothing to colour
