"""Build pixtok/fonts/NotoSansCJK-Han.otf and NotoSansCJK-Hangul.otf, the CJK fonts that ship
inside the package.

The full Noto Sans CJK collection is 19.5 MB, too large for a wheel, and no committed file may
exceed 5 MB. This script takes two faces of NotoSansCJK-Regular.ttc (found by their name-table
family, not by index) and keeps the glyphs for character sets defined by national standards,
each computed here from Python's own codecs rather than typed in by hand.

NotoSansCJK-Han.otf, from the Simplified Chinese face (Noto Sans CJK SC): Han characters, kana
and CJK punctuation, so that a Japanese or Chinese line is one font and keeps its kerning.

* GB 2312 Hanzi, levels 1 and 2: rows 16-87, 6,763 characters (``gb2312`` codec).
* JIS X 0208 kanji, levels 1 and 2: rows 16-84, 6,355 characters (``euc_jp`` codec), plus the
  four Jōyō kanji (2010 list) that JIS X 0208 lacks in their Jōyō form: 𠮟 塡 剝 頰.
* Big5 common characters (常用字, 0xA440-0xC67E): 5,401 characters (``big5`` codec).
* KS X 1001 Hanja: rows 42-93, 4,888 code points (``euc_kr`` codec; 268 of them are the
  standard's duplicate readings, which Unicode encodes as CJK Compatibility Ideographs).
* The non-ideographic rows of GB 2312 (1-9), JIS X 0208 (1-8) and KS X 1001 (1-12):
  punctuation, symbols, full-width forms, kana, Greek, Cyrillic, box drawing.
* Whole Unicode blocks: Hiragana, Katakana, Katakana Phonetic Extensions, CJK Symbols and
  Punctuation, Halfwidth and Fullwidth Forms, Vertical Forms, CJK Compatibility Forms, and
  printable ASCII (so CJK text with embedded Latin keeps one design).
* Layout: the `locl` alternates for Japanese (JAN), Korean (KOR) and Traditional Chinese as used
  in Taiwan (ZHT) are kept, so HarfBuzz gives Japanese forms to text tagged `ja`; the Hong Kong
  forms (ZHH) are dropped to stay within the size budget (zh-HK text gets the default forms).

NotoSansCJK-Hangul.otf, from the Korean face (Noto Sans CJK KR): all 11,172 modern Hangul
syllables (U+AC00-D7A3), the conjoining jamo (U+1100-11FF, U+A960-A97F, U+D7B0-D7FF) with the
`ljmo`/`vjmo`/`tjmo` features that compose them, the compatibility jamo (U+3130-318F), and
printable ASCII.

Every character of the test corpus files zh-cn_*.txt, ja_*.txt and ko_*.txt goes to the file
whose ranges hold it, so the project's own test texts render with zero missing glyphs.

OpenType layout features that HarfBuzz applies (fontTools' default list, which includes locl,
vert, vrt2, palt, halt, kern, ccmp and the Hangul jamo features) are kept, plus the width
features fwid/hwid/pwid. CFF hints are dropped: pixtok rasterises without relying on them.

The output is deterministic: head.created/head.modified are pinned to the source face's
values, and the fontTools version that wrote each file is recorded in name ID 5 (another
fontTools version may serialise tables differently, so byte identity is only promised for the
same version).

Usage:
    python scripts/make_cjk_subset.py [--ttc PATH] [-o DIR] [--corpus DIR] [--only FILE]
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import fontTools
from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
DEFAULT_OUTPUT_DIR = REPO / "pixtok" / "fonts"
DEFAULT_CORPUS = REPO / "corpus"
CORPUS_PREFIXES = ("zh-cn_", "ja_", "ko_")

# Jōyō kanji (Cabinet Notice No. 2, 30 November 2010; 2,136 characters) that are not in
# JIS X 0208 level 1: 30 of them are level-2 characters; 𠮟 塡 剝 頰 are not in JIS X 0208 at
# all in their Jōyō form. Derived by comparing the Jōyō table with the euc_jp decoding of
# rows 16-47.
JOYO_BEYOND_JIS_LEVEL1 = "曖彙鬱楷諧毀嗅惧憬錮傲刹恣摯𠮟羞箋踪緻嘲塡貪丼剝訃璧哺頰喩瘍拉辣慄籠"

# Layout features kept on top of fontTools' defaults (width variants a user may request).
EXTRA_LAYOUT_FEATURES = ("fwid", "hwid", "pwid")

# Code points of the Hangul file; the Han file takes every other CJK character.
HANGUL_RANGES = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7AF), (0xD7B0, 0xD7FF))


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


def big5_range(first: int, last: int) -> set[int]:
    """Code points of the Big5 codes first..last (lead byte, then trail 0x40-0x7E or 0xA1-0xFE)."""
    points: set[int] = set()
    for lead in range(first >> 8, (last >> 8) + 1):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if not first <= (lead << 8 | trail) <= last:
                continue
            try:
                char = bytes([lead, trail]).decode("big5")
            except UnicodeDecodeError:
                continue
            points.add(ord(char))
    return points


def block(first: int, last: int) -> set[int]:
    """Assigned code points of the Unicode range first..last (inclusive)."""
    return {cp for cp in range(first, last + 1) if unicodedata.category(chr(cp)) != "Cn"}


def is_hangul(codepoint: int) -> bool:
    """Whether a code point belongs to the Hangul file."""
    return any(low <= codepoint <= high for low, high in HANGUL_RANGES)


def han_sets() -> dict[str, set[int]]:
    """The character sets of the Han file, by name; independent of any corpus."""
    non_hangul_ks = {cp for cp in decode_rows("euc_kr", 1, 12) if not is_hangul(cp)}
    return {
        "GB 2312 Hanzi, levels 1 and 2 (rows 16-87)": decode_rows("gb2312", 16, 87),
        "JIS X 0208 kanji, levels 1 and 2 (rows 16-84)": decode_rows("euc_jp", 16, 84),
        "Jōyō kanji beyond JIS X 0208 level 1": {ord(c) for c in JOYO_BEYOND_JIS_LEVEL1},
        "Big5 common characters (0xA440-0xC67E)": big5_range(0xA440, 0xC67E),
        "KS X 1001 Hanja (rows 42-93)": decode_rows("euc_kr", 42, 93),
        "GB 2312 non-Hanzi rows 1-9": decode_rows("gb2312", 1, 9),
        "JIS X 0208 non-kanji rows 1-8": decode_rows("euc_jp", 1, 8),
        "KS X 1001 non-Hangul rows 1-12, less the jamo": non_hangul_ks,
        "Hiragana U+3040-309F": block(0x3040, 0x309F),
        "Katakana U+30A0-30FF": block(0x30A0, 0x30FF),
        "Katakana Phonetic Extensions U+31F0-31FF": block(0x31F0, 0x31FF),
        "CJK Symbols and Punctuation U+3000-303F": block(0x3000, 0x303F),
        "Halfwidth and Fullwidth Forms U+FF00-FFEF": block(0xFF00, 0xFFEF),
        "Vertical Forms U+FE10-FE1F": block(0xFE10, 0xFE1F),
        "CJK Compatibility Forms U+FE30-FE4F": block(0xFE30, 0xFE4F),
        "ASCII U+0020-007E": block(0x20, 0x7E),
    }


def hangul_sets() -> dict[str, set[int]]:
    """The character sets of the Hangul file, by name."""
    return {
        "Hangul Syllables U+AC00-D7A3": block(0xAC00, 0xD7A3),
        "Hangul Jamo U+1100-11FF": block(0x1100, 0x11FF),
        "Hangul Compatibility Jamo U+3130-318F": block(0x3130, 0x318F),
        "Hangul Jamo Extended-A U+A960-A97F": block(0xA960, 0xA97F),
        "Hangul Jamo Extended-B U+D7B0-D7FF": block(0xD7B0, 0xD7FF),
        "ASCII U+0020-007E": block(0x20, 0x7E),
    }


@dataclass(frozen=True)
class CjkSubset:
    """One subset file: its source face, its new names, its character sets and which corpus
    characters it takes, and the language systems whose `locl` forms it keeps (None: all)."""

    file: str
    source_family: str
    family: str
    postscript: str
    sets: Callable[[], dict[str, set[int]]]
    takes: Callable[[int], bool]
    languages: frozenset[str] | None


SUBSETS = (
    CjkSubset(
        "NotoSansCJK-Han.otf",
        "Noto Sans CJK SC",
        "Noto Sans CJK SC Han Subset",
        "NotoSansCJKscHanSubset-Regular",
        han_sets,
        lambda cp: not is_hangul(cp),
        frozenset({"JAN", "KOR", "ZHS", "ZHT"}),
    ),
    CjkSubset(
        "NotoSansCJK-Hangul.otf",
        "Noto Sans CJK KR",
        "Noto Sans CJK KR Hangul Subset",
        "NotoSansCJKkrHangulSubset-Regular",
        hangul_sets,
        is_hangul,
        None,
    ),
)


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


def keep_languages(font: TTFont, languages: frozenset[str]) -> None:
    """Drop the GSUB/GPOS language systems not in `languages`: the subsetter then neuters their
    lookups, so their `locl` alternates are not pulled into the subset."""
    for tag in ("GSUB", "GPOS"):
        if tag not in font:
            continue
        for record in font[tag].table.ScriptList.ScriptRecord:
            script = record.Script
            script.LangSysRecord = [r for r in script.LangSysRecord if r.LangSysTag.strip() in languages]
            script.LangSysCount = len(script.LangSysRecord)


def rename(font: TTFont, family: str, postscript: str) -> None:
    """Mark the subset in the name table and CFF so it is never mistaken for the full font."""
    name = font["name"]
    version = name.getDebugName(5) or ""
    replacements = {
        1: family,
        3: f"{font['head'].fontRevision:.3f};GOOG;{postscript};ADOBE",
        4: family,
        5: f"{version}; subset by pixtok scripts/make_cjk_subset.py with fontTools {fontTools.version}",
        6: postscript,
    }
    for record in name.names:
        if record.nameID in replacements:
            record.string = replacements[record.nameID]
    # Name IDs 16/17 (typographic family) would still say "Noto Sans CJK SC": drop them.
    name.names = [record for record in name.names if record.nameID not in (16, 17)]
    cff = font["CFF "].cff
    cff.fontNames = [postscript]
    top = cff.topDictIndex[0]
    top.FamilyName = family
    top.FullName = f"{family} Regular"


def bounds_once(font: TTFont) -> None:
    """Compute each glyph's bounds once for the whole save: fontTools computes them three times
    while writing a CFF font (the CFF FontBBox, then hhea and vhea), by drawing the glyph."""
    charstrings = font["CFF "].cff.topDictIndex[0].CharStrings
    for name in font.getGlyphOrder():
        charstring = charstrings[name]
        bounds = charstring.calcBounds(charstrings)
        charstring.calcBounds = lambda glyph_set, bounds=bounds: bounds


def build_subset(spec: CjkSubset, ttc_path: Path, output: Path, corpus: set[int]) -> dict[str, int]:
    """Write one subset file; return counts for the report printed by main()."""
    index = face_index(ttc_path, spec.source_family)
    font = TTFont(str(ttc_path), fontNumber=index, recalcTimestamp=False)
    created, modified = font["head"].created, font["head"].modified
    cmap = font.getBestCmap()

    sets = spec.sets()
    generic = set().union(*sets.values())
    from_corpus = {cp for cp in corpus if spec.takes(cp)}
    wanted = generic | from_corpus
    available = {cp for cp in wanted if cp in cmap}

    if spec.languages is not None:
        keep_languages(font, spec.languages)
    options = subset.Options()
    options.layout_features = [*options.layout_features, *EXTRA_LAYOUT_FEATURES]
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(available))
    subsetter.subset(font)

    rename(font, spec.family, spec.postscript)
    font["head"].created = created
    font["head"].modified = modified
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    bounds_once(font)
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
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT_DIR, help="folder to write to")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="test corpus folder")
    parser.add_argument(
        "--only", choices=[spec.file for spec in SUBSETS], help="build this file alone (default: both)"
    )
    args = parser.parse_args(argv)
    if not args.ttc.is_file():
        parser.error(f"no such font collection: {args.ttc} (Debian package fonts-noto-cjk)")
    if not args.corpus.is_dir():
        parser.error(f"no such corpus folder: {args.corpus}")
    files = corpus_files(args.corpus)
    if not files:
        parser.error(f"no zh-cn_/ja_/ko_ *.txt files in {args.corpus}")
    corpus = corpus_points(files)
    built = [spec for spec in SUBSETS if args.only in (None, spec.file)]
    for spec in built:
        counts = build_subset(spec, args.ttc, args.output / spec.file, corpus)
        width = max(len(k) for k in counts)
        print(spec.file)
        for key, value in counts.items():
            print(f"  {key:<{width}}  {value:>9,}")
    print(f"wrote {', '.join(spec.file for spec in built)} to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
