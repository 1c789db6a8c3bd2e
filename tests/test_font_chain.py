"""The default font chain: which bundled font draws each script, and emoji as whole sequences.

The reference is HarfBuzz itself (uharfbuzz): a text drawn by one bundled font must come out of
`pixtok.render` with exactly the glyph ids that HarfBuzz gives when it shapes the same text with
that font file. Emoji sequences (ZWJ, skin-tone modifiers, flags, keycaps, U+FE0F) must reach
the emoji face whole so that HarfBuzz forms them into one glyph, as UTS #51 describes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import uharfbuzz as hb

from pixtok import RenderConfig, Renderer
from pixtok.render.fonts import FONT_DIR, FontChain, emoji_sequences

WIDE = RenderConfig(page="4000x300")

# Corpus-like strings: a sentence of prose in each script, as a user would paste it.
SCRIPT_SAMPLES = {
    "NotoSansThai-Regular.ttf": "โอเพนออฟฟิศดอตอ็อกเป็นชุดซอฟต์แวร์สำนักงานที่ทำงานบนหลายระบบปฏิบัติการ",
    "NotoSansLao-Regular.ttf": "ພາສາລາວເປັນພາສາທາງການຂອງສາທາລະນະລັດປະຊາທິປະໄຕປະຊາຊົນລາວ",
    "NotoSansKhmer-Regular.ttf": "ភាសាខ្មែរគឺជាភាសាកំណើតរបស់ជនជាតិខ្មែរនិងជាភាសាផ្លូវការរបស់ប្រទេសកម្ពុជា",
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


def test_thai_corpus_text_renders_with_no_missing_glyph() -> None:
    text = (Path(__file__).resolve().parents[1] / "corpus" / "next" / "th_wiki_openoffice.txt").read_text(
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
