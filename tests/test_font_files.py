"""The font files pixtok ships: they load, shape, cover the test corpus, and are reproducible.

These tests look at pixtok/fonts/ directly (not through the font registry): every file opens
with FreeType and HarfBuzz, the CJK subsets hold the character sets docs/fonts.md promises
(enumerated here from Python's codecs) and keep the Japanese, Korean and Traditional Chinese
glyph forms of the full font, the union of all shipped cmaps covers every character of every
test corpus text that needs a glyph, licence texts and the README checksums are present and
true, and the committed CJK subsets are what scripts/make_cjk_subset.py builds, byte for byte.
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
HAN = "NotoSansCJK-Han.otf"
HANGUL = "NotoSansCJK-Hangul.otf"

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
    "NotoSansBengali-Regular.ttf": ("Noto Sans Bengali", "বাংলা ভাষা ক্ষ ৎ ১২৩"),
    "NotoSansGurmukhi-Regular.ttf": ("Noto Sans Gurmukhi", "ਪੰਜਾਬੀ ਭਾਸ਼ਾ ੧੨੩"),
    "NotoSansGujarati-Regular.ttf": ("Noto Sans Gujarati", "ગુજરાતી ભાષા ક્ષ ૧૨૩"),
    "NotoSansTamil-Regular.ttf": ("Noto Sans Tamil", "தமிழ் மொழி க்ஷ ௧௨௩"),
    "NotoSansTelugu-Regular.ttf": ("Noto Sans Telugu", "తెలుగు భాష క్ష ౧౨౩"),
    "NotoSansKannada-Regular.ttf": ("Noto Sans Kannada", "ಕನ್ನಡ ಭಾಷೆ ಕ್ಷ ೧೨೩"),
    "NotoSansMalayalam-Regular.ttf": ("Noto Sans Malayalam", "മലയാളം ഭാഷ ക്ഷ ൻ ൧൨൩"),
    "NotoEmoji-Regular.ttf": ("Noto Emoji", "😀👍🏽❤️🇯🇵1️⃣👨\u200d👩\u200d👧🧑🏽\u200d💻"),
    HAN: ("Noto Sans CJK SC Han Subset", "汉字简体渲染迥「中文」、かなカナ語組直骨，。"),
    HANGUL: ("Noto Sans CJK KR Hangul Subset", "한국어 똠방각하 펲 뷁 ㄱㄴㄷ 각"),
}
LICENCE_FILES = ("LICENSE-DejaVu.txt", "OFL.txt")
# docs/fonts.md states the budget and why: no single committed file over 5 MB, all fonts together
# within 10 MB.
FILE_LIMIT = 5 * 1000 * 1000
SIZE_BUDGET = 10 * 1000 * 1000


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
    return sorted(CORPUS_DIR.glob("*.txt"))


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


def test_cjk_subset_keeps_vertical_forms() -> None:
    horizontal = [info.codepoint for info in shape(HAN, "「」", direction="ltr")]
    vertical = [info.codepoint for info in shape(HAN, "「」", direction="ttb")]
    assert horizontal != vertical, "vert/vrt2 lost: brackets keep horizontal glyphs in vertical text"


def outline(path: Path, index: int, gid: int) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...]]:
    """A glyph's outline in font units (points and contour ends), as FreeType reads it."""
    face = freetype.Face(str(path), index)
    face.load_glyph(gid, freetype.FT_LOAD_NO_SCALE)
    return tuple(face.glyph.outline.points), tuple(face.glyph.outline.contours)


def full_sc_face_index() -> int:
    """Index of the 'Noto Sans CJK SC' face in the full collection (by name, not position)."""
    blob = hb.Blob.from_file_path(str(CJK_TTC))
    index = 0
    while True:
        face = hb.Face(blob, index)
        if face.glyph_count == 0:
            raise AssertionError("no Noto Sans CJK SC face in the collection")
        if face.get_name(1) == "Noto Sans CJK SC":
            return index
        index += 1


