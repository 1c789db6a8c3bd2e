"""The itemizer's table of every code point's script and flags, shipped with pixtok.

scripts/make_properties.py writes it from `itemize._describe` for the version of the Unicode
database of the Python that runs it; a Python with another version fills its table as
characters are met, with the same function. These tests hold the shipped table to that
function, its scripts to HarfBuzz's own Unicode data, and a process without the table to the
same pages.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import uharfbuzz as hb

from pixtok.render import itemize

REPO = Path(__file__).resolve().parents[1]
SHIPPED = (REPO / "pixtok" / "data" / itemize.PROPERTIES_FILE.format(unicodedata.unidata_version)).is_file()
needs_table = pytest.mark.skipif(
    not SHIPPED, reason=f"no property table ships for Unicode {unicodedata.unidata_version}"
)


def test_the_table_of_the_unicode_version_this_pixtok_is_tested_with_ships() -> None:
    """CI runs Python 3.11 (Unicode 14.0.0): the version whose table must be there."""
    assert (REPO / "pixtok" / "data" / itemize.PROPERTIES_FILE.format("14.0.0")).is_file()


@needs_table
def test_shipped_table_is_what_describing_every_code_point_gives() -> None:
    """Regenerate the table (scripts/make_properties.py) when `_describe` or its data change."""
    table = itemize._property_table()
    assert not (table == itemize._UNSEEN).any()
    described = itemize._describe(list(range(0x110000)))
    differ = np.flatnonzero(described != table)
    assert not len(differ), [f"U+{cp:04X}" for cp in differ[:10]]


@needs_table
def test_scripts_of_letters_are_harfbuzz_own() -> None:
    """Every letter of planes 0-2 has the script HarfBuzz's Unicode data gives it, but where
    one of the two leaves it to its neighbours: pixtok's modifier letters (Common, by design:
    they join the run they are in) and the few letters HarfBuzz holds to be Common (the
    prolonged sound mark ー, the ideographic closing mark 〆, tatweel)."""
    table = itemize._property_table()
    wrong = []
    for cp in range(0x30000):
        char = chr(cp)
        if unicodedata.category(char)[0] != "L":
            continue
        ours = itemize._SCRIPTS[table[cp] & 0xFF]
        if ours in (itemize.COMMON, itemize.UNKNOWN):
            continue
        buffer = hb.Buffer()
        buffer.add_codepoints([cp])
        buffer.guess_segment_properties()
        if buffer.script is not None and buffer.script != ours:
            wrong.append((f"U+{cp:04X}", ours, buffer.script))
    assert not wrong, wrong[:10]


def test_no_table_is_found_for_a_version_none_was_made_for() -> None:
    assert itemize._shipped_properties("0.0.0") is None


_RENDER_ALL = """
import hashlib, json, sys
from pathlib import Path
from pixtok.render import itemize
if sys.argv[1] == "without":
    itemize._shipped_properties = lambda version: None
from pixtok import RenderConfig, Renderer
renderer = Renderer(RenderConfig.from_preset("page-1024"))
digests = {}
for path in sorted(Path(sys.argv[2]).glob("*.txt")):
    result = renderer.render(path.read_text(encoding="utf-8")[:3000])
    digest = hashlib.sha256()
    for page in result.pages:
        digest.update(page.tobytes())
    digests[path.name] = [digest.hexdigest(), result.languages]
print(json.dumps({"digests": digests, "unseen": int((itemize._property_table() == 0xFFFF).sum())}))
"""


@needs_table
def test_a_process_without_the_table_draws_the_same_pages() -> None:
    """Under a Python whose Unicode version has no table, the table is filled as characters
    are met: every corpus text renders to the same pages and languages as with the table."""
    runs = {}
    for mode in ("with", "without"):
        done = subprocess.run(
            [sys.executable, "-c", _RENDER_ALL, mode, str(REPO / "corpus")],
            capture_output=True,
            text=True,
            check=True,
        )
        runs[mode] = json.loads(done.stdout)
    assert runs["with"]["unseen"] == 0
    assert runs["without"]["unseen"] > 1_000_000  # described only what the texts held
    assert runs["with"]["digests"] == runs["without"]["digests"]
    assert len(runs["with"]["digests"]) >= 16


@needs_table
def test_a_table_filled_as_texts_come_gets_the_shipped_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no table ships, a text's new characters are described in one call when the text is
    first met: they get the shipped table's entries, and nothing else is described."""
    shipped = itemize._property_table().copy()
    monkeypatch.setattr(itemize, "_props", np.full(0x110000, itemize._UNSEEN, dtype=np.uint16))
    text = "Tai Tham ᨠᩣ, Tai Viet ꪀꪱ, 日本語の文, 한국어, عربي, 🙂"
    cps = np.array([ord(c) for c in text], dtype=np.uint32)
    assert itemize.char_properties(cps).tolist() == shipped[cps].tolist()
    filled = np.flatnonzero(itemize._props != itemize._UNSEEN)
    assert filled.tolist() == sorted(set(cps.tolist()))
    scripts = {itemize._SCRIPTS[v & 0xFF] for v in shipped[cps].tolist()}
    assert {"Lana", "Tavt", "Hani", "Hira", "Hang", "Arab", "Latn"} <= scripts
