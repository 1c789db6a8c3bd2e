"""Shaping against HarfBuzz itself: whole paragraphs of the corpus, shaped by pixtok's run
itemizer and shaper, give the glyph ids, advances and offsets that uharfbuzz gives for the same
paragraph in one buffer with the same font and language; `hb-shape` (Debian libharfbuzz-bin,
a separate HarfBuzz build) is a second reference where its version agrees.

Paragraphs are chosen by the Unicode names of their letters alone (every letter of the one
script; no digits or Latin letters in right-to-left paragraphs), so the choice does not depend
on pixtok's itemizer.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import uharfbuzz as hb
from installed_fonts import fontconfig_files_with

from pixtok import RenderConfig, Renderer, UsageError, render
from pixtok.render._shape import run_columns
from pixtok.render.fonts import FONT_DIR, FontChain
from pixtok.render.itemize import character_table
from pixtok.render.shaping import Shaper
from pixtok.render.text import prepare

HB_SHAPE = shutil.which("hb-shape")

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
#: GTK 3's messages in scripts the corpus lacks (tests/texts/README.md).
TEXTS_DIR = Path(__file__).resolve().parent / "texts"

# language -> (corpus file, Unicode name prefixes of its letters, bundled font, BCP 47 tag)
KANJI_AND_KANA = ("CJK", "HIRAGANA", "KATAKANA")
CASES = {
    "japanese": ("ja_prose_debian-reference.txt", KANJI_AND_KANA, "NotoSansCJK-Han.otf", "ja"),
    "chinese": ("zh-cn_prose_debian-reference.txt", ("CJK",), "NotoSansCJK-Han.otf", "zh-Hans"),
    "korean": ("ko_prose_gnome-help.txt", ("HANGUL",), "NotoSansCJK-Hangul.otf", "ko"),
    "arabic": ("ar_msgstr_gtk20-properties.txt", ("ARABIC",), "NotoNaskhArabic-Regular.ttf", "ar"),
    "persian": ("fa_prose_gnome-help.txt", ("ARABIC",), "NotoNaskhArabic-Regular.ttf", "fa"),
    "hebrew": ("he_msgstr_gnome-gnu.txt", ("HEBREW",), "NotoSansHebrew-Regular.ttf", "he"),
    "hindi": ("hi_prose_libreoffice-help.txt", ("DEVANAGARI",), "NotoSansDevanagari-Regular.ttf", "hi"),
    "thai": ("th_wiki_openoffice.txt", ("THAI",), "NotoSansThai-Regular.ttf", "th"),
    "bengali": ("bn_msgstr_gtk30.txt", ("BENGALI",), "NotoSansBengali-Regular.ttf", "bn"),
    "punjabi": ("pa_msgstr_gtk30.txt", ("GURMUKHI",), "NotoSansGurmukhi-Regular.ttf", "pa"),
    "gujarati": ("gu_msgstr_gtk30.txt", ("GUJARATI",), "NotoSansGujarati-Regular.ttf", "gu"),
    "tamil": ("ta_msgstr_gtk30.txt", ("TAMIL",), "NotoSansTamil-Regular.ttf", "ta"),
    "telugu": ("te_msgstr_gtk30.txt", ("TELUGU",), "NotoSansTelugu-Regular.ttf", "te"),
    "kannada": ("kn_msgstr_gtk30.txt", ("KANNADA",), "NotoSansKannada-Regular.ttf", "kn"),
    "malayalam": ("ml_msgstr_gtk30.txt", ("MALAYALAM",), "NotoSansMalayalam-Regular.ttf", "ml"),
    "armenian": ("hy_msgstr_gtk30.txt", ("ARMENIAN",), "DejaVuSans.ttf", "hy"),
    "georgian": ("ka_msgstr_gtk30.txt", ("GEORGIAN",), "DejaVuSans.ttf", "ka"),
    "greek": ("el_msgstr_gtk30.txt", ("GREEK",), "DejaVuSans.ttf", "el"),
    "uyghur": ("ug_msgstr_gtk30.txt", ("ARABIC",), "NotoNaskhArabic-Regular.ttf", "ug"),
}  # fmt: skip
INDIC = ("bengali", "punjabi", "gujarati", "tamil", "telugu", "kannada", "malayalam")
#: Scripts no bundled font has, drawn by an installed font (Debian's fonts-noto-core, in
#: system-packages.txt): language -> (GTK 3's messages, Unicode name prefixes, BCP 47, ISO 15924).
SYSTEM_CASES = {
    "odia": ("or_msgstr_gtk30.txt", ("ORIYA",), "or", "Orya"),
    "sinhala": ("si_msgstr_gtk30.txt", ("SINHALA",), "si", "Sinh"),
    "burmese": ("my_msgstr_gtk30.txt", ("MYANMAR",), "my", "Mymr"),
}
RTL = {"arabic", "persian", "hebrew", "uyghur"}
MAX_PARAGRAPHS = 30


@cache
def corpus(name: str) -> str:
    """A text of the corpus, or of tests/texts where the corpus has none in its script."""
    path = CORPUS_DIR / name
    return (path if path.is_file() else TEXTS_DIR / name).read_text(encoding="utf-8")


def single_script_paragraphs(case: str) -> list[str]:
    file, prefixes = (CASES[case] if case in CASES else SYSTEM_CASES[case])[:2]

    def of_script(char: str) -> bool:
        return not char.isalpha() or unicodedata.name(char, "").startswith(prefixes)

    def one_direction(paragraph: str) -> bool:
        classes = {unicodedata.bidirectional(c) for c in paragraph}
        return case not in RTL or not classes & {"L", "EN", "AN", "ET", "ES"}

    paragraphs = [
        p for p in corpus(file).split("\n") if len(p) >= 20 and all(map(of_script, p)) and one_direction(p)
    ]
    return paragraphs[:MAX_PARAGRAPHS]


def reference(font_file: str, text: str, language: str) -> np.ndarray:
    """(glyph id, x advance, x offset, y offset) per glyph, in HarfBuzz's (visual) order."""
    face = hb.Face(hb.Blob.from_file_path(str(FONT_DIR / font_file)))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.language = language
    buf.guess_segment_properties()
    hb.shape(hb.Font(face), buf, {})
    return np.asarray(
        [
            (i.codepoint, p.x_advance, p.x_offset, p.y_offset)
            for i, p in zip(buf.glyph_infos, buf.glyph_positions, strict=True)
        ],
        dtype=np.int64,
    ).reshape(-1, 4)


