"""Write pixtok/data/properties-unicode-<version>.npz: the itemizer's property table of every
code point, for the version of the Unicode database of the Python that runs this script.

The itemizer needs, for each character of a text, its script and a few flags (combining mark,
shapes to nothing, letter, space, may join an emoji sequence, Han form of one Chinese standard).
Working them out from `unicodedata` costs microseconds a character, and a corpus run meets new
characters in every text of a script it has not read much of yet; the whole table, made once
here, is 16 KB compressed. It holds what `pixtok.render.itemize._describe` gives each code point
from U+0000 to U+10FFFF, with the list of script tags its indices refer to (a table whose list
is not the running pixtok's is not used).

`unicodedata` changes with Python's minor version (3.11 has Unicode 14.0.0, 3.12 15.0.0), so a
table is for one version: under another, pixtok fills its table as characters are met, with the
same function. tests/test_property_table.py checks the shipped table against that function.

Run: `python scripts/make_properties.py` (with each Python whose version should get a table).
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pixtok.render import itemize  # noqa: E402


def main() -> None:
    table = itemize._describe(list(range(0x110000)))
    output = REPO / "pixtok" / "data" / itemize.PROPERTIES_FILE.format(unicodedata.unidata_version)
    with output.open("wb") as stream:
        np.savez_compressed(stream, table=table, scripts=np.array(itemize._SCRIPTS))
    print(f"{output.relative_to(REPO)}: {output.stat().st_size} bytes, {len(itemize._SCRIPTS)} scripts")


if __name__ == "__main__":
    main()
