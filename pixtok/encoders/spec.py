"""Presets declared as data: one table per encoder, in TOML or JSON.

A file holds a list of tables under `encoder` (TOML: `[[encoder]]`; JSON: {"encoder": [...]} or a
bare list). Each table's keys are the fields of `GridEncoder`; `merge` is written as a small table
`{kind = "spatial", factor = 2}` (or the string "none"). Unknown keys are refused with the nearest
valid key, since a misspelt key would otherwise silently fall back to a default. See
docs/encoders.md for the schema and examples.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from pixtok.encoders.base import Encoder
from pixtok.encoders.grid import GridEncoder
from pixtok.errors import InputError, UsageError
from pixtok.io import check_path, decode_text, load_json, load_toml, read_bytes
from pixtok.limits import printable

SPEC_KEYS: tuple[str, ...] = tuple(f.name for f in fields(GridEncoder) if f.name != "merge_factor")


def encoder_from_spec(spec: Mapping[str, Any]) -> Encoder:
    """Build a `GridEncoder` from one declarative table (see the module docstring)."""
    if not isinstance(spec, Mapping):
        raise UsageError(f"an encoder spec is a table of keys, not {type(spec).__name__}")
    unknown = [key for key in spec if key not in SPEC_KEYS]
    if unknown:
        key = unknown[0]
        near = difflib.get_close_matches(str(key), SPEC_KEYS, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(SPEC_KEYS)}"
        raise UsageError(f"unknown key {key!r} in encoder {spec.get('name', '?')!r}{hint}")
    for key in ("name", "patch", "source"):
        if key not in spec:
            raise UsageError(f"encoder {spec.get('name', '?')!r} needs a {key!r}")
    values = dict(spec)
    merge = values.pop("merge", "none")
    if isinstance(merge, Mapping):
        extra = set(merge) - {"kind", "factor"}
        if extra or "kind" not in merge:
            raise UsageError(f"encoder {values['name']!r}: merge is {{kind = ..., factor = ...}}")
        values["merge"] = merge["kind"]
        values["merge_factor"] = merge.get("factor", 1)
    elif merge == "none":
        values["merge"] = "none"
    else:
        raise UsageError(
            f"encoder {values['name']!r}: merge is 'none' or a table {{kind = ..., factor = ...}}"
        )
    return GridEncoder(**values)


def parse_spec_text(text: str, *, source: str, suffix: str) -> list[dict[str, Any]]:
    """The encoder tables of a TOML (`suffix` ".toml") or JSON (".json") document."""
    try:
        if suffix == ".toml":
            document: Any = load_toml(text, source)
        elif suffix == ".json":
            document = load_json(text, source)
        else:
            raise InputError(f"{source}: encoder files end in .toml or .json")
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{source}: not valid {suffix[1:].upper()} ({exc})") from None
    tables = document.get("encoder") if isinstance(document, dict) else document
    if not isinstance(tables, list) or not tables:
        raise InputError(f"{source}: expected a list of encoder tables ([[encoder]] in TOML)")
    return tables


def _check_regular_file(path: Path) -> None:
    """Refuse a definition file that is not a regular file (after following links).

    A named pipe ending in .toml in a folder that $PIXTOK_ENCODERS names would otherwise block
    every command until something wrote to it, and a device such as a terminal would be read
    until it ended. A missing or unreadable path is left to `read_bytes`, which names the reason.
    """
    check_path(path, "an encoder file path")
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        raise InputError(
            f"{printable(str(path))}: not a regular file (a named pipe, device or socket cannot "
            "hold encoder definitions)"
        )


def read_spec_file(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The encoder tables of a .toml or .json encoder file (a regular file, see
    `_check_regular_file`)."""
    p = Path(path)
    if p.suffix.lower() not in (".toml", ".json"):
        raise InputError(f"{p}: encoder files end in .toml or .json")
    _check_regular_file(p)
    # decode_text drops a byte-order mark (which tomllib refuses) and names the first bad byte.
    text = decode_text(read_bytes(p), source=str(p), replaceable=False)
    return parse_spec_text(text, source=str(p), suffix=p.suffix.lower())


def build_tables(tables: list[dict[str, Any]], source: str) -> list[Encoder]:
    """Build every preset of a list of tables; errors name the source and the table."""
    built: list[Encoder] = []
    for index, table in enumerate(tables, start=1):
        try:
            built.append(encoder_from_spec(table))
        except UsageError as exc:
            raise InputError(f"{source}: encoder #{index}: {exc}") from None
    return built


def encoders_from_file(path: str | os.PathLike[str]) -> list[Encoder]:
    """Build every preset declared in a file; errors name the file and the table."""
    return build_tables(read_spec_file(path), str(path))


def encoders_from_text(text: str, *, source: str, suffix: str = ".toml") -> list[Encoder]:
    """Build every preset declared in a TOML/JSON document (the shipped presets.toml, say)."""
    return build_tables(parse_spec_text(text, source=source, suffix=suffix), source)
