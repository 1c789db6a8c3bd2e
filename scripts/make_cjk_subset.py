"""Build pixtok/fonts/NotoSansCJK-Subset.otf, the CJK font that ships inside the package.

The full Noto Sans CJK collection is ~19 MB, too large for a wheel. This script takes the
Simplified Chinese face of NotoSansCJK-Regular.ttc (found by its name table, not by index) and
keeps the glyphs for character sets defined by national standards, each computed here from
Python's own codecs rather than typed in by hand:

* GB 2312 level-1 Hanzi: rows 16-55, 3,755 characters (``gb2312`` codec).
* JIS X 0208 level-1 kanji: rows 16-47, 2,965 characters (``euc_jp`` codec), plus the 34
  Jōyō kanji (2010 list) that JIS X 0208 level 1 lacks, so that all 2,136 Jōyō kanji render.
* KS X 1001 Hangul syllables: rows 16-40, 2,350 syllables (``euc_kr`` codec).
* The non-ideographic rows of those three standards (punctuation, symbols, full-width forms,
  kana, Hangul compatibility jamo, box drawing): GB 2312 rows 1-9, JIS X 0208 rows 1-8,
  KS X 1001 rows 1-12.
* Whole Unicode blocks: Hiragana, Katakana, Katakana Phonetic Extensions, CJK Symbols and
  Punctuation, Halfwidth and Fullwidth Forms, Vertical Forms, CJK Compatibility Forms, and
  printable ASCII (so CJK text with embedded Latin keeps one design).
* Every character of the test corpus files zh-cn_*.txt, ja_*.txt and ko_*.txt, so the
  project's own test texts render with zero missing glyphs.

OpenType layout features that HarfBuzz applies (fontTools' default list, which includes
locl, vert, vrt2, palt, halt, kern, ccmp, the Hangul jamo features) are kept, plus the width
features fwid/hwid/pwid. CFF hints are dropped: they account for ~0.5 MB and pixtok
rasterises without relying on them.

The output is deterministic: head.created/head.modified are pinned to the source face's
values, and the fontTools version that wrote the file is recorded in name ID 5 (another
fontTools version may serialise tables differently, so byte identity is only promised for the
same version).

Usage:
    python scripts/make_cjk_subset.py [--ttc PATH] [-o PATH] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_OUTPUT = REPO / "pixtok" / "fonts" / "NotoSansCJK-Subset.otf"
DEFAULT_CORPUS = REPO / "corpus"

SOURCE_FAMILY = "Noto Sans CJK SC"
SUBSET_FAMILY = "Noto Sans CJK SC Subset"
SUBSET_POSTSCRIPT = "NotoSansCJKscSubset-Regular"
CORPUS_PREFIXES = ("zh-cn_", "ja_", "ko_")

# Jōyō kanji (Cabinet Notice No. 2, 30 November 2010; 2,136 characters) that are not in
# JIS X 0208 level 1. 30 of them are JIS X 0208 level-2 characters; 𠮟 塡 剝 頰 are not in
# JIS X 0208 at all in their Jōyō form. Derived by comparing the Jōyō table with the
# euc_jp decoding of rows 16-47.
JOYO_BEYOND_JIS_LEVEL1 = "曖彙鬱楷諧毀嗅惧憬錮傲刹恣摯𠮟羞箋踪緻嘲塡貪丼剝訃璧哺頰喩瘍拉辣慄籠"

# Layout features kept on top of fontTools' defaults (width variants a user may request).
EXTRA_LAYOUT_FEATURES = ("fwid", "hwid", "pwid")


def decode_rows(codec: str, first_row: int, last_row: int) -> set[int]:
    """Code points of the 94x94 double-byte table rows first_row..last_row of an EUC codec.

    EUC encodes row r, cell c as the bytes (0xA0 + r, 0xA0 + c); cells that the standard
    leaves empty fail to decode and are skipped.
    """
    points: set[int] = set()
    for row in range(first_row, last_row + 1):
        for cell in range(1, 95):
            try:
                char = bytes([0xA0 + row, 0xA0 + cell]).decode(codec)
            except UnicodeDecodeError:
                continue
            points.add(ord(char))
    return points


def block(first: int, last: int) -> set[int]:
    """Assigned code points of the Unicode range first..last (inclusive)."""
    return {cp for cp in range(first, last + 1) if unicodedata.category(chr(cp)) != "Cn"}


def standard_sets() -> dict[str, set[int]]:
    """The generic character sets of the subset, by name; independent of any corpus."""
    return {
        "GB 2312 level-1 Hanzi (rows 16-55)": decode_rows("gb2312", 16, 55),
        "JIS X 0208 level-1 kanji (rows 16-47)": decode_rows("euc_jp", 16, 47),
        "Jōyō kanji beyond JIS X 0208 level 1": {ord(c) for c in JOYO_BEYOND_JIS_LEVEL1},
        "KS X 1001 Hangul syllables (rows 16-40)": decode_rows("euc_kr", 16, 40),
        "GB 2312 non-Hanzi rows 1-9": decode_rows("gb2312", 1, 9),
        "JIS X 0208 non-kanji rows 1-8": decode_rows("euc_jp", 1, 8),
        "KS X 1001 non-Hangul rows 1-12": decode_rows("euc_kr", 1, 12),
        "Hiragana U+3040-309F": block(0x3040, 0x309F),
        "Katakana U+30A0-30FF": block(0x30A0, 0x30FF),
        "Katakana Phonetic Extensions U+31F0-31FF": block(0x31F0, 0x31FF),
        "CJK Symbols and Punctuation U+3000-303F": block(0x3000, 0x303F),
        "Halfwidth and Fullwidth Forms U+FF00-FFEF": block(0xFF00, 0xFFEF),
        "Vertical Forms U+FE10-FE1F": block(0xFE10, 0xFE1F),
        "CJK Compatibility Forms U+FE30-FE4F": block(0xFE30, 0xFE4F),
        "ASCII U+0020-007E": block(0x20, 0x7E),
    }


def needs_glyph(char: str) -> bool:
    """False for characters that are never drawn: controls, format characters, separators."""
    return unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp") and not is_variation_selector(char)


def is_variation_selector(char: str) -> bool:
    """True for U+FE00-FE0F and U+E0100-E01EF, which select a glyph form but have none."""
    cp = ord(char)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The Chinese, Japanese and Korean texts of the test corpus, sorted by name."""
    return sorted(p for p in corpus_dir.glob("*.txt") if p.name.startswith(CORPUS_PREFIXES))