# Characters whose Japanese form differs from the Chinese one in Noto Sans CJK.
LOCL_SAMPLES = "語組直骨"


@pytest.mark.parametrize("language", ["ja", "ko", "zh-Hant", "zh-Hans"])
def test_cjk_subset_keeps_the_language_forms_of_the_full_font(language: str) -> None:
    # Reference: HarfBuzz shaping the full Noto Sans CJK SC face of fonts-noto-cjk with the same
    # language. Glyph ids differ between the files, so the drawings are compared.
    if not CJK_TTC.is_file():
        pytest.skip(f"{CJK_TTC} not installed (Debian package fonts-noto-cjk)")
    index = full_sc_face_index()
    full_face = hb.Face(hb.Blob.from_file_path(str(CJK_TTC)), index)
    buf = hb.Buffer()
    buf.add_str(LOCL_SAMPLES)
    buf.guess_segment_properties()
    buf.language = language
    hb.shape(hb.Font(full_face), buf, {})
    reference = [outline(CJK_TTC, index, info.codepoint) for info in buf.glyph_infos]
    subset = [
        outline(FONT_DIR / HAN, 0, info.codepoint) for info in shape(HAN, LOCL_SAMPLES, language=language)
    ]
    assert subset == reference


def test_japanese_forms_differ_from_chinese_ones() -> None:
    zh = [info.codepoint for info in shape(HAN, LOCL_SAMPLES, language="zh-Hans")]
    ja = [info.codepoint for info in shape(HAN, LOCL_SAMPLES, language="ja")]
    assert all(a != b for a, b in zip(zh, ja, strict=True)), "locl lost: Japanese text gets Chinese forms"


def big5_codes(first: int, last: int) -> set[str]:
    """Characters of the Big5 codes first..last."""
    chars = set()
    for lead in range(first >> 8, (last >> 8) + 1):
        for trail in (*range(0x40, 0x7F), *range(0xA1, 0xFF)):
            if first <= (lead << 8 | trail) <= last:
                with contextlib.suppress(UnicodeDecodeError):
                    chars.add(bytes([lead, trail]).decode("big5"))
    return chars


# The coverage docs/fonts.md states, each set enumerated from Python's codecs or Unicode ranges.
DECLARED_SETS = [
    ("GB 2312 Hanzi, both levels", HAN, euc_rows("gb2312", 16, 87), 6763),
    ("JIS X 0208 kanji, both levels", HAN, euc_rows("euc_jp", 16, 84), 6355),
    ("Big5 common characters", HAN, big5_codes(0xA440, 0xC67E), 5401),
    ("KS X 1001 Hanja", HAN, euc_rows("euc_kr", 42, 93), 4888),
    ("Hiragana", HAN, assigned(0x3040, 0x309F), 93),
    ("Katakana", HAN, assigned(0x30A0, 0x30FF), 96),
    ("CJK Symbols and Punctuation", HAN, assigned(0x3000, 0x303F), 64),
    ("Halfwidth and Fullwidth Forms", HAN, assigned(0xFF00, 0xFFEF), 225),
    ("CJK Compatibility Forms", HAN, assigned(0xFE30, 0xFE4F), 32),
    ("Hangul syllables", HANGUL, assigned(0xAC00, 0xD7A3), 11172),
    ("KS X 1001 Hangul syllables", HANGUL, euc_rows("euc_kr", 16, 40), 2350),
    ("Hangul Jamo", HANGUL, assigned(0x1100, 0x11FF), 256),
    ("Hangul Compatibility Jamo", HANGUL, assigned(0x3130, 0x318F), 94),
]


@pytest.mark.parametrize(("name", "file", "chars", "count"), DECLARED_SETS, ids=[d[0] for d in DECLARED_SETS])
def test_cjk_subset_contains_declared_set(name: str, file: str, chars: set[str], count: int) -> None:
    assert len(chars) == count
    missing = sorted(c for c in chars if ord(c) not in cmap(file))
    assert not missing, f"{name}: {len(missing)} missing, e.g. {''.join(missing[:20])}"


