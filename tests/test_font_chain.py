"""The default font chain: which bundled font draws each script, and emoji as whole sequences.

The reference is HarfBuzz itself (uharfbuzz): a text drawn by one bundled font must come out of
`pixtok.render` with exactly the glyph ids that HarfBuzz gives when it shapes the same text with
that font file. Emoji sequences (ZWJ, skin-tone modifiers, flags, keycaps, U+FE0F) must reach
the emoji face whole so that HarfBuzz forms them into one glyph, as UTS #51 describes.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import uharfbuzz as hb
from installed_fonts import fontconfig_files_with

from pixtok import RenderConfig, Renderer
from pixtok.render import fonts
from pixtok.render.fonts import FONT_DIR, FontChain, emoji_sequences

WIDE = RenderConfig(page="4000x300")

# Corpus-like strings: a sentence of prose in each script, as a user would paste it.
SCRIPT_SAMPLES = {
    "NotoSansThai-Regular.ttf": "โอเพนออฟฟิศดอตอ็อกเป็นชุดซอฟต์แวร์สำนักงานที่ทำงานบนหลายระบบปฏิบัติการ",
    "NotoSansLao-Regular.ttf": "ພາສາລາວເປັນພາສາທາງການຂອງສາທາລະນະລັດປະຊາທິປະໄຕປະຊາຊົນລາວ",
    "NotoSansKhmer-Regular.ttf": "ភាសាខ្មែរគឺជាភាសាកំណើតរបស់ជនជាតិខ្មែរនិងជាភាសាផ្លូវការរបស់ប្រទេសកម្ពុជា",
    # GTK 3's own messages (libgtk-3-common 3.24.38, gtk30.mo; LGPL-2+), as its users read them.
    "NotoSansBengali-Regular.ttf": "কাজের বৈশিষ্ট্য পাওয়ার জন্য প্রমাণীকরণ আবশ্যক",
    "NotoSansGurmukhi-Regular.ttf": "ਪਰਿੰਟਦਰ ਦੇ ਗੁਣ ਲੈਣ ਲਈ ਪਰਮਾਣਕਿਤਾ ਦੀ ਲੋੜ ਹੈ",
    "NotoSansGujarati-Regular.ttf": "આ સેલને સમાવતા ટ્રી દૃશ્યમાં હારમાળાને વિસ્તારો અથવા કરાર કરો",
    "NotoSansTamil-Regular.ttf": "கலத்தின் உள்ளடக்கத்தைத் திருத்தக்கூடிய ஒரு விட்ஜெட்டை உருவாக்கும்",
    "NotoSansTelugu-Regular.ttf": "అనామక ట్యాగు కనుగొనబడింది మరియు టాగులు సృష్టించడలేదు",
    "NotoSansKannada-Regular.ttf": "ಒಂದು ಕಾರ್ಯದ ಗುಣವಿಶೇಷಗಳನ್ನು ಪಡೆಯಲು ದೃಢೀಕರಣದ ಅಗತ್ಯವಿದೆ",
    "NotoSansMalayalam-Regular.ttf": "ഈ രേഖ പ്രിന്റ് ചെയ്യുന്നതിനായി ആധികാരികത ഉറപ്പാക്കേണ്ടതുണ്ടു്",
    "NotoEmoji-Regular.ttf": "😀👍🏽❤️🇯🇵1️⃣👨\u200d👩\u200d👧🧑🏽\u200d💻⭐"
    "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
}

# Emoji sequences and what each must shape to with Noto Emoji: one glyph (plus, for a
# pictograph of text-default presentation, the font's zero-width glyph for U+FE0F).
SEQUENCES = {
    "family (ZWJ)": "👨\u200d👩\u200d👧",
    "skin tone": "👍🏽",
    "person + tone + ZWJ": "🧑🏽\u200d💻",
    "flag": "🇯🇵",
    "subdivision flag (tags)": "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "emoji presentation": "❤\ufe0f",
    "keycap": "1\ufe0f\u20e3",
}


def hb_glyphs(file: str, text: str) -> list[int]:
    """Glyph ids HarfBuzz gives for text shaped with a bundled font file (no pixtok code)."""
    face = hb.Face(hb.Blob.from_file_path(str(FONT_DIR / file)))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(hb.Font(face), buf, {})
    return [info.codepoint for info in buf.glyph_infos]


def drawn_by(renderer: Renderer, text: str) -> tuple[list[str], list[int], int]:
    """Family of each glyph pixtok drew for text, the glyph ids, and the missing-glyph count."""
    result = renderer.render(text)
    families = [renderer.chain.fonts[int(i)].family for i in result.glyphs.font]
    return families, [int(g) for g in result.glyphs.glyph_id], result.missing_glyphs


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(WIDE)


@pytest.mark.parametrize("file", sorted(SCRIPT_SAMPLES))
def test_script_text_renders_through_its_bundled_font_as_harfbuzz_shapes_it(
    renderer: Renderer, file: str
) -> None:
    text = SCRIPT_SAMPLES[file]
    families, glyphs, missing = drawn_by(renderer, text)
    assert missing == 0
    (family,) = set(families)
    assert (FONT_DIR / file).resolve() == next(f.path for f in renderer.chain.fonts if f.family == family)
    assert glyphs == hb_glyphs(file, text)
    assert 0 not in glyphs


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("渲染迥然", "Noto Sans CJK"),
        ("똠방각하 펲시콜라 뷁", "Noto Sans CJK Hangul"),
        ("吳語佛經", "Noto Sans CJK"),
    ],
    ids=["gb2312-level2", "hangul-beyond-ks-x-1001", "big5-and-hanja"],
)
def test_cjk_beyond_the_old_subset_renders_from_the_bundled_files(text: str, family: str) -> None:
    renderer = Renderer(RenderConfig(page="800x100", system_fonts=False))
    result = renderer.render(text)
    assert result.missing_glyphs == 0
    drawn = {
        renderer.chain.fonts[int(f)].family
        for f, o in zip(result.glyphs.font, result.glyphs.char_offset, strict=True)
        if not text[o].isspace()
    }
    assert drawn == {family}


def test_thai_corpus_text_renders_with_no_missing_glyph() -> None:
    text = (Path(__file__).resolve().parents[1] / "corpus" / "th_wiki_openoffice.txt").read_text(
        encoding="utf-8"
    )
    result = Renderer(RenderConfig()).render(text)
    assert result.missing_glyphs == 0
    assert "Noto Sans Thai" in {f["family"] for f in result.fonts}


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_emoji_sequence_is_one_cluster_of_the_emoji_face(renderer: Renderer, name: str) -> None:
    sequence = SEQUENCES[name]
    reference = hb_glyphs("NotoEmoji-Regular.ttf", sequence)
    assert len([g for g in reference if g != 3]) == 1, "the reference font forms the sequence into one glyph"
    families, glyphs, missing = drawn_by(renderer, f"a {sequence} b")
    assert missing == 0
    emoji = [g for f, g in zip(families, glyphs, strict=True) if f == "Noto Emoji"]
    assert emoji == reference
    result = renderer.render(sequence)
    assert set(result.glyphs.char_offset.tolist()) == {0}, "the sequence must map back to one cluster"


def test_text_presentation_stays_with_the_text_face(renderer: Renderer) -> None:
    # U+2764 is text-default: alone or with U+FE0E it is DejaVu's; with U+FE0F the emoji face's.
    assert drawn_by(renderer, "❤")[0] == ["DejaVu Sans"]
    assert set(drawn_by(renderer, "❤\ufe0e")[0]) == {"DejaVu Sans"}
    assert set(drawn_by(renderer, "❤\ufe0f")[0]) == {"Noto Emoji"}
    # Digits and '#' are emoji only in a keycap sequence.
    assert set(drawn_by(renderer, "1 # 2")[0]) == {"DejaVu Sans"}


def test_emoji_presentation_characters_go_to_the_emoji_face_by_default(renderer: Renderer) -> None:
    # ⭐ U+2B50 and ✅ U+2705 have Emoji_Presentation=Yes (emoji-data.txt), 😀 is in the SMP.
    families, _, missing = drawn_by(renderer, "⭐✅😀")
    assert missing == 0
    assert set(families) == {"Noto Emoji"}


def test_emoji_sequences_follow_uts51() -> None:
    text = "a❤️b👍🏽c©d1️⃣"
    assert emoji_sequences(text) == [(1, 3, True), (4, 6, True), (7, 8, False), (9, 12, True)]


def test_script_class_table_is_font_script_for_every_bmp_code_point() -> None:
    table = fonts.bmp_font_scripts()
    classes = [fonts.FONT_SCRIPTS[k] for k in table.tolist()]
    assert classes == [fonts.font_script(cp) for cp in range(0x10000)]
    assert set(classes) == set(fonts.FONT_SCRIPTS)


def test_user_font_keeps_priority_for_emoji_it_has() -> None:
    # A user's font comes first; the emoji face only takes sequences the user's fonts lack.
    chain = FontChain.from_specs([str(FONT_DIR / "NotoEmoji-Regular.ttf")])
    assert chain.fonts[0].family == "Noto Emoji"
    assert set(chain.font_indices("👍🏽")) == {0}


def test_a_space_beside_an_emoji_is_the_text_face_space(renderer: Renderer) -> None:
    # Noto Emoji's own space is 1.27 em wide; a space after an emoji must be DejaVu's (0.32 em).
    size = renderer.geometry.size
    apart, together = (renderer.render(text).glyphs for text in ("😀 😀", "😀😀"))
    apart, together = (g.x0[g.x1 > g.x0] for g in (apart, together))  # inked glyphs only
    dejavu_space = hb.Font(hb.Face(hb.Blob.from_file_path(str(FONT_DIR / "DejaVuSans.ttf"))))
    space_em = dejavu_space.get_glyph_h_advance(dejavu_space.get_nominal_glyph(32)) / 2048
    gap = (apart[1] - apart[0]) - (together[1] - together[0])
    assert abs(gap - space_em * size) <= 1.0


# -- system fallback ---------------------------------------------------------------------------

# 丂 (U+4E02) is in GBK but in none of GB 2312, Big5, JIS X 0208 or KS X 1001, so no bundled font
# has it; Debian's fonts-noto-cjk (system-packages.txt) does.
RARE_HAN = "\u4e02"
needs_fontconfig = pytest.mark.skipif(
    shutil.which("fc-match") is None or shutil.which("fc-list") is None,
    reason="fontconfig is not installed: there is no system font to fall back to",
)


def test_rare_han_is_in_no_bundled_font() -> None:
    for path in FONT_DIR.glob("*.[ot]tf"):
        assert ord(RARE_HAN) not in set(hb.Face(hb.Blob.from_file_path(str(path))).unicodes), path.name


@needs_fontconfig
def test_system_fallback_draws_what_no_bundled_font_has() -> None:
    text = f"abc {RARE_HAN} 汉字"
    renderer = Renderer(WIDE)
    result = renderer.render(text)
    assert result.missing_glyphs == 0
    (system,) = [f for f in result.fonts if f["origin"] == "system fallback"]
    assert (system["path"], system["index"]) in fontconfig_files_with(RARE_HAN)
    data = Path(system["path"]).read_bytes()
    assert system["sha256"] == hashlib.sha256(data).hexdigest()
    # The glyph drawn for 丂 is the one HarfBuzz gives with that face, in the language the render
    # inferred for Han text (Simplified Chinese): the face's locl picks the language's form.
    assert result.languages == ["zh-Hans"]
    face = hb.Face(hb.Blob.from_file_path(system["path"]), system["index"])
    buf = hb.Buffer()
    buf.add_str(RARE_HAN)
    buf.language = "zh-Hans"
    buf.guess_segment_properties()
    hb.shape(hb.Font(face), buf, {})
    offset = text.index(RARE_HAN)
    drawn = result.glyphs.glyph_id[result.glyphs.char_offset == offset].tolist()
    assert drawn == [info.codepoint for info in buf.glyph_infos]
    # The bundled fonts keep what they have: 汉 and 字 still come from the bundled CJK subset.
    for char in "汉字":
        (index,) = set(result.glyphs.font[result.glyphs.char_offset == text.index(char)].tolist())
        assert renderer.chain.fonts[index].origin == "bundled"


@needs_fontconfig
def test_no_system_fonts_keeps_to_the_bundled_fonts_and_warns(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "rare.txt"
    source.write_text(f"abc {RARE_HAN}", encoding="utf-8")
    strict = run_cli("render", source, "--no-system-fonts", "-o", tmp_path / "a.png", "--json")
    assert strict.exit_code == 0, strict.stderr
    document = json.loads(strict.stdout)
    (summary,) = document["records"]
    assert summary["missing_chars"] == {"U+4E02": 1}
    assert document["options"]["render"]["system_fonts"] is False
    assert {f["origin"] for f in summary["fonts"]} == {"bundled"}
    assert "no glyph in any font" in strict.stderr and "U+4E02" in strict.stderr
    found = run_cli("render", source, "-o", tmp_path / "b.png", "--json")
    assert found.exit_code == 0, found.stderr
    assert json.loads(found.stdout)["records"][0]["missing_glyphs"] == 0
    assert "no glyph" not in found.stderr
    assert RenderConfig.from_dict({"system_fonts": False}).system_fonts is False


@needs_fontconfig
def test_one_fontconfig_call_serves_any_number_of_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args, *rest, **options):  # a spy: the real fc-match still runs
        calls.append(list(args))
        return real_run(args, *rest, **options)

    fonts.system_fallback_faces.cache_clear()
    fonts._SYSTEM_CHOICE.clear()
    monkeypatch.setattr(subprocess, "run", counting_run)
    # 2,000 code points no bundled font has: Yi syllables and CJK Extension A ideographs.
    text = "".join(chr(cp) for cp in range(0xA000, 0xA000 + 1000)) + "".join(
        chr(cp) for cp in range(0x3400, 0x3400 + 1000)
    )
    chain = FontChain.from_specs([])
    chain.font_indices(text)
    assert len([c for c in calls if c[0] == "fc-match"]) == 1
    assert len(calls) == 1


@needs_fontconfig
def test_system_fallback_output_is_the_same_in_a_new_process(run_cli, tmp_path: Path) -> None:
    source = tmp_path / "rare.txt"
    source.write_text(f"abc {RARE_HAN} ሀ", encoding="utf-8")
    runs = [
        run_cli("render", source, "-o", tmp_path / f"{n}.png", "--json", fresh_process=True) for n in (1, 2)
    ]
    assert all(r.exit_code == 0 for r in runs), [r.stderr for r in runs]
    assert (tmp_path / "1.png").read_bytes() == (tmp_path / "2.png").read_bytes()
    fonts_of = [json.loads(r.stdout)["records"][0]["fonts"] for r in runs]
    assert fonts_of[0] == fonts_of[1]