def corpus_points(paths: Iterable[Path]) -> set[int]:
    """Every code point in the given UTF-8 files that needs a glyph."""
    points: set[int] = set()
    for path in paths:
        points.update(ord(c) for c in set(path.read_text(encoding="utf-8")) if needs_glyph(c))
    return points


def face_index(ttc_path: Path, family: str) -> int:
    """Index of the face in a collection whose name-table family (ID 16, else ID 1) is family."""
    collection = TTCollection(str(ttc_path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            name = font["name"]
            found = name.getDebugName(16) or name.getDebugName(1)
            if found == family:
                return index
    finally:
        collection.close()
    raise SystemExit(f"make_cjk_subset: error: no face with family {family!r} in {ttc_path}")


def rename(font: TTFont) -> None:
    """Mark the subset in the name table and CFF so it is never mistaken for the full font."""
    name = font["name"]
    version = name.getDebugName(5) or ""
    replacements = {
        1: SUBSET_FAMILY,
        3: f"{font['head'].fontRevision:.3f};GOOG;{SUBSET_POSTSCRIPT};ADOBE",
        4: SUBSET_FAMILY,
        5: f"{version}; subset by pixtok scripts/make_cjk_subset.py with fontTools {fontTools.version}",
        6: SUBSET_POSTSCRIPT,
    }
    for record in name.names:
        if record.nameID in replacements:
            record.string = replacements[record.nameID]
    cff = font["CFF "].cff
    cff.fontNames = [SUBSET_POSTSCRIPT]
    top = cff.topDictIndex[0]
    top.FamilyName = SUBSET_FAMILY
    top.FullName = f"{SUBSET_FAMILY} Regular"


def build_subset(ttc_path: Path, output: Path, corpus_dir: Path) -> dict[str, int]:
    """Write the subset to output; return counts for the report printed by main()."""
    index = face_index(ttc_path, SOURCE_FAMILY)
    font = TTFont(str(ttc_path), fontNumber=index, recalcTimestamp=False)
    created, modified = font["head"].created, font["head"].modified
    cmap = font.getBestCmap()

    sets = standard_sets()
    generic = set().union(*sets.values())
    files = corpus_files(corpus_dir)
    if not files:
        raise SystemExit(
            f"make_cjk_subset: error: no zh-cn_/ja_/ko_ *.txt files in {corpus_dir} (see --corpus)"
        )
    from_corpus = corpus_points(files)
    wanted = generic | from_corpus
    available = {cp for cp in wanted if cp in cmap}

    options = subset.Options()
    options.layout_features = [*options.layout_features, *EXTRA_LAYOUT_FEATURES]
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(available))
    subsetter.subset(font)

    rename(font)
    font["head"].created = created
    font["head"].modified = modified
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    font.save(str(tmp))
    font.close()
    tmp.replace(output)

    counts = {name: len(points) for name, points in sets.items()}
    counts["corpus characters"] = len(from_corpus)
    counts["corpus characters outside the standard sets"] = len(from_corpus - generic)
    counts["requested code points"] = len(wanted)
    counts["requested but not in the source face"] = len(wanted - available)
    counts["glyphs"] = len(TTFont(str(output), lazy=True).getGlyphOrder())
    counts["bytes"] = output.stat().st_size
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ttc", type=Path, default=DEFAULT_TTC, help="NotoSansCJK-Regular.ttc to read")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT, help="OTF file to write")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="test corpus folder")
    args = parser.parse_args(argv)
    if not args.ttc.is_file():
        parser.error(f"no such font collection: {args.ttc} (Debian package fonts-noto-cjk)")
    if not args.corpus.is_dir():
        parser.error(f"no such corpus folder: {args.corpus}")
    counts = build_subset(args.ttc, args.output, args.corpus)
    width = max(len(k) for k in counts)
    for key, value in counts.items():
        print(f"{key:<{width}}  {value:>9,}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