def test_every_joyo_kanji_outside_jis_x_0208_is_covered() -> None:
    # Jōyō kanji (2010) that JIS X 0208 level 1 lacks: 30 level-2 ones and 𠮟 塡 剝 頰.
    beyond = "曖彙鬱楷諧毀嗅惧憬錮傲刹恣摯𠮟羞箋踪緻嘲塡貪丼剝訃璧哺頰喩瘍拉辣慄籠"
    assert len(beyond) == 34
    assert not euc_rows("euc_jp", 16, 47) & set(beyond)
    assert all(ord(c) in cmap(HAN) for c in beyond)


def test_characters_users_met_as_boxes_are_covered() -> None:
    # 渲 (渲染, "render") is GB 2312 level 2; 迥 is level 2 as well.
    assert all(ord(c) in cmap(HAN) for c in "渲染迥")


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
        "zh-cn_": (HAN, "CJK"),
        "zh-tw_": (HAN, "CJK"),
        "ja_": (HAN, "HIRAGANA"),
        "ko_": (HANGUL, "HANGUL"),
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


def fonttools_version_recorded_in(file: str) -> str:
    """The fontTools version make_cjk_subset.py wrote into name ID 5 of a committed subset."""
    face = freetype.Face(str(FONT_DIR / file))
    for index in range(face.sfnt_name_count):
        entry = face.get_sfnt_name(index)
        if entry.name_id == 5 and entry.platform_id == 3:
            match = re.search(r"fontTools (\S+)", entry.string.decode("utf-16-be"))
            if match:
                return match.group(1)
    return ""