def pixtok_glyphs(
    font_file: str, text: str, language: str | None, rtl: bool = False
) -> tuple[np.ndarray, list[str]]:
    """The same four columns from pixtok's shaper (one font, no fallback), in visual order."""
    chain = FontChain.from_specs([str(FONT_DIR / font_file)], fallback=False, system_fonts=False)
    shaped = Shaper(chain).shape(prepare(text), language)
    glyphs = np.stack([shaped.gid, shaped.advance, shaped.x_offset, shaped.y_offset], axis=1).astype(np.int64)
    return (glyphs[::-1] if rtl else glyphs), shaped.runs.languages


@pytest.mark.parametrize("case", list(CASES))
def test_paragraphs_shape_as_harfbuzz_shapes_them(case: str) -> None:
    _, _, font_file, language = CASES[case]
    paragraphs = single_script_paragraphs(case)
    assert len(paragraphs) >= 3, f"too few single-script {case} paragraphs"
    for paragraph in paragraphs:
        ours, _ = pixtok_glyphs(font_file, paragraph, language, rtl=case in RTL)
        theirs = reference(font_file, paragraph, language)
        assert ours.shape == theirs.shape, paragraph
        assert np.array_equal(ours, theirs), paragraph


def test_english_with_hyphens_keeps_its_kerning() -> None:
    """Shaped as one run, a hyphenated compound keeps the kerning between a letter and a hyphen
    (DejaVu Sans kerns 'e-' and '-o'), where word-by-word shaping lost it."""
    paragraphs = [p for p in corpus("en_prose_debian-reference.txt").split("\n") if "-" in p and len(p) > 40]
    texts = ["state-of-the-art", "The state-of-the-art well-known run-time type-checker.", *paragraphs[:20]]
    for text in texts:
        ours, _ = pixtok_glyphs("DejaVuSans.ttf", text, "en")
        assert np.array_equal(ours, reference("DejaVuSans.ttf", text, "en")), text
    hyphen = reference("DejaVuSans.ttf", "-", "en")[0, 1]
    around = reference("DejaVuSans.ttf", "e-o", "en")[:, 1]
    pieces = (
        reference("DejaVuSans.ttf", "e", "en")[0, 1] + hyphen + reference("DejaVuSans.ttf", "o", "en")[0, 1]
    )
    assert around.sum() != pieces, "DejaVu Sans kerns around the hyphen (else this test shows nothing)"


