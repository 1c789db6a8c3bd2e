"""Keyboard layouts: key positions with the row stagger of real boards, the shift layer, custom files."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from pixtok.errors import InputError, UsageError
from pixtok.measure.keyboards import LAYOUTS, STAGGERS, get_layout, list_layouts, load_layout

REPO = Path(__file__).resolve().parents[1]


def test_builtin_layouts_cover_the_issue_and_type_every_ascii_letter() -> None:
    assert {"qwerty", "qwertz", "azerty", "dvorak"} <= set(LAYOUTS)
    for name in ("qwerty", "qwertz", "azerty", "dvorak"):
        keyboard = get_layout(name)
        for letter in "abcdefghijklmnopqrstuvwxyz":
            lower, upper = keyboard.position(letter), keyboard.position(letter.upper())
            assert lower is not None and not lower.shifted, (name, letter)
            assert upper is not None and upper.shifted, (name, letter)
            assert (lower.x, lower.y) == (upper.x, upper.y), (name, letter)


def test_every_printable_ascii_character_is_on_the_us_layouts() -> None:
    for name in ("qwerty", "dvorak"):
        keyboard = get_layout(name)
        missing = [chr(c) for c in range(32, 127) if keyboard.position(chr(c)) is None]
        assert missing == [], name


def test_row_stagger_matches_ansi_and_iso_boards() -> None:
    qwerty = get_layout("qwerty")
    # Top row starts 1.5 u in, home row 1.75 u, bottom row 2.25 u (ANSI).
    assert qwerty.position("q").x == pytest.approx(1.5 + 0.5)
    assert qwerty.position("a").x == pytest.approx(1.75 + 0.5)
    assert qwerty.position("z").x == pytest.approx(2.25 + 0.5)
    assert qwerty.distance("q", "a") == pytest.approx(math.hypot(0.25, 1))
    assert qwerty.distance("a", "z") == pytest.approx(math.hypot(0.5, 1))
    # ISO boards have the extra `<` key left of the bottom row's first letter.
    qwertz = get_layout("qwertz")
    assert qwertz.distance("<", "y") == pytest.approx(1.0)
    assert qwertz.position("y").x == pytest.approx(1.25 + 1.5)
    assert qwertz.distance("a", "y") == pytest.approx(math.hypot(0.5, 1))
    assert STAGGERS["ortho"] == (0.0, 0.0, 0.0, 0.0)


def test_the_shift_layer_is_a_third_axis() -> None:
    qwerty = get_layout("qwerty")
    assert qwerty.distance("e", "E") == pytest.approx(qwerty.shift_weight)
    assert qwerty.distance("e", "W") == pytest.approx(math.hypot(1, qwerty.shift_weight))
    assert qwerty.distance("3", "#") == pytest.approx(qwerty.shift_weight)
    # AZERTY types digits with Shift.
    assert get_layout("azerty").position("1").shifted
    assert not get_layout("azerty").position("&").shifted


def test_distance_is_a_metric_on_each_layout() -> None:
    for keyboard in list_layouts():
        chars = keyboard.chars
        d = np.array([[keyboard.distance(a, b) for b in chars] for a in chars])
        assert np.allclose(d, d.T)
        off_diagonal = d[~np.eye(len(chars), dtype=bool)]
        assert off_diagonal.min() > 0, keyboard.name
        assert (d[:, None, :] <= d[:, :, None] + d[None, :, :] + 1e-9).all()  # d(i,k) <= d(i,j) + d(j,k)
        assert keyboard.diameter == pytest.approx(d.max())


def test_neighbours_are_the_adjacent_keys_on_the_same_layer() -> None:
    qwerty = get_layout("qwerty")
    assert set(qwerty.neighbours("e")) == set("wrsd34")
    assert set(qwerty.neighbours("E")) == set("WRSD#$")
    assert qwerty.neighbours("e")[:2] == ["w", "r"]  # nearest first: same row, then the rows around
    assert set(get_layout("dvorak").neighbours("e")) == set("oujq.p")
    assert set(get_layout("jcuken").neighbours("ф")) == {"й", "ц", "ы", "я"}
    assert qwerty.neighbours("ж") == []
    assert " " not in itertools.chain.from_iterable(qwerty.neighbours(c) for c in "cvbnm")


def test_characters_off_the_layout_are_infinitely_far() -> None:
    qwerty = get_layout("qwerty")
    assert qwerty.position("é") is None
    assert math.isinf(qwerty.distance("é", "e"))
    assert qwerty.distance("é", "é") == 0.0


def test_unknown_layout_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown keyboard layout"):
        get_layout("colemak")


def test_custom_layout_from_the_documented_example_file() -> None:
    colemak = load_layout(REPO / "docs" / "layouts" / "colemak.toml")
    assert colemak.name == "colemak"
    qwerty = get_layout("qwerty")
    # Colemak keeps the ANSI board: `f` sits where QWERTY has `e`, `t` where QWERTY has `f`.
    for moved, home in (("f", "e"), ("t", "f")):
        key, original = colemak.position(moved), qwerty.position(home)
        assert (key.x, key.y) == (original.x, original.y)
    assert colemak.position("F").shifted
    assert get_layout(str(REPO / "docs" / "layouts" / "colemak.toml")).chars == colemak.chars


def test_custom_layout_in_json_with_lists_offsets_and_default_shift(tmp_path: Path) -> None:
    spec = {
        "name": "tiny",
        "stagger": "ortho",
        "space": False,
        "rows": [
            {"keys": ["a", "b", "c"], "shift": ["", "!", "C"]},
            {"keys": "xyz", "offset": 0.5},
        ],
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    tiny = load_layout(path)
    assert tiny.position("A") is None and tiny.position("!").shifted
    assert tiny.position("Y").shifted  # without `shift`, letters shift to upper case
    assert tiny.distance("a", "x") == pytest.approx(math.hypot(0.5, 1))
    assert tiny.position(" ") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('rows = [{keys = "ab", shift = "A"}]', "2 keys but 1 shift"),
        ('rows = [{keys = "aba"}]', "on two keys"),
        ('rows = [{keys = "ab", colour = "red"}]', "unknown field"),
        ('keys = "ab"', "unknown field"),
        ("rows = []", "non-empty list"),
        ('stagger = "diagonal"\nrows = [{keys = "ab"}]', "stagger must be one of"),
        ('rows = [{keys = ["ab"]}]', "one character"),
        ("rows = [", "not valid TOML"),
    ],
)
def test_bad_layout_files_are_input_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_layout(path)


def test_missing_layout_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such layout file"):
        get_layout(str(tmp_path / "absent.toml"))