@pytest.mark.slow
def test_cjk_subsets_rebuild_byte_identical(tmp_path: Path) -> None:
    if not CJK_TTC.is_file():
        pytest.skip(f"{CJK_TTC} not installed (Debian package fonts-noto-cjk); cannot rebuild the subsets")
    fonttools = pytest.importorskip("fontTools")
    recorded = {fonttools_version_recorded_in(file) for file in (HAN, HANGUL)}
    if recorded != {fonttools.version}:
        pytest.skip(f"the subsets were written by fontTools {recorded}, installed is {fonttools.version}")
    script = REPO / "scripts" / "make_cjk_subset.py"
    arguments = [sys.executable, str(script), "--ttc", str(CJK_TTC), "-o", tmp_path, "--corpus", CORPUS_DIR]
    # The two files are built side by side (about 40 s and 15 s on one core).
    builds = [
        subprocess.Popen([*arguments, "--only", file], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for file in (HAN, HANGUL)
    ]
    for build in builds:
        _, errors = build.communicate(timeout=1800)
        assert build.returncode == 0, errors.decode(errors="replace")
    for file in (HAN, HANGUL):
        assert (tmp_path / file).read_bytes() == (FONT_DIR / file).read_bytes(), file


def gbk_hanzi() -> set[str]:
    """The CJK Unified Ideographs of GBK (the double-byte area of Python's gbk codec)."""
    chars = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            if trail != 0x7F:
                with contextlib.suppress(UnicodeDecodeError):
                    char = bytes([lead, trail]).decode("gbk")
                    if unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH"):
                        chars.add(char)
    return chars


def jis_x_0212() -> set[str]:
    """The kanji of JIS X 0212 (rows 16-77), as euc_jp encodes them (0x8F, row, cell)."""
    chars = set()
    for row in range(16, 78):
        for cell in range(1, 95):
            with contextlib.suppress(UnicodeDecodeError):
                chars.add(bytes([0x8F, 0xA0 + row, 0xA0 + cell]).decode("euc_jp"))
    return chars


@pytest.mark.parametrize(
    ("name", "chars", "size", "covered"),
    [
        ("Big5 less common characters (0xC940-0xF9D5)", big5_codes(0xC940, 0xF9D5), 7652, 1809),
        ("GBK Hanzi", gbk_hanzi(), 20902, 10563),
        ("JIS X 0212 kanji", jis_x_0212(), 5801, 1635),
    ],
    ids=["big5-level2", "gbk", "jis-x-0212"],
)
def test_coverage_beyond_the_declared_sets_is_what_the_docs_state(
    name: str, chars: set[str], size: int, covered: int
) -> None:
    # docs/fonts.md states these figures for what the subset does not promise in full.
    assert len(chars) == size
    assert len({c for c in chars if ord(c) in cmap(HAN)}) == covered, name


def test_script_fonts_cover_their_unicode_blocks_as_the_docs_state() -> None:
    thai, lao = assigned(0x0E00, 0x0E7F), assigned(0x0E80, 0x0EFF)
    khmer = assigned(0x1780, 0x17FF) | assigned(0x19E0, 0x19FF)
    assert {c for c in thai if ord(c) not in cmap("NotoSansThai-Regular.ttf")} == set()
    assert {c for c in khmer if ord(c) not in cmap("NotoSansKhmer-Regular.ttf")} == set()
    # The Lao font predates the 15 Pali and Sanskrit letters and sign added in Unicode 12.
    lao_missing = {c for c in lao if ord(c) not in cmap("NotoSansLao-Regular.ttf")}
    assert (len(lao), len(lao_missing)) == (82, 15)
    assert all(re.match("LAO (LETTER|SIGN) (PALI|SANSKRIT) ", unicodedata.name(c)) for c in lao_missing)


# The Indic fonts, by block: (file, first and last code point, assigned characters, those it lacks).
INDIC_BLOCKS = {
    "bengali": ("NotoSansBengali-Regular.ttf", 0x0980, 0x09FF, 96, ""),
    "gurmukhi": ("NotoSansGurmukhi-Regular.ttf", 0x0A00, 0x0A7F, 80, ""),
    "gujarati": ("NotoSansGujarati-Regular.ttf", 0x0A80, 0x0AFF, 91, ""),
    "tamil": ("NotoSansTamil-Regular.ttf", 0x0B80, 0x0BFF, 72, ""),
    # Added in Unicode 14, after the fonts' release: the Telugu nukta and letter NAKAARA POLLU,
    # the Kannada letter NAKAARA POLLU.
    "telugu": ("NotoSansTelugu-Regular.ttf", 0x0C00, 0x0C7F, 100, "\u0c3c\u0c5d"),
    "kannada": ("NotoSansKannada-Regular.ttf", 0x0C80, 0x0CFF, 90, "\u0cdd"),
    "malayalam": ("NotoSansMalayalam-Regular.ttf", 0x0D00, 0x0D7F, 118, ""),
}


@pytest.mark.parametrize("script", sorted(INDIC_BLOCKS))
def test_indic_fonts_cover_their_blocks_as_the_docs_state(script: str) -> None:
    file, first, last, count, lacking = INDIC_BLOCKS[script]
    block = assigned(first, last)
    assert len(block) == count
    assert "".join(sorted(c for c in block if ord(c) not in cmap(file))) == lacking


def test_emoji_face_covers_every_emoji_code_point_of_python_unicode_data() -> None:
    import regex

    emoji = {
        c
        for c in map(chr, range(0x110000))
        if unicodedata.category(c) != "Cn" and regex.match(r"\p{Emoji}", c)
    }
    assert len(emoji) >= 1404  # Unicode 14, Python 3.11's unicodedata
    assert {c for c in emoji if ord(c) not in cmap("NotoEmoji-Regular.ttf")} == set()


def test_emoji_face_forms_sequences_by_ligature() -> None:
    from fontTools.ttLib import TTFont

    gsub = TTFont(str(FONT_DIR / "NotoEmoji-Regular.ttf"))["GSUB"].table
    ligatures = sum(
        len(ligature_set)
        for lookup in gsub.LookupList.Lookup
        if lookup.LookupType == 4
        for table in lookup.SubTable
        for ligature_set in table.ligatures.values()
    )
    assert ligatures == 3976  # the figure docs/fonts.md states