def test_japanese_language_is_inferred_and_picks_japanese_forms() -> None:
    """Without --lang, a paragraph with kana is Japanese: 語 and 直 take their Japanese forms
    (locl), and す before 。 narrows to 900/1000 em as HarfBuzz shapes it in one buffer."""
    text = "日本語の直す。"
    ours, languages = pixtok_glyphs("NotoSansCJK-Han.otf", text, None)
    assert languages == ["ja"]
    japanese = reference("NotoSansCJK-Han.otf", text, "ja")
    assert np.array_equal(ours, japanese)
    chinese = reference("NotoSansCJK-Han.otf", text, "zh-Hans")
    assert not np.array_equal(japanese[:, 0], chinese[:, 0]), "the font has Japanese forms of 語 and 直"
    assert japanese[text.index("す"), 1] == 900


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("日本語のテキスト", ["ja"]),
        ("中文文本", ["zh-Hans"]),
        ("這是繁體中文", ["zh-Hant"]),  # 這 體: written only in Traditional Chinese
        ("这是简体中文", ["zh-Hans"]),  # 简: only in Simplified Chinese
        ("們们", ["zh-Hans"]),  # as many of each: Simplified, as with neither
        ("這個国", ["zh-Hant"]),
        ("這個\n中文", ["zh-Hant"]),  # the document decides for every Han-only paragraph
        ("한국어 텍스트", ["ko"]),
        ("語学\nひらがな", ["ja"]),  # a Han-only paragraph of a Japanese document is Japanese
        ("plain English", []),
    ],
)
def test_languages_inferred_for_cjk_text(text: str, expected: list[str]) -> None:
    assert render(text, RenderConfig(page="300x100")).languages == expected


def test_lang_option_overrides_inference() -> None:
    result = render("日本語のテキスト", RenderConfig(page="300x100", lang="zh-Hant"))
    assert result.languages == ["zh-Hant"]
    assert result.summary()["languages"] == ["zh-Hant"]


#: The examples of RFC 5646 (Tags for Identifying Languages), Appendix A: well-formed tags, and
#: two that are not (two regions; a one-letter language).
RFC_5646_TAGS = [
    "de",
    "fr",
    "ja",
    "i-enochian",
    "zh-Hant",
    "zh-Hans",
    "sr-Cyrl",
    "sr-Latn",
    "zh-cmn-Hans-CN",
    "cmn-Hans-CN",
    "zh-yue-HK",
    "yue-HK",
    "zh-Hans-CN",
    "sr-Latn-RS",
    "sl-rozaj",
    "sl-rozaj-biske",
    "sl-nedis",
    "de-CH-1901",
    "sl-IT-nedis",
    "hy-Latn-IT-arevela",
    "de-DE",
    "en-US",
    "es-419",
    "de-CH-x-phonebk",
    "az-Arab-x-AZE-derbend",
    "x-whatever",
    "qaa-Qaaa-QM-x-southern",
    "de-Qaaa",
    "sr-Latn-QM",
    "sr-Qaaa-RS",
    "en-US-u-islamcal",
    "zh-CN-a-myext-x-private",
    "en-a-myext-b-another",
]
NOT_RFC_5646_TAGS = ("de-419-DE", "a-DE")


@pytest.mark.parametrize("tag", RFC_5646_TAGS)
def test_every_well_formed_language_tag_of_rfc_5646_renders(tag: str) -> None:
    result = render("日本語 text", RenderConfig(page="300x100", lang=tag))
    assert result.summary()["languages"] == [RenderConfig(lang=tag).lang]
    assert RenderConfig(lang=tag).lang.lower() == tag.lower()


@pytest.mark.parametrize("tag", NOT_RFC_5646_TAGS)
def test_a_tag_rfc_5646_calls_malformed_is_a_usage_error(tag: str) -> None:
    with pytest.raises(UsageError, match="not a BCP 47 language tag"):
        RenderConfig(lang=tag)


def test_every_run_is_one_harfbuzz_call_per_paragraph() -> None:
    """A paragraph in one font, script and direction is one run, spaces and punctuation included."""
    text = corpus("en_prose_debian-reference.txt").split("\n")[4]
    renderer = Renderer(RenderConfig())
    shaped = renderer.shaper.shape(prepare(text), None)
    assert len(shaped.runs) == 1 and shaped.runs.end[0] == len(text)
    japanese = single_script_paragraphs("japanese")[0]
    assert len(renderer.shaper.shape(prepare(japanese), None).runs) == 1


