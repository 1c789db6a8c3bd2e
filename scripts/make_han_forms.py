"""Write pixtok/data/han_forms.txt: the Han characters that only Simplified or only Traditional
Chinese writes, from the Unicode Han database (Unihan).

Without `--lang`, a text of Han characters and no kana or Hangul is Chinese, and which of the
two standards it is written in decides its punctuation and some characters' glyph forms (the
CJK font's `locl` for Traditional Chinese). Unihan's `kTraditionalVariant` of a character lists
the Traditional characters it stands for, and `kSimplifiedVariant` the Simplified ones:

* a character whose `kTraditionalVariant` does not list the character itself is written only in
  Simplified Chinese (们, 这, 国: 們, 這, 國 in Traditional);
* a character whose `kSimplifiedVariant` does not list itself is written only in Traditional
  Chinese (們, 這, 國);
* a character listed as its own variant (后, which is 后 and 後 in Traditional) is written in
  both, and goes in neither list; so does a character that would be in both (Unicode 15.0 has
  one: 苧).

Source: Unihan_Variants.txt of Unicode 15.0.0, as Debian's `unicode-data` 15.0.0-1 ships it
(/usr/share/unicode/Unihan_Variants.txt.bz2). The output keeps only the two lists derived here;
the licence is Unicode's (pixtok/data/LICENSE-Unicode.txt).

Run: `python scripts/make_han_forms.py [path/to/Unihan_Variants.txt[.bz2]]`
"""

from __future__ import annotations

import bz2
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = Path("/usr/share/unicode/Unihan_Variants.txt.bz2")
OUTPUT = REPO / "pixtok" / "data" / "han_forms.txt"

HEADER = """\
# Han characters written in only one of the two Chinese standards: the `simplified` line holds
# the characters only Simplified Chinese writes, the `traditional` line those only Traditional
# Chinese writes. pixtok counts them to tell a Chinese text's standard (docs/rendering.md).
#
# Derived by scripts/make_han_forms.py from Unihan_Variants.txt (Unicode {version}, Debian
# unicode-data 15.0.0-1): a character whose kTraditionalVariant does not list itself is
# Simplified only, one whose kSimplifiedVariant does not list itself Traditional only, and a
# character that would be both is left out. This file is modified from the Unicode data file:
# only these two derived lists are kept. Copyright (c) 1991-2022 Unicode, Inc.; licence and
# terms of use in LICENSE-Unicode.txt.
"""


def read_variants(path: Path) -> tuple[str, dict[int, dict[str, list[int]]]]:
    """The Unicode version named in the file, and each character's Simplified and Traditional
    variants (code points)."""
    opener = bz2.open if path.suffix == ".bz2" else open
    version = "?"
    variants: dict[int, dict[str, list[int]]] = {}
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("# Unicode version:"):
                version = line.split(":", 1)[1].strip()
            if line.startswith("#") or not line.strip():
                continue
            code, field, value = line.rstrip("\n").split("\t")
            if field in ("kSimplifiedVariant", "kTraditionalVariant"):
                # Values are code points, some with a source after "<" (U+5F8C<kLau).
                points = [int(item.split("<")[0][2:], 16) for item in value.split()]
                variants.setdefault(int(code[2:], 16), {})[field] = points
    return version, variants


def han_forms(variants: dict[int, dict[str, list[int]]]) -> tuple[list[int], list[int]]:
    """The code points written only in Simplified and only in Traditional Chinese, ascending."""
    simplified = {
        cp for cp, v in variants.items() if "kTraditionalVariant" in v and cp not in v["kTraditionalVariant"]
    }
    traditional = {
        cp for cp, v in variants.items() if "kSimplifiedVariant" in v and cp not in v["kSimplifiedVariant"]
    }
    both = simplified & traditional
    return sorted(simplified - both), sorted(traditional - both)


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE
    version, variants = read_variants(source)
    simplified, traditional = han_forms(variants)
    body = "".join(
        f"{name}\t{''.join(map(chr, points))}\n"
        for name, points in (("simplified", simplified), ("traditional", traditional))
    )
    OUTPUT.write_text(HEADER.format(version=version) + body, encoding="utf-8")
    print(f"{OUTPUT.relative_to(REPO)}: {len(simplified)} simplified, {len(traditional)} traditional")


if __name__ == "__main__":
    main()
