"""Column roles (vae/data/columns.py) on iris-, wine- and penguins-like tables, label order, median fill."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vae.config import DataConfig
from vae.data import columns
from vae.data.build import build_dataset
from vae.data.csv_reader import read_table
from vae.data.presets import generate

WINE_COLUMNS = (
    "alcohol",
    "malic_acid",
    "ash",
    "alcalinity_of_ash",
    "magnesium",
    "total_phenols",
    "flavanoids",
    "nonflavanoid_phenols",
    "proanthocyanins",
    "color_intensity",
    "hue",
    "od280/od315_of_diluted_wines",
    "proline",
)


def iris_csv(n: int = 150, seed: int = 0) -> bytes:
    """Iris-like: 4 measurements, a text species, a numeric id, a date and a constant column."""
    rng = np.random.default_rng(seed)
    species = np.array(["setosa", "versicolor", "virginica"])[np.arange(n) % 3]
    frame = pd.DataFrame(
        {
            "Id": np.arange(1, n + 1),
            "sepal_length": rng.normal(5.8, 0.8, n).round(1),
            "sepal_width": rng.normal(3.0, 0.4, n).round(1),
            "petal_length": rng.normal(3.7, 1.7, n).round(1),
            "petal_width": rng.normal(1.2, 0.7, n).round(1),
            "measured_on": pd.date_range("1935-06-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "site": ["Gaspé"] * n,
            "species": species,
        }
    )
    return frame.to_csv(index=False).encode()


def wine_csv(n: int = 178, seed: int = 0, class_first: bool = True) -> bytes:
    """Wine-like: an integer class 1-3 and 13 numeric columns (two of them integer-valued)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {name: rng.normal(10 + j, 1 + j / 5, n).round(2) for j, name in enumerate(WINE_COLUMNS)}
    )
    frame["magnesium"] = rng.integers(70, 162, n)
    frame["proline"] = rng.integers(278, 1680, n)
    frame.insert(0 if class_first else len(frame.columns), "class", 1 + np.arange(n) % 3)
    return frame.to_csv(index=False).encode()