@pytest.mark.parametrize(
    ("text", "language", "context", "mark"),
    [
        # Japanese text without --lang: the question mark after a Latin word is Japanese.
        ("これは Debian？", None, ("これは？", "ja"), "？"),
        ("Debian：設定です", None, ("設定です：", "ja"), "："),
        # Korean: the Hangul font lacks the full-width colon; the CJK font draws it, Korean.
        ("한국어：GNOME", None, ("한국어：", "ko"), "："),
        # Traditional Chinese given: the full stop after a Latin word is centred.
        ("這是 Debian。很好", "zh-Hant", ("這是。", "zh-Hant"), "。"),
    ],
)
def test_full_width_punctuation_takes_the_glyph_forms_of_its_text(
    text: str, language: str | None, context: tuple[str, str], mark: str
) -> None:
    """Full-width punctuation drawn in another font than the letter before it (the CJK font
    after a Latin word, or after Hangul, whose font lacks it) gets the glyph HarfBuzz gives it
    within the CJK text it belongs to, in that text's language, not the CJK font's default
    (Simplified Chinese) form."""
    chain = FontChain.from_specs((), fallback=True, system_fonts=False)
    shaped = Shaper(chain).shape(prepare(text), language)
    ours = shaped.gid[np.flatnonzero(shaped.cluster == text.index(mark))]
    context_text, context_language = context
    theirs = reference("NotoSansCJK-Han.otf", context_text, context_language)[context_text.index(mark), 0]
    default = reference("NotoSansCJK-Han.otf", context_text, "zh-Hans")[context_text.index(mark), 0]
    assert ours.tolist() == [theirs]
    assert theirs != default, "the font has a form of this mark for the language"


@pytest.mark.parametrize(
    ("file", "given", "language", "font_file", "script"),
    [
        ("ja_prose_debian-reference.txt", None, "ja", "NotoSansCJK-Han.otf", "Hani"),
        ("zh-cn_prose_debian-reference.txt", None, "zh-Hans", "NotoSansCJK-Han.otf", "Hani"),
        ("zh-cn_prose_debian-reference.txt", "zh-Hant", "zh-Hant", "NotoSansCJK-Han.otf", "Hani"),
        ("zh-tw_prose_debian-reference.txt", None, "zh-Hant", "NotoSansCJK-Han.otf", "Hani"),
        ("ja_prose_debian-reference.txt", "ko", "ko", "NotoSansCJK-Han.otf", "Hani"),
        ("ko_prose_gnome-help.txt", None, "ko", "NotoSansCJK-Hangul.otf", "Hang"),
        ("ar_msgstr_gtk20-properties.txt", None, "ar", "NotoNaskhArabic-Regular.ttf", "Arab"),
        # Persian forms (of the decimal separator, of guillemets) need the language given.
        ("fa_prose_gnome-help.txt", "fa", "fa", "NotoNaskhArabic-Regular.ttf", "Arab"),
        ("he_msgstr_gnome-gnu.txt", None, "he", "NotoSansHebrew-Regular.ttf", "Hebr"),
        ("hi_prose_libreoffice-help.txt", None, "hi", "NotoSansDevanagari-Regular.ttf", "Deva"),
        ("th_wiki_openoffice.txt", None, "th", "NotoSansThai-Regular.ttf", "Thai"),
        ("bn_msgstr_gtk30.txt", None, "bn", "NotoSansBengali-Regular.ttf", "Beng"),
        ("pa_msgstr_gtk30.txt", None, "pa", "NotoSansGurmukhi-Regular.ttf", "Guru"),
        ("gu_msgstr_gtk30.txt", None, "gu", "NotoSansGujarati-Regular.ttf", "Gujr"),
        ("ta_msgstr_gtk30.txt", None, "ta", "NotoSansTamil-Regular.ttf", "Taml"),
        ("te_msgstr_gtk30.txt", None, "te", "NotoSansTelugu-Regular.ttf", "Telu"),
        ("kn_msgstr_gtk30.txt", None, "kn", "NotoSansKannada-Regular.ttf", "Knda"),
        ("ml_msgstr_gtk30.txt", None, "ml", "NotoSansMalayalam-Regular.ttf", "Mlym"),
    ],
)
def test_every_character_a_script_s_font_draws_has_its_form_in_the_text_s_language(
    file: str, given: str | None, language: str, font_file: str, script: str
) -> None:
    """Whole corpus texts, Latin words, digits and punctuation and all: every character pixtok
    draws with the font of the text's script gets the glyph HarfBuzz gives it when it shapes
    the character's paragraph in that font alone, in that script and the text's language (the
    one given, else the one inferred for the document), so no character falls back to the
    font's default forms for want of a script or language, nor loses its joining or mirroring."""
    chain = FontChain.from_specs((), fallback=True, system_fonts=False)
    assert_forms_of_the_text_s_language(corpus(file), chain, given, language, FONT_DIR / font_file, script)


