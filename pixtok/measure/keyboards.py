"""Keyboard layouts as physical key grids: where each character sits, and how far apart two are.

A layout is a few rows of keys. Each key has a centre in key units (1 unit = the 19.05 mm key
pitch of a standard board), with the row stagger of real boards, and up to two characters: one
on the base layer and one on the shift layer. The shift layer is a third coordinate, so `e`
and `E` share a key but are `shift_weight` units apart, and `e` to `W` is a step across and a
step up.

Row offsets are those of standard boards, measured from the left edge of the number row:
ANSI (US) rows start 0, 1.5 (Tab 1.5 u), 1.75 (Caps Lock 1.75 u) and 2.25 (left Shift 2.25 u);
ISO boards (German, French) have a 1.25 u left Shift and one more key (`<`) before the bottom
row's letters; an ortholinear board has no stagger. The space bar is a single point at the
centre of a 6.25 u bar that starts 3.75 u from the left (three 1.25 u modifiers).
Sources: ANSI INCITS 154-1988 and ISO/IEC 9995-2 key positions as drawn in the standard 104/105
key outlines; layouts from the national standards/OS keymaps named on each built-in below.

Layouts beyond the built-ins load from a TOML or JSON file (format in docs/typos.md):

    name = "colemak"
    stagger = "ansi"
    [[rows]]
    keys  = "`1234567890-="
    shift = "~!@#$%^&*()_+"
    [[rows]]
    keys  = "qwfpgjluy;[]\\\\"
    ...

AltGr layers, dead-key composition and the numeric keypad are not modelled.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pixtok.errors import InputError, UsageError
from pixtok.io import load_json, load_toml, read_bytes

#: Left offsets (key units) of the number, top, home and bottom rows on standard boards.
STAGGERS: dict[str, tuple[float, ...]] = {
    "ansi": (0.0, 1.5, 1.75, 2.25),
    "iso": (0.0, 1.5, 1.75, 1.25),
    "ortho": (0.0, 0.0, 0.0, 0.0),
}
#: Centre of the space bar (key units): a 6.25 u bar from x = 3.75 u, one row below the bottom row.
SPACE_CENTRE = (3.75 + 6.25 / 2, 4.0)
#: How far apart the base and shift layers of one key are, in key units.
DEFAULT_SHIFT_WEIGHT = 1.0
#: Keys whose centres are at most this far apart (key units, same layer) are neighbours: the keys
#: next to a key in its row and the ones touching it above and below (1.0-1.25 u on staggered boards).
NEIGHBOUR_RADIUS = 1.3


@dataclass(frozen=True)
class KeyPosition:
    """Where a character is typed: key centre (x, y) in key units and whether Shift is held."""

    char: str
    x: float
    y: float
    shifted: bool


@dataclass(frozen=True)
class Row:
    """One row of keys: base-layer and shift-layer characters ("" = nothing on that layer)."""

    keys: tuple[str, ...]
    shift: tuple[str, ...]
    offset: float
    y: float


@dataclass(frozen=True, eq=False)
class Keyboard:
    """A layout: characters placed on physical keys, with distances between them.

    `distance(a, b)` is the Euclidean distance between the two characters' key positions, with
    the shift layer as a third axis `shift_weight` units deep; it is a metric on the characters
    the layout has (each character is on one key, enforced when the layout is built).
    """

    name: str
    description: str
    source: str
    rows: tuple[Row, ...]
    space: tuple[float, float] | None = SPACE_CENTRE
    shift_weight: float = DEFAULT_SHIFT_WEIGHT
    positions: Mapping[str, KeyPosition] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.rows:
            raise InputError(f"layout {self.name!r} has no rows")
        if not (math.isfinite(self.shift_weight) and self.shift_weight > 0):
            raise UsageError(f"shift weight must be a positive number, not {self.shift_weight!r}")
        positions: dict[str, KeyPosition] = {}
        for r, row in enumerate(self.rows):
            for i, (base, shifted) in enumerate(zip(row.keys, row.shift, strict=True)):
                x = row.offset + i + 0.5
                for char, is_shifted in ((base, False), (shifted, True)):
                    if not char:
                        continue
                    if len(char) != 1:
                        raise InputError(
                            f"layout {self.name!r}: row {r + 1} key {i + 1} holds {char!r}; "
                            "each key layer is one character"
                        )
                    if char in positions:
                        raise InputError(
                            f"layout {self.name!r}: character {char!r} is on two keys; "
                            "each character may appear once"
                        )
                    positions[char] = KeyPosition(char, x, row.y, is_shifted)
        if self.space is not None:
            if " " in positions:
                raise InputError(f"layout {self.name!r}: ' ' is on a key and on the space bar")
            positions[" "] = KeyPosition(" ", float(self.space[0]), float(self.space[1]), False)
        object.__setattr__(self, "positions", positions)

    # -- geometry -------------------------------------------------------------------------------

    def position(self, char: str) -> KeyPosition | None:
        """The key a character is typed on, or None when the layout has no key for it."""
        return self.positions.get(char)

    def point(self, char: str) -> tuple[float, float, float] | None:
        """The character's point (x, y, shift depth) in key units, or None when it is not on the layout."""
        key = self.positions.get(char)
        if key is None:
            return None
        return (key.x, key.y, self.shift_weight if key.shifted else 0.0)

    def distance(self, a: str, b: str) -> float:
        """Key units between the keys of two characters (shift layer included); inf if one is absent."""
        pa, pb = self.point(a), self.point(b)
        if pa is None or pb is None:
            return 0.0 if a == b else math.inf
        return math.dist(pa, pb)

    @property
    def chars(self) -> str:
        """Every character the layout can type, in row order."""
        return "".join(self.positions)

    @functools.cached_property
    def diameter(self) -> float:
        """The largest distance between two characters on the layout (key units)."""
        return _diameter(self)

    def neighbours(self, char: str, radius: float = NEIGHBOUR_RADIUS) -> list[str]:
        """Characters on keys next to `char`'s key, on the same layer (Shift held or not), nearest first.

        The space bar is never a neighbour: a slip onto it is a different kind of error.
        """
        key = self.positions.get(char)
        if key is None or char == " ":
            return []
        found: list[tuple[float, float, float, str]] = []
        for other in self.positions.values():
            if other.char == char or other.char == " " or other.shifted != key.shifted:
                continue
            d = math.hypot(other.x - key.x, other.y - key.y)
            if d <= radius:
                found.append((d, other.y, other.x, other.char))
        return [c for *_, c in sorted(found)]

    def describe(self) -> dict[str, Any]:
        """Name, description, source and size, for listings and JSON output."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "keys": sum(len(row.keys) for row in self.rows) + (self.space is not None),
            "chars": len(self.positions),
            "shift_weight": self.shift_weight,
        }


def _diameter(keyboard: Keyboard) -> float:
    points = np.array([keyboard.point(c) for c in keyboard.positions], dtype=np.float64)
    if len(points) < 2:
        return 1.0
    gaps = points[:, None, :] - points[None, :, :]
    return float(np.sqrt((gaps**2).sum(axis=2)).max())


# -- building layouts -------------------------------------------------------------------------------


def _layer(value: Any, what: str) -> tuple[str, ...]:
    """A row layer from a string (one character per key) or a list (one string per key, "" = none)."""
    if isinstance(value, str):
        return tuple(value)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(f"{what}: expected a string or a list of strings, got {type(value).__name__}")


def _default_shift(keys: Sequence[str]) -> tuple[str, ...]:
    """Without an explicit shift layer, a letter shifts to its upper case and other keys to nothing."""
    out = []
    for key in keys:
        upper = key.upper()
        out.append(upper if len(upper) == 1 and upper != key else "")
    return tuple(out)


def build_keyboard(
    name: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    stagger: str = "ansi",
    description: str = "",
    source: str = "",
    space: Mapping[str, float] | bool = True,
    shift_weight: float = DEFAULT_SHIFT_WEIGHT,
) -> Keyboard:
    """A layout from rows given as mappings with `keys`, optional `shift`, `offset` and `y`.

    Rows are listed from the number row down; `stagger` (ansi, iso, ortho) gives the default
    offsets of the first four rows (later rows default to the last offset).
    """
    if stagger not in STAGGERS:
        raise InputError(f"layout {name!r}: stagger must be one of {', '.join(STAGGERS)}, not {stagger!r}")
    offsets = STAGGERS[stagger]
    built: list[Row] = []
    for r, spec in enumerate(rows):
        if not isinstance(spec, Mapping) or "keys" not in spec:
            raise InputError(f"layout {name!r}: row {r + 1} needs a `keys` entry")
        unknown = sorted(set(spec) - {"keys", "shift", "offset", "y"})
        if unknown:
            raise InputError(
                f"layout {name!r}: row {r + 1} has unknown field(s) {', '.join(unknown)}; "
                "use keys, shift, offset, y"
            )
        keys = _layer(spec["keys"], f"layout {name!r} row {r + 1} keys")
        shift = (
            _layer(spec["shift"], f"layout {name!r} row {r + 1} shift")
            if "shift" in spec
            else _default_shift(keys)
        )
        if len(shift) != len(keys):
            raise InputError(
                f"layout {name!r}: row {r + 1} has {len(keys)} keys but {len(shift)} shift characters"
            )
        offset = spec.get("offset", offsets[min(r, len(offsets) - 1)])
        y = spec.get("y", float(r))
        for label, value in (("offset", offset), ("y", y)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"layout {name!r}: row {r + 1} {label} must be a number of key units")
        built.append(Row(keys, shift, float(offset), float(y)))
    centre: tuple[float, float] | None
    if space is True:
        centre = SPACE_CENTRE
    elif space is False:
        centre = None
    elif isinstance(space, Mapping) and {"x", "y"} <= set(space):
        centre = (float(space["x"]), float(space["y"]))
    else:
        raise InputError(f"layout {name!r}: space must be true, false or a table with x and y")
    return Keyboard(
        name=name,
        description=description,
        source=source,
        rows=tuple(built),
        space=centre,
        shift_weight=shift_weight,
    )


def _rows(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    """Rows from (base, shift) strings; a space in a shift string marks a key with no shifted character."""
    return [{"keys": base, "shift": [c.strip() for c in shift]} for base, shift in pairs]


_BUILTIN_SPECS: dict[str, dict[str, Any]] = {
    "qwerty": {
        "description": "US QWERTY (ANSI)",
        "source": "US English layout, ANSI INCITS 154-1988 board; xkb symbols/us",
        "stagger": "ansi",
        "rows": _rows(
            ("`1234567890-=", "~!@#$%^&*()_+"),
            ("qwertyuiop[]\\", "QWERTYUIOP{}|"),
            ("asdfghjkl;'", 'ASDFGHJKL:"'),
            ("zxcvbnm,./", "ZXCVBNM<>?"),
        ),
    },
    "qwertz": {
        "description": "German QWERTZ (ISO, DIN 2137 T1)",
        "source": "German layout DIN 2137-1:2012 T1 on an ISO/IEC 9995 board; xkb symbols/de",
        "stagger": "iso",
        "rows": _rows(
            ("^1234567890ß´", '°!"§$%&/()=?`'),
            ("qwertzuiopü+", "QWERTZUIOPÜ*"),
            ("asdfghjklöä#", "ASDFGHJKLÖÄ'"),
            ("<yxcvbnm,.-", ">YXCVBNM;:_"),
        ),
    },
    "azerty": {
        "description": "French AZERTY (ISO)",
        "source": "French layout (traditional AZERTY, pre-NF Z71-300) on an ISO board; xkb symbols/fr",
        "stagger": "iso",
        "rows": _rows(
            ("²&é\"'(-è_çà)=", " 1234567890°+"),
            ("azertyuiop^$", "AZERTYUIOP¨£"),
            ("qsdfghjklmù*", "QSDFGHJKLM%µ"),
            ("<wxcvbn,;:!", ">WXCVBN?./§"),
        ),
    },
    "dvorak": {
        "description": "US Dvorak (ANSI)",
        "source": "Dvorak Simplified Keyboard as standardised in ANSI X4.22-1983; xkb symbols/us(dvorak)",
        "stagger": "ansi",
        "rows": _rows(
            ("`1234567890[]", "~!@#$%^&*(){}"),
            ("',.pyfgcrl/=\\", '"<>PYFGCRL?+|'),
            ("aoeuidhtns-", "AOEUIDHTNS_"),
            (";qjkxbmwvz", ":QJKXBMWVZ"),
        ),
    },
    "jcuken": {
        "description": "Russian ЙЦУКЕН (ANSI)",
        "source": "Russian layout, GOST R ISO/IEC 9995-3 / Windows 'Russian'; xkb symbols/ru",
        "stagger": "ansi",
        "rows": _rows(
            ("ё1234567890-=", 'Ё!"№;%:?*()_+'),
            ("йцукенгшщзхъ\\", "ЙЦУКЕНГШЩЗХЪ/"),
            ("фывапролджэ", "ФЫВАПРОЛДЖЭ"),
            ("ячсмитьбю.", "ЯЧСМИТЬБЮ,"),
        ),
    },
}

#: The built-in layout names.
LAYOUTS: tuple[str, ...] = tuple(_BUILTIN_SPECS)
_CACHE: dict[str, Keyboard] = {}


def list_layouts() -> list[Keyboard]:
    """The built-in layouts."""
    return [get_layout(name) for name in LAYOUTS]


def get_layout(name: str | Path) -> Keyboard:
    """A built-in layout by name (qwerty, qwertz, azerty, dvorak, jcuken) or one from a TOML/JSON file."""
    key = str(name).strip()
    if key.lower() in _BUILTIN_SPECS:
        key = key.lower()
        if key not in _CACHE:
            spec = _BUILTIN_SPECS[key]
            _CACHE[key] = build_keyboard(
                key,
                spec["rows"],
                stagger=spec["stagger"],
                description=spec["description"],
                source=spec["source"],
            )
        return _CACHE[key]
    path = Path(key)
    if path.suffix.lower() in (".toml", ".json") or path.exists():
        return load_layout(path)
    raise UsageError(
        f"unknown keyboard layout {str(name)!r}; "
        f"choose one of {', '.join(LAYOUTS)} or give a .toml/.json file"
    )


def load_layout(path: str | Path) -> Keyboard:
    """Load a custom layout from a TOML or JSON file (see the module docstring and docs/typos.md)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such layout file")
    raw = read_bytes(p)
    is_json = p.suffix.lower() == ".json"
    try:
        data = load_json(raw, str(p)) if is_json else load_toml(raw.decode("utf-8"), str(p))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid {'JSON' if is_json else 'TOML'}: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a table with `rows`")
    unknown = sorted(
        set(data) - {"name", "description", "source", "stagger", "rows", "space", "shift_weight"}
    )
    if unknown:
        raise InputError(
            f"{p}: unknown field(s) {', '.join(unknown)}; "
            "use name, description, source, stagger, rows, space, shift_weight"
        )
    rows = data.get("rows")
    if not isinstance(rows, list) or not rows:
        raise InputError(f"{p}: `rows` must be a non-empty list of tables")
    weight = data.get("shift_weight", DEFAULT_SHIFT_WEIGHT)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)):
        raise InputError(f"{p}: shift_weight must be a number")
    try:
        return build_keyboard(
            str(data.get("name", p.stem)),
            rows,
            stagger=str(data.get("stagger", "ansi")),
            description=str(data.get("description", "")),
            source=str(data.get("source", str(p))),
            space=data.get("space", True),
            shift_weight=float(weight),
        )
    except (InputError, UsageError) as exc:
        raise InputError(f"{p}: {exc}") from None


__all__ = [
    "DEFAULT_SHIFT_WEIGHT",
    "LAYOUTS",
    "NEIGHBOUR_RADIUS",
    "SPACE_CENTRE",
    "STAGGERS",
    "KeyPosition",
    "Keyboard",
    "Row",
    "build_keyboard",
    "get_layout",
    "list_layouts",
    "load_layout",
]
