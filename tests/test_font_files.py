"""The font files pixtok ships: they load, shape, cover the test corpus, and are reproducible.

These tests look at pixtok/fonts/ directly (not through the font registry): every file opens
with FreeType and HarfBuzz, the CJK subset holds the character sets docs/fonts.md promises,
the union of all shipped cmaps covers every character of every test corpus text that needs a
glyph, licence texts and the README checksums are present and true, and the committed CJK
subset is what scripts/make_cjk_subset.py builds, byte for byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import subprocess
import sys
import unicodedata
from functools import cache
from pathlib import Path

import freetype
import pytest
import uharfbuzz as hb

REPO = Path(__file__).resolve().parents[1]
FONT_DIR = REPO / "pixtok" / "fonts"
CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
CJK_TTC = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_SUBSET = "NotoSansCJK-Subset.otf"

# file -> (family name in the name table, a sample that font must shape without .notdef)
FONTS = {
    "DejaVuSans.ttf": ("DejaVu Sans", "Text ℕ ≡ ≤ ∸ ∀ → ⊥ ⊤ ⟨ ⟩ Привет Ελληνικά ─│┌"),
    "DejaVuSansMono.ttf": ("DejaVu Sans Mono", "def wrap(text: str) -> list[str]:  # ≤ →"),
    "NotoNaskhArabic-Regular.ttf": ("Noto Naskh Arabic", "مرحبا بالعالم می\u200cخواهم پژوهش"),
    "NotoSansHebrew-Regular.ttf": ("Noto Sans Hebrew", "שָׁלוֹם עולם"),
    "NotoSansDevanagari-Regular.ttf": ("Noto Sans Devanagari", "नमस्ते दुनिया क्षत्रिय"),
    "NotoSansThai-Regular.ttf": ("Noto Sans Thai", "ภาษาไทย สวัสดีครับ ๑๒๓ ฯลฯ"),
    "NotoSansLao-Regular.ttf": ("Noto Sans Lao", "ພາສາລາວ ສະບາຍດີ ໑໒໓"),
    "NotoSansKhmer-Regular.ttf": ("Noto Sans Khmer", "ភាសាខ្មែរ សួស្តី ១២៣"),
    "NotoEmoji-Regular.ttf": ("Noto Emoji", "😀👍🏽❤️🇯🇵1️⃣👨\u200d👩\u200d👧🧑🏽\u200d💻"),
    CJK_SUBSET: ("Noto Sans CJK SC Subset", "汉字简体「中文」、かなカナ한국어，。"),
}
LICENCE_FILES = ("LICENSE-DejaVu.txt", "OFL.txt")
# docs/fonts.md states the budget and why: no single committed file over 5 MB, all fonts together
# within 12 MiB.
FILE_LIMIT = 5 * 1000 * 1000
SIZE_BUDGET = 12 * 1024 * 1024


def euc_rows(codec: str, first_row: int, last_row: int) -> set[str]:
    """Characters of rows first..last of a 94x94 EUC-encoded national standard."""
    chars = set()
    for row in range(first_row, last_row + 1):
        for cell in range(1, 95):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([0xA0 + row, 0xA0 + cell]).decode(codec))
    return chars


def assigned(first: int, last: int) -> set[str]:
    """Assigned characters of the code point range first..last."""
    return {chr(cp) for cp in range(first, last + 1) if unicodedata.category(chr(cp)) != "Cn"}


def needs_glyph(char: str) -> bool:
    """Controls, format characters (ZWNJ, ZWJ, marks of direction), separators and variation
    selectors are never drawn, so no font needs a glyph for them."""
    cp = ord(char)
    if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
        return False
    return unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp")


@cache
def hb_face(file: str) -> hb.Face:
    return hb.Face(hb.Blob.from_file_path(str(FONT_DIR / file)))


@cache
def cmap(file: str) -> frozenset[int]:
    return frozenset(hb_face(file).unicodes)


def union_cmap() -> set[int]:
    return set().union(*(cmap(file) for file in FONTS))


def shape(file: str, text: str, **props: str) -> list[hb.GlyphInfo]:
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    for key, value in props.items():
        setattr(buf, key, value)
    hb.shape(hb.Font(hb_face(file)), buf, {})
    return buf.glyph_infos


def corpus_files() -> list[Path]:
    return sorted(CORPUS_DIR.glob("*.txt")) + sorted(CORPUS_DIR.glob("next/*.txt"))


def test_font_folder_holds_exactly_the_shipped_fonts_and_their_papers() -> None:
    fonts = {p.name for p in FONT_DIR.iterdir() if p.suffix.lower() in (".ttf", ".otf", ".ttc", ".tmp")}
    assert fonts == set(FONTS)
    for paper in (*LICENCE_FILES, "README.md"):
        assert (FONT_DIR / paper).is_file(), f"{paper} missing"


def test_fonts_fit_the_size_budget() -> None:
    sizes = {file: (FONT_DIR / file).stat().st_size for file in FONTS}
    assert sum(sizes.values()) <= SIZE_BUDGET, f"pixtok/fonts holds {sum(sizes.values()):,} bytes of fonts"
    too_large = {file: size for file, size in sizes.items() if size > FILE_LIMIT}
    assert not too_large, f"files over {FILE_LIMIT:,} bytes: {too_large}"


@pytest.mark.parametrize("file", sorted(FONTS))
def test_font_loads_and_renders_with_freetype(file: str) -> None:
    family, sample = FONTS[file]
    face = freetype.Face(str(FONT_DIR / file))
    assert face.family_name.decode() == family
    face.set_pixel_sizes(0, 32)
    drawn = [c for c in sample if not c.isspace() and needs_glyph(c)]
    for char in drawn:
        assert face.get_char_index(char) != 0, f"{file} has no glyph for {char!r}"
    face.load_char(drawn[0], freetype.FT_LOAD_RENDER)
    assert any(face.glyph.bitmap.buffer), f"{file} rendered an empty bitmap for {drawn[0]!r}"


@pytest.mark.parametrize("file", sorted(FONTS))
def test_font_shapes_with_harfbuzz_without_notdef(file: str) -> None:
    infos = shape(file, FONTS[file][1])
    assert infos
    assert all(info.codepoint != 0 for info in infos), f"{file} produced .notdef glyphs"


def test_devanagari_conjuncts_are_formed() -> None:
    # क्ष is three code points; GSUB (half/pres forms) must merge them into fewer glyphs.
    assert len(shape("NotoSansDevanagari-Regular.ttf", "क्ष")) < 3


def test_arabic_letters_join() -> None:
    # The same letter takes different glyphs in isolated and initial position (init/medi/fina).
    isolated = shape("NotoNaskhArabic-Regular.ttf", "ب")[0].codepoint
    joined = {info.codepoint for info in shape("NotoNaskhArabic-Regular.ttf", "ببب")}
    assert isolated not in joined


def test_cjk_subset_keeps_vertical_and_locl_features() -> None:
    horizontal = [info.codepoint for info in shape(CJK_SUBSET, "「」", direction="ltr")]
    vertical = [info.codepoint for info in shape(CJK_SUBSET, "「」", direction="ttb")]
    assert horizontal != vertical, "vert/vrt2 lost: brackets keep horizontal glyphs in vertical text"
    # 直 has a distinct Japanese form in Noto Sans CJK; locl selects it for language ja.
    zh = shape(CJK_SUBSET, "直", language="zh-Hans")[0].codepoint
    ja = shape(CJK_SUBSET, "直", language="ja")[0].codepoint
    assert zh != ja, "locl lost: Japanese text gets the Chinese glyph forms"


@pytest.mark.parametrize(
    ("name", "chars", "count"),
    [
        ("GB 2312 level-1 Hanzi", euc_rows("gb2312", 16, 55), 3755),
        ("JIS X 0208 level-1 kanji", euc_rows("euc_jp", 16, 47), 2965),
        ("KS X 1001 Hangul syllables", euc_rows("euc_kr", 16, 40), 2350),
        ("Hiragana", assigned(0x3040, 0x309F), 93),
        ("Katakana", assigned(0x30A0, 0x30FF), 96),
        ("CJK Symbols and Punctuation", assigned(0x3000, 0x303F), 64),
        ("Halfwidth and Fullwidth Forms", assigned(0xFF00, 0xFFEF), 225),
        ("CJK Compatibility Forms", assigned(0xFE30, 0xFE4F), 32),
    ],
)
def test_cjk_subset_contains_declared_set(name: str, chars: set[str], count: int) -> None:
    assert len(chars) == count
    missing = sorted(c for c in chars if ord(c) not in cmap(CJK_SUBSET))
    assert not missing, f"{name}: {len(missing)} missing, e.g. {''.join(missing[:20])}"


def test_cjk_subset_holds_every_joyo_kanji_outside_jis_level1() -> None:
    # Jōyō kanji (2010) that JIS X 0208 level 1 lacks: 30 level-2 ones and 𠮟 塡 剝 頰.
    beyond = "曖彙鬱楷諧毀嗅惧憬錮傲刹恣摯𠮟羞箋踪緻嘲塡貪丼剝訃璧哺頰喩瘍拉辣慄籠"
    assert len(beyond) == 34
    assert not euc_rows("euc_jp", 16, 47) & set(beyond)
    assert all(ord(c) in cmap(CJK_SUBSET) for c in beyond)


def test_symbol_rows_of_the_cjk_standards_are_covered_by_the_shipped_fonts() -> None:
    # Punctuation, symbols, Greek, Cyrillic, box drawing and jamo of GB 2312 / JIS X 0208 / KS X 1001;
    # a few Latin letters there (Ħ, Ł, ŋ ...) come from DejaVu Sans, not from the CJK face.
    rows = euc_rows("gb2312", 1, 9) | euc_rows("euc_jp", 1, 8) | euc_rows("euc_kr", 1, 12)
    missing = sorted(c for c in rows if ord(c) not in union_cmap())
    assert not missing, f"not covered: {''.join(missing)}"


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_shipped_fonts_cover_every_corpus_character(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    covered = union_cmap()
    missing = sorted({c for c in text if needs_glyph(c) and ord(c) not in covered})
    assert not missing, f"{path.name}: no glyph for " + " ".join(f"U+{ord(c):04X}" for c in missing)


def test_corpus_is_present() -> None:
    assert len(corpus_files()) >= 14


def test_corpus_scripts_each_come_from_their_intended_font() -> None:
    # Coverage by the union could hide a gap filled by an accidental font; check the script fonts.
    expectations = {
        "fa_": ("NotoNaskhArabic-Regular.ttf", "ARABIC"),
        "ar_": ("NotoNaskhArabic-Regular.ttf", "ARABIC"),
        "he_": ("NotoSansHebrew-Regular.ttf", "HEBREW"),
        "hi_": ("NotoSansDevanagari-Regular.ttf", "DEVANAGARI"),
        "zh-cn_": (CJK_SUBSET, "CJK"),
        "ja_": (CJK_SUBSET, "HIRAGANA"),
        "ko_": (CJK_SUBSET, "HANGUL"),
        "th_": ("NotoSansThai-Regular.ttf", "THAI"),
    }
    for prefix, (file, word) in expectations.items():
        (path,) = [p for p in corpus_files() if p.name.startswith(prefix)]
        chars = {c for c in path.read_text(encoding="utf-8") if word in unicodedata.name(c, "")}
        assert chars, f"{path.name} has no {word} characters"
        missing = sorted(c for c in chars if ord(c) not in cmap(file))
        assert not missing, f"{file} lacks {''.join(missing)} from {path.name}"


def test_licence_files_exist_and_name_the_fonts() -> None:
    dejavu = (FONT_DIR / "LICENSE-DejaVu.txt").read_text(encoding="utf-8")
    assert "Bitstream Vera Fonts Copyright" in dejavu
    assert "Arev Fonts Copyright" in dejavu
    assert "DejaVu changes are in public domain" in dejavu
    ofl = (FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in ofl
    assert "PERMISSION & CONDITIONS" in ofl
    for file in FONTS:
        if file.startswith("Noto"):
            assert re.search(rf"{re.escape(file)}: (Copyright|©) \d{{4}}", ofl), (
                f"no copyright line for {file}"
            )


def test_readme_lists_each_file_with_true_size_and_sha256() -> None:
    readme = (FONT_DIR / "README.md").read_text(encoding="utf-8")
    for file, (family, _) in FONTS.items():
        data = (FONT_DIR / file).read_bytes()
        (row,) = [line for line in readme.splitlines() if line.startswith(f"| {file} |")]
        assert f"| {family} |" in row
        assert f"| {len(data):,} |" in row
        assert hashlib.sha256(data).hexdigest() in row


def fonttools_version_recorded_in_subset() -> str:
    """The fontTools version make_cjk_subset.py wrote into name ID 5 of the committed subset."""
    face = freetype.Face(str(FONT_DIR / CJK_SUBSET))
    for index in range(face.sfnt_name_count):
        entry = face.get_sfnt_name(index)
        if entry.name_id == 5 and entry.platform_id == 3:
            match = re.search(r"fontTools (\S+)", entry.string.decode("utf-16-be"))
            if match:
                return match.group(1)
    return ""


@pytest.mark.slow
def test_cjk_subset_rebuilds_byte_identical(tmp_path: Path) -> None:
    if not CJK_TTC.is_file():
        pytest.skip(f"{CJK_TTC} not installed (Debian package fonts-noto-cjk); cannot rebuild the subset")
    fonttools = pytest.importorskip("fontTools")
    recorded = fonttools_version_recorded_in_subset()
    if recorded != fonttools.version:
        pytest.skip(f"committed subset was written by fontTools {recorded}, installed is {fonttools.version}")
    out = tmp_path / CJK_SUBSET
    script = REPO / "scripts" / "make_cjk_subset.py"
    subprocess.run(
        [sys.executable, str(script), "--ttc", str(CJK_TTC), "-o", str(out), "--corpus", str(CORPUS_DIR)],
        check=True,
        capture_output=True,
    )
    assert out.read_bytes() == (FONT_DIR / CJK_SUBSET).read_bytes()