def assert_forms_of_the_text_s_language(
    text: str, chain: FontChain, given: str | None, language: str, font_path: Path, script: str
) -> None:
    """Every character `chain` draws with the font at `font_path` has the glyphs HarfBuzz gives
    it in its paragraph shaped with that font alone, in `script` and `language`."""
    shaped = Shaper(chain).shape(prepare(text), given)
    drawn_by = next(i for i, font in enumerate(chain.fonts) if font.path == font_path)
    ours: dict[int, list[int]] = {}
    columns = (shaped.gid.tolist(), shaped.cluster.tolist(), shaped.font.tolist())
    for gid, cluster, font in zip(*columns, strict=True):
        if font == drawn_by and text[cluster] != "\n":  # newlines draw nothing
            ours.setdefault(cluster, []).append(gid)
    assert len(ours) > 500
    hb_font = hb.Font(hb.Face(hb.Blob.from_file_path(str(font_path))))
    theirs: dict[int, list[int]] = {}
    start = 0
    for paragraph in text.split("\n"):
        buf = hb.Buffer()
        buf.add_str(paragraph)
        buf.guess_segment_properties()
        buf.language, buf.script = language, script
        buf.direction = "rtl" if script in ("Arab", "Hebr") else "ltr"
        hb.shape(hb_font, buf, {})
        for info in buf.glyph_infos:
            theirs.setdefault(start + info.cluster, []).append(info.codepoint)
        start += len(paragraph) + 1
    # A cluster's glyphs in logical order (pixtok's) against visual (HarfBuzz's, right to left).
    differ = [(text[c], c) for c, gids in ours.items() if sorted(theirs.get(c, [])) != sorted(gids)]
    assert not differ, differ[:10]


@cache
def system_font(case: str) -> Path:
    """The installed font pixtok's system fallback draws a script with (one fontconfig lists for
    the script's letters); skips where none is installed."""
    file, prefixes, language, _ = SYSTEM_CASES[case]
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig is not installed: there is no system font to fall back to")
    text = corpus(file)
    result = render(text, RenderConfig(lang=language))
    if result.missing_glyphs:
        pytest.skip(f"no installed font has {case} (Debian package fonts-noto-core)")
    letters = {c for c in text if unicodedata.name(c, "").startswith(prefixes)}
    described = dict(zip(sorted(set(result.glyphs.font.tolist())), result.fonts, strict=True))
    of_letters = np.isin(result.glyphs.char_offset, [i for i, c in enumerate(text) if c in letters])
    drawing = {
        (described[f]["path"], described[f]["index"], described[f]["origin"])
        for f in set(result.glyphs.font[of_letters].tolist())
    }
    ((path, index, origin),) = drawing
    assert origin == "system fallback" and index == 0
    assert (path, index) in fontconfig_files_with("".join(letters)), "fontconfig: it has every letter"
    return Path(path)


@pytest.mark.parametrize("case", list(SYSTEM_CASES))
def test_scripts_drawn_by_system_fonts_shape_as_harfbuzz_shapes_them(case: str) -> None:
    """Odia, Sinhala and Burmese (no bundled font) are drawn by the installed font fontconfig
    gives; whole paragraphs get HarfBuzz's glyphs, advances and offsets with that font (uharfbuzz,
    and `hb-shape` where installed), and every character of the text its forms in its language."""
    font = system_font(case)
    file, _, language, script = SYSTEM_CASES[case]
    paragraphs = single_script_paragraphs(case)
    assert len(paragraphs) >= 20
    for paragraph in paragraphs:
        ours, _ = pixtok_glyphs(str(font), paragraph, language)
        assert np.array_equal(ours, reference(str(font), paragraph, language)), paragraph
    if HB_SHAPE is not None:
        for paragraph in paragraphs[:5]:
            ours, _ = pixtok_glyphs(str(font), paragraph, language)
            assert np.array_equal(ours, hb_shape(str(font), paragraph, language)), paragraph
    chain = FontChain.from_specs((), fallback=True, system_fonts=True)
    assert_forms_of_the_text_s_language(corpus(file), chain, None, language, font, script)