def penguins_csv(n: int = 120, seed: int = 0) -> bytes:
    """Penguins-like: 3 text columns (species, island, sex), 4 measurements with NA, a year."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "species": np.array(["Adelie", "Chinstrap", "Gentoo"])[rng.integers(0, 3, n)],
            "island": np.array(["Biscoe", "Dream", "Torgersen"])[rng.integers(0, 3, n)],
            "bill_length_mm": rng.normal(44, 5, n).round(1),
            "bill_depth_mm": rng.normal(17, 2, n).round(1),
            "flipper_length_mm": rng.integers(172, 231, n).astype(float),
            "body_mass_g": rng.integers(2700, 6300, n).astype(float),
            "sex": np.array(["male", "female"])[rng.integers(0, 2, n)],
            "year": 2007 + rng.integers(0, 3, n),
        }
    )
    frame.loc[[3, 40], ["bill_length_mm", "body_mass_g"]] = np.nan
    return frame.to_csv(index=False, na_rep="NA").encode()


def test_iris_models_the_four_measurements_and_proposes_species():
    table = read_table(iris_csv(), name="iris.csv")
    roles = table.roles()
    assert roles.modelled == ("sepal_length", "sepal_width", "petal_length", "petal_width")
    assert roles.label == "species"
    assert roles.left_out["Id"] == "an id (unique integers)"
    assert roles.left_out["measured_on"] == "dates"
    assert roles.left_out["site"] == "one value ('Gaspé') in every row"
    ds = build_dataset(table, label_column=roles.label)
    assert ds.n_dims == 4 and sorted(set(ds.labels)) == ["setosa", "versicolor", "virginica"]


def test_wine_models_13_columns_and_proposes_the_integer_class_shown_as_integers():
    for class_first in (True, False):
        table = read_table(wine_csv(class_first=class_first), name="wine.csv")
        roles = table.roles()
        assert roles.modelled == WINE_COLUMNS and roles.label == "class" and roles.left_out == {}
        ds = build_dataset(table, label_column=roles.label)
        assert ds.columns == WINE_COLUMNS and "class" not in ds.columns
        assert ds.labels.dtype.kind == "i" and columns.label_groups(ds.labels)[0] == ["1", "2", "3"]
        assert "label 'class' (colour only)" in ds.notes[0]


def test_picking_the_label_removes_it_from_the_modelled_columns_and_says_so():
    table = read_table(wine_csv())
    every_numeric = list(table.numeric)  # "Select all" includes the class
    assert "class" in every_numeric
    ds = build_dataset(table, every_numeric, label_column="class")
    assert ds.columns == WINE_COLUMNS
    assert any("'class' is the label, so it was removed from the modelled columns" in n for n in ds.notes)
    assert columns.split_label(["a", "b"], "c") == (("a", "b"), None)


def test_penguins_proposes_species_among_three_text_columns_and_drops_na_rows():
    table = read_table(penguins_csv(), name="penguins.csv")
    roles = table.roles()
    assert roles.label == "species"  # named like a class: wins over island and sex
    assert roles.modelled == ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year")
    assert roles.left_out == {"island": "text", "sex": "text"}
    ds = build_dataset(table, label_column="species")
    assert ds.n_rows == 118
    (dropped,) = ds.warnings
    assert dropped.startswith("Dropped 2 row(s) with missing") and "line(s) 5, 42)" in dropped


def test_median_fill_keeps_every_row_and_counts_the_cells():
    table = read_table(penguins_csv(), name="penguins.csv")
    frame = table.frame
    ds = build_dataset(table, label_column="species", missing="median")
    assert ds.n_rows == 120 and ds.warnings == () and ds.config.missing == "median"
    j = ds.columns.index("bill_length_mm")
    median = float(np.median(frame["bill_length_mm"].dropna()))
    assert ds.values[3, j] == median and ds.values[40, j] == median
    np.testing.assert_array_equal(np.delete(ds.values[:, j], [3, 40]), frame["bill_length_mm"].drop([3, 40]))
    (note,) = [n for n in ds.notes if n.startswith("Filled")]
    assert f"'bill_length_mm' (2 with {median:g})" in note and "'body_mass_g' (2 with" in note
    assert "bill_depth_mm" not in note  # nothing missing there
    # Infinite values are not "missing": their rows still go.
    inf = read_table(b"a,b\n1,2\n,3\ninf,4\n5,6\n")
    ds = build_dataset(inf, missing="median")
    np.testing.assert_array_equal(ds.values, [[1, 2], [3, 3], [5, 6]])
    assert any("Dropped 1 row(s) with infinite" in w for w in ds.warnings)


def test_labels_sort_naturally_and_integral_ones_read_as_integers():
    names, codes = columns.label_groups(np.array([10.0, 2.0, 0.0, 2.0, 13.0]))
    assert names == ["0", "2", "10", "13"] and codes.tolist() == [2, 1, 0, 1, 3]
    names, codes = columns.label_groups(np.array(["b10", "b2", "a", "B1"], dtype=object))
    assert names == ["a", "B1", "b2", "b10"] and [names[c] for c in codes] == ["b10", "b2", "a", "B1"]
    # The checkerboard's 16 squares: 0, 1, 2, ..., 15 (not 0, 1, 10, 11, ...).
    board = generate(DataConfig(preset="checkerboard", n_samples=4000))
    names, _ = columns.label_groups(board.labels)
    assert names == sorted(names, key=int) and names[:3] == ["0", "2", "5"]
    assert columns.integral_labels(np.array([0.0, 1.0, 2.0])).dtype.kind == "i"
    assert columns.integral_labels(np.array([0.5, 1.0])).dtype.kind == "f"


@pytest.mark.parametrize(
    ("csv", "label"),
    [
        (b"x,y,target\n1,2,0\n3,4,1\n5,6,0\n7,8,1\n", "target"),
        (b"x,y,y_hat\n1,2,0.1\n3,4,0.2\n5,6,0.3\n7,8,0.4\n", None),  # no label name, no text
        (b"x,y,label\n1,2,0.5\n3,4,1.5\n5,6,0.5\n7,8,1.5\n", None),  # not integers
        (b"x,y,kind\n1,2,p\n3,4,q\n5,6,p\n7,8,q\n", "kind"),
        (b"x,y,name\n1,2,p\n3,4,q\n5,6,r\n7,8,s\n", None),  # every value different: not classes
    ],
)
def test_label_proposals(csv, label):
    assert read_table(csv).roles().label == label


def test_ids_and_the_default_cap():
    table = read_table(b"row_id,x,y\n10,1,2\n11,3,1\n13,5,7\n")
    assert table.roles().left_out == {"row_id": "an id (unique integers)"}
    saved_index = read_table(b",x,y\n0,1,2\n1,3,1\n2,5,7\n")  # pandas' to_csv with its index
    assert saved_index.roles().modelled == ("x", "y")
    wide = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 70)), columns=[f"c{i}" for i in range(70)])
    roles = read_table(wide.to_csv(index=False).encode()).roles()
    assert len(roles.modelled) == columns.MAX_DEFAULT_COLUMNS == 64
    assert roles.notes == (
        "70 numeric columns: the first 64 are modelled by default (the limit for a default choice). "
        "Add or remove columns below.",
    )


def test_thousands_separators_are_one_calm_note_not_a_warning_per_column():
    csv = b'a,b,c\n"1,234.5","2,000","3,100"\n"5,678.0","4,000","1,200"\n"9,999.9","8,000","7,700"\n'
    table = read_table(csv)
    assert table.thousands == ","
    assert table.summary() == (
        "Read 3 rows × 3 columns: comma-separated, decimal point, thousands separator comma, UTF-8, header row."
    )
    ds = build_dataset(table)
    assert ds.warnings == ()
    assert [n for n in ds.notes if "as text" in n] == [
        "Numbers written as text (quotes or separators) were read in 'a', 'b', 'c'."
    ]
    np.testing.assert_array_equal(ds.values[:, 0], [1234.5, 5678.0, 9999.9])


def test_hostile_labels_sort_without_converting_digits():
    """A digit run past int()'s 4,300-digit limit, a superscript (str.isdigit, not int) and zeros."""
    long_run = "1" * 4301
    names, codes = columns.label_groups(np.array(["a10", long_run, "x²", "a2", "a002", "b"], dtype=object))
    assert names == [long_run, "a2", "a002", "a10", "b", "x²"]  # numbers first, then text, as before
    assert names[codes[1]] == long_run and names[codes[2]] == "x²"