def hb_shape(font_file: str, text: str, language: str) -> np.ndarray:
    out = subprocess.run(
        [HB_SHAPE, "--no-glyph-names", f"--language={language}", str(FONT_DIR / font_file), text],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    rows = []
    for item in out.strip("[]").split("|"):
        gid, rest = item.split("=")
        _, _, advance = rest.partition("+")
        offsets = rest.split("@")[1].split("+")[0] if "@" in rest else "0,0"
        x_offset, y_offset = (int(v) for v in offsets.split(","))
        rows.append((int(gid), int(advance), x_offset, y_offset))
    return np.asarray(rows, dtype=np.int64)


@pytest.mark.skipif(HB_SHAPE is None, reason="hb-shape (libharfbuzz-bin) is not installed")
@pytest.mark.parametrize("case", ["japanese", "korean", "hindi", *INDIC, "armenian", "georgian", "greek"])
def test_hb_shape_agrees(case: str) -> None:
    _, _, font_file, language = CASES[case]
    for paragraph in single_script_paragraphs(case)[:5]:
        ours, _ = pixtok_glyphs(font_file, paragraph, language)
        assert np.array_equal(ours, hb_shape(font_file, paragraph, language)), paragraph


@pytest.mark.skipif(HB_SHAPE is None, reason="hb-shape (libharfbuzz-bin) is not installed")
def test_hb_shape_agrees_on_hyphenated_english() -> None:
    text = "The state-of-the-art well-known run-time type-checker."
    ours, _ = pixtok_glyphs("DejaVuSans.ttf", text, "en")
    assert np.array_equal(ours, hb_shape("DejaVuSans.ttf", text, "en"))


def test_a_break_where_harfbuzz_says_unsafe_reshapes_the_line_edges() -> None:
    """An Arabic word wider than the line breaks between letters that join: HarfBuzz marks those
    places unsafe to break, and each line's glyphs become what HarfBuzz gives for the line's
    text alone (final and initial forms at the break), not the joined forms of the whole word."""
    word = "بسماللهالرحمنالرحيمبسماللهالرحمنالرحيم"
    font = str(FONT_DIR / "NotoNaskhArabic-Regular.ttf")
    result = render(
        word, RenderConfig(page="80x400", size="16px", margin="4px", fonts=(font,), fallback=False)
    )
    assert result.lines >= 3
    whole = sorted(reference("NotoNaskhArabic-Regular.ttf", word, "und")[:, 0].tolist())
    drawn = []
    for start, end in result.line_char_span.tolist():
        on_line = (result.glyphs.char_offset >= start) & (result.glyphs.char_offset < end)
        ours = sorted(result.glyphs.glyph_id[on_line].tolist())
        assert ours == sorted(reference("NotoNaskhArabic-Regular.ttf", word[start:end], "und")[:, 0].tolist())
        drawn += ours
    assert sorted(drawn) != whole, "the line edges changed form"


def test_controls_the_font_lacks_are_hidden_and_the_rest_is_harfbuzz_s() -> None:
    """Controls (HarfBuzz gives them glyph 0 in DejaVu Sans) get no glyph, advance or offset;
    every other glyph is HarfBuzz's (format characters it hides itself, as zero-width spaces),
    with its run's level and font."""
    controls = "\u0007\u001b\u007f\u0090"
    assert all(unicodedata.category(c) == "Cc" for c in controls)
    text = f"pre{controls[0]}fix {controls[1]}word{controls[2]} and\u2066 tag\U000e0041{controls[3]}."
    chain = FontChain.from_specs([str(FONT_DIR / "DejaVuSans.ttf")], fallback=False, system_fonts=False)
    shaped = Shaper(chain).shape(prepare(text), None)
    theirs = reference("DejaVuSans.ttf", text, "en")
    gone = theirs[:, 0] == 0
    assert gone.sum() == len(controls)
    assert sorted(shaped.cps[shaped.cluster[gone]].tolist()) == sorted(map(ord, controls))
    assert (shaped.gid[gone] == -1).all()
    for column in (shaped.advance, shaped.x_offset, shaped.y_offset):
        assert not column[gone].any()
    ours = np.stack([shaped.gid, shaped.advance, shaped.x_offset, shaped.y_offset], axis=1)
    assert np.array_equal(ours[~gone], theirs[~gone])
    assert (shaped.font == 0).all() and (shaped.level == 0).all()
    assert shaped.run_glyph_start.tolist() == [0, len(shaped.gid)]
    assert shaped.drawn_fonts == (0,)


def test_run_columns_leave_the_glyphs_alone_until_their_characters_are_described() -> None:
    _, invisible, unseen = character_table()
    table = np.full(0x110000, unseen, dtype=np.uint16)
    cps = np.array([ord("a"), 7, ord("b")], dtype=np.uint32)
    gid = np.array([68, 0, 69], dtype=np.int32)
    advance = np.array([1255, 600, 1300], dtype=np.int32)
    offsets = np.zeros(3, dtype=np.int32), np.zeros(3, dtype=np.int32)
    runs = np.array([2, 1], dtype=np.int64), np.array([0, 1], dtype=np.int8), np.array([0, 2], dtype=np.int32)
    columns = (*runs, gid, np.arange(3, dtype=np.int64), advance, *offsets, cps)
    assert run_columns(*columns, table, invisible, unseen, -1) is None
    assert gid.tolist() == [68, 0, 69] and advance.tolist() == [1255, 600, 1300]
    table[7] = invisible
    start, level, font, drawn = run_columns(*columns, table, invisible, unseen, -1)
    assert gid.tolist() == [68, -1, 69] and advance.tolist() == [1255, 0, 1300]
    assert start.tolist() == [0, 2, 3] and level.tolist() == [0, 0, 1] and font.tolist() == [0, 0, 2]
    assert drawn == (0, 2)
    # A font whose every glyph is hidden draws nothing; with nothing drawn at all, font 0.
    one_each = np.ones(3, dtype=np.int64), np.zeros(3, dtype=np.int8), np.array([0, 1, 2], dtype=np.int32)
    gid[:] = [68, 0, 69]
    assert run_columns(*one_each, *columns[3:], table, invisible, unseen, -1)[3] == (0, 2)
    gid[:] = [0, 0, 0]
    table[[ord("a"), ord("b")]] = invisible
    assert run_columns(*one_each, *columns[3:], table, invisible, unseen, -1)[3] == (0,)


@pytest.mark.parametrize("case", ["english", "arabic", "hindi", "thai", "chinese"])
def test_a_paragraph_too_long_for_one_harfbuzz_call_shapes_as_harfbuzz_shapes_it_whole(case: str) -> None:
    """A run longer than `MAX_RUN_CHARS` is shaped in pieces, cut after a space or between
    graphemes; the glyphs equal what one uharfbuzz call gives for the whole paragraph (which
    HarfBuzz still takes at this length, some 3x the piece)."""
    from pixtok.render.itemize import MAX_RUN_CHARS

    if case == "english":
        font_file, language = "DejaVuSans.ttf", "en"
        source = corpus("en_prose_debian-reference.txt").replace("\n", " ")
    else:
        font_file, language = CASES[case][2:]
        source = " ".join(single_script_paragraphs(case))
    paragraph = (source + " ") * (3 * MAX_RUN_CHARS // len(source) + 1)
    chain = FontChain.from_specs([str(FONT_DIR / font_file)], fallback=False, system_fonts=False)
    shaped = Shaper(chain).shape(prepare(paragraph), language)
    assert len(shaped.runs) > 3 and int((shaped.runs.end - shaped.runs.start).max()) <= MAX_RUN_CHARS
    ours, _ = pixtok_glyphs(font_file, paragraph, language, rtl=case in RTL)
    theirs = reference(font_file, paragraph, language)
    assert ours.shape == theirs.shape
    assert np.array_equal(ours, theirs)


def test_a_paragraph_harfbuzz_refuses_whole_is_shaped_in_pieces() -> None:
    """HarfBuzz 15 refuses to shape one paragraph of 540,000 characters; pixtok shapes it in
    pieces, every character drawn."""
    paragraph = "The quick brown fox jumps over the lazy dog. " * 12_000
    result = render(paragraph, RenderConfig.from_preset("page-1024"))
    assert result.missing_glyphs == 0 and result.page_count > 40
    assert result.line_char_span[-1, 1] == len(paragraph)
