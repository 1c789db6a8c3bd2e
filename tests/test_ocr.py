"""OCR engines read rendered corpus pages back: RapidOCR for Latin and Chinese, Tesseract for the
other scripts, chosen from the text; missing engines and language packs fail with what to install.

Pages are small excerpts of the test corpus (a few hundred characters), so every engine call
stays around a second on two cores.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np
import pytest

from pixtok import MissingDependencyError, RenderConfig, UsageError, render
from pixtok.measure.legibility import line_boxes, lines_to_read, ocr_roundtrip
from pixtok.measure.ocr import (
    AutoEngine,
    RapidOcrEngine,
    TesseractEngine,
    cut_line,
    get_ocr_engine,
    resolve_engine,
)
from pixtok.render.scripts import OcrLanguage, detect_script, ocr_language

#: The script each corpus text is in, as an OCR model needs it.
CORPUS_SCRIPTS = {
    "en_prose": "latin",
    "de_prose": "latin",
    "code_python": "latin",
    "zh-cn_prose": "han",
    "ja_prose": "japanese",
    "ko_prose": "hangul",
    "ru_prose": "cyrillic",
    "ar_msgstr": "arabic",
    "fa_prose": "persian",
    "he_msgstr": "hebrew",
    "hi_prose": "devanagari",
}


def excerpt(text: str, chars: int) -> str:
    """The first `chars` characters, cut back to the last line end or space."""
    cut = text[:chars]
    end = max(cut.rfind("\n"), cut.rfind(" "))
    return cut[:end] if end > chars // 2 else cut


@pytest.mark.parametrize(("prefix", "script"), sorted(CORPUS_SCRIPTS.items()))
def test_scripts_of_the_corpus_are_detected(corpus_text, prefix: str, script: str) -> None:
    assert detect_script(corpus_text(prefix)) == script


#: GTK 3's messages in scripts the corpus lacks (tests/texts/README.md) -> (script, Tesseract
#: model, BCP 47).
GTK_TEXTS = {
    "bn_msgstr_gtk30.txt": ("bengali", "ben", "bn"),
    "pa_msgstr_gtk30.txt": ("gurmukhi", "pan", "pa"),
    "gu_msgstr_gtk30.txt": ("gujarati", "guj", "gu"),
    "ta_msgstr_gtk30.txt": ("tamil", "tam", "ta"),
    "te_msgstr_gtk30.txt": ("telugu", "tel", "te"),
    "kn_msgstr_gtk30.txt": ("kannada", "kan", "kn"),
    "ml_msgstr_gtk30.txt": ("malayalam", "mal", "ml"),
    "or_msgstr_gtk30.txt": ("oriya", "ori", "or"),
    "si_msgstr_gtk30.txt": ("sinhala", "sin", "si"),
    "my_msgstr_gtk30.txt": ("myanmar", "mya", "my"),
    "hy_msgstr_gtk30.txt": ("armenian", "hye", "hy"),
    "ka_msgstr_gtk30.txt": ("georgian", "kat", "ka"),
    "el_msgstr_gtk30.txt": ("greek", "ell", "el"),
}
TEXTS_DIR = Path(__file__).resolve().parent / "texts"


@pytest.mark.parametrize("name", sorted(GTK_TEXTS))
def test_scripts_of_the_gtk_texts_get_their_own_ocr_model(name: str) -> None:
    """Detected from the text or named by the render language, an Indic, Southeast Asian,
    Caucasian or Greek script is read with its own Tesseract model, never with the Latin one
    (which reads such a page as noise)."""
    script, model, tag = GTK_TEXTS[name]
    text = (TEXTS_DIR / name).read_text(encoding="utf-8")
    assert detect_script(text) == script
    assert ocr_language(text) == ocr_language(text, language=tag) == OcrLanguage(script, model, False)
    assert ocr_language("", model).script == script


@pytest.mark.parametrize(
    ("text", "script", "model"),
    [
        ("ଓଡ଼ିଆ ଭାଷା", "oriya", "ori"),
        ("සිංහල භාෂාව", "sinhala", "sin"),
        ("ພາສາລາວເປັນພາສາທາງການ", "lao", "lao"),
        ("ភាសាខ្មែរ", "khmer", "khm"),
        ("မြန်မာဘာသာ", "myanmar", "mya"),
        ("ግዕዝ ፊደል", "ethiopic", "amh"),
    ],
)
def test_the_other_scripts_of_the_model_table_get_their_own_ocr_model(
    text: str, script: str, model: str
) -> None:
    """The further scripts docs/legibility.md names a Tesseract model for (Oriya and Sinhala
    beside the Indic ones, Lao, Khmer, Myanmar, Ethiopic): detected, never read as Latin."""
    assert detect_script(text) == script
    assert ocr_language(text) == OcrLanguage(script, model, False)


def test_languages_follow_the_script(corpus_text) -> None:
    assert ocr_language(corpus_text("fa_prose")).tesseract == "fas"
    assert ocr_language(corpus_text("ar_msgstr")).primary == "ara"
    # Russian technical prose carries Latin words: English is read alongside.
    assert ocr_language(corpus_text("ru_prose")).tesseract == "rus+eng"
    assert ocr_language(corpus_text("zh-cn_prose")).rapidocr
    assert not ocr_language(corpus_text("ja_prose")).rapidocr
    assert ocr_language("", "rus+eng").script == "cyrillic"
    assert ocr_language("", "hebrew").rtl
    with pytest.raises(UsageError):
        ocr_language("", "no such!")


def test_lines_whose_ink_boxes_overlap_are_given_to_the_reader_apart() -> None:
    """Bengali at the page-1024 preset's 1.2 em pitch: the ink boxes of its lines overlap (marks
    above and below), so a box cut from the page would carry pieces of its neighbours. Each line
    is given on its own, in line order, with only ink the page has at the same place, and every
    inked pixel of the page is in some line; lines that do not overlap are the page itself."""
    text = excerpt((TEXTS_DIR / "bn_msgstr_gtk30.txt").read_text(encoding="utf-8"), 500)
    result = render(text, RenderConfig.from_preset("page-1024", size="16px", page="1024x512"))
    page, boxes = result.pages[0], line_boxes(result, 0)
    assert any(below[0] < above[1] for above, below in itertools.pairwise(boxes)), "lines overlap"
    image, given = lines_to_read(result, 0)
    assert len(given) == len(boxes) == result.lines
    assert all(below[0] >= above[1] for above, below in itertools.pairwise(given)), "given apart"
    covered = np.zeros(page.shape, dtype=bool)
    cleaned = 0
    for (y0, y1, x0, x1), (t0, t1, s0, s1) in zip(boxes, given, strict=True):
        assert (t1 - t0, s0, s1) == (y1 - y0, x0, x1)
        strip, cut = image[t0:t1, x0:x1], page[y0:y1, x0:x1]
        inked = strip < 255
        assert np.array_equal(strip[inked], cut[inked]), "no ink the page does not have there"
        covered[y0:y1, x0:x1] |= inked
        cleaned += int(((cut < 255) & ~inked).sum())
    assert covered[page < 255].all(), "every inked pixel of the page is in a line"
    assert cleaned > 0, "pieces of neighbouring lines were left out"
    english = render("Plain English lines.\nThat do not touch.", RenderConfig.from_preset("page-1024"))
    image, given = lines_to_read(english, 0)
    assert image is english.pages[0] and given == line_boxes(english, 0)


@pytest.mark.slow
def test_tesseract_reads_bengali_drawn_by_its_bundled_font() -> None:
    """Bengali's conjuncts, reph and split vowel signs, with lines given apart (their marks
    overlap at the 1.2 em pitch): 0.4 % CER on this excerpt at 16 px (Tesseract 5.3), 1.2-1.6 %
    on two more; a fourth (7 %) loses a whole line the model returns nothing for."""
    text = excerpt((TEXTS_DIR / "bn_msgstr_gtk30.txt").read_text(encoding="utf-8"), 500)
    report = ocr_roundtrip(
        text, RenderConfig.from_preset("page-1024", size="16px", page="1024x512", lang="bn")
    )
    assert report["engine"]["name"] == "tesseract" and report["lang"] == "ben"
    assert report["pages_total"] == 1 and report["cer"] < 0.02, report


def test_strips_are_cut_only_in_blank_columns(corpus_text) -> None:
    text = excerpt(corpus_text("en_prose"), 1200)
    result = render(text, RenderConfig.from_preset("page-1024", size="12px", page="900x400"))
    page = result.pages[0]
    boxes = line_boxes(result, 0)
    assert len(boxes) >= 5
    for y0, y1, x0, x1 in boxes:
        strip = page[y0:y1, x0:x1]
        ink_columns = np.flatnonzero((strip < 255 - 48).any(axis=0))
        pieces = cut_line(strip)
        covered = np.zeros(strip.shape[1], dtype=bool)
        for a, z, _ in pieces:
            covered[a:z] = True
        assert covered[ink_columns].all()
        for (_, z, _), (a, _, _) in itertools.pairwise(pieces):
            assert z <= a and not (strip[:, z:a] < 255 - 48).any()
        assert pieces[0][2] is False


def test_auto_picks_the_engine_that_reads_the_script() -> None:
    auto = get_ocr_engine("auto")
    assert isinstance(auto, AutoEngine)
    assert isinstance(auto.choose(ocr_language("", "latin")), RapidOcrEngine)
    assert isinstance(auto.choose(ocr_language("", "han")), RapidOcrEngine)
    assert isinstance(auto.choose(ocr_language("", "japanese")), TesseractEngine)
    assert isinstance(resolve_engine("auto", ocr_language("", "persian")), TesseractEngine)
    with pytest.raises(UsageError, match="unknown OCR engine"):
        get_ocr_engine("nope")


def test_engines_describe_their_versions() -> None:
    rapid = get_ocr_engine("rapidocr").describe()
    assert rapid["name"] == "rapidocr" and rapid["version"][0].isdigit()
    assert "onnxruntime" in rapid["runtime"]
    tess = get_ocr_engine("tesseract").describe()
    assert tess["version"][0].isdigit() and "eng" in tess["languages"]


@pytest.mark.slow
@pytest.mark.parametrize("size", ["12px", "16px", "20px"])
def test_english_reads_back_under_one_percent(corpus_text, size: str) -> None:
    """RapidOCR (the default for Latin) reads the glyphs at under 1 %; it drops about one word
    space in a hundred on long lines, which `cer` counts (docs/legibility.md)."""
    text = excerpt(corpus_text("en_prose"), 700)
    report = ocr_roundtrip(text, RenderConfig.from_preset("page-1024", size=size, page="1024x512"))
    assert report["engine"]["name"] == "rapidocr"
    assert report["pages_read"] == report["pages_total"] == 1
    assert report["cer_nospace"] < 0.01, report
    assert report["cer"] < 0.02
    assert report["chars"] > 500


@pytest.mark.slow
@pytest.mark.parametrize("size", ["12px", "16px"])
def test_tesseract_reads_english_under_one_percent_with_spaces(corpus_text, size: str) -> None:
    text = excerpt(corpus_text("en_prose"), 700)
    report = ocr_roundtrip(
        text, RenderConfig.from_preset("page-1024", size=size, page="1024x512"), engine="tesseract"
    )
    assert report["engine"]["name"] == "tesseract" and report["lang"] == "eng"
    assert report["cer"] < 0.01, report


@pytest.mark.slow
@pytest.mark.parametrize("size", ["12px", "16px"])
def test_chinese_reads_back_under_one_percent(corpus_text, size: str) -> None:
    """Glyphs under 1 % (whitespace aside): PP-OCRv4 drops the spaces the source puts between
    Han and Latin words, so `cer` is higher (see docs/legibility.md)."""
    text = excerpt(corpus_text("zh-cn_prose"), 400)
    report = ocr_roundtrip(text, RenderConfig.from_preset("page-1024", size=size, page="1024x512"))
    assert report["engine"]["name"] == "rapidocr" and report["script"] == "han"
    assert report["cer_nospace"] < 0.01, report
    assert report["cer"] < 0.05


@pytest.mark.slow
def test_tesseract_reads_russian_and_persian(corpus_text) -> None:
    russian = ocr_roundtrip(
        excerpt(corpus_text("ru_prose"), 500),
        RenderConfig.from_preset("page-1024", size="16px", page="1024x400"),
    )
    assert russian["engine"]["name"] == "tesseract" and russian["lang"] == "rus+eng"
    assert russian["cer"] < 0.02, russian
    persian = ocr_roundtrip(
        excerpt(corpus_text("fa_prose"), 400),
        RenderConfig.from_preset("page-1024", size="16px", page="1024x400"),
    )
    assert persian["lang"] == "fas"
    assert persian["cer"] < 0.08, persian


@pytest.mark.slow
def test_tesseract_reads_japanese_and_thai_in_their_render_language(corpus_text) -> None:
    """Pages rendered with --lang ja (Japanese glyph forms and kerning) and --lang th (Thai by
    dictionary line breaks) read back with the Tesseract model the render language names. Seen
    here at 20 px (Tesseract 5.3): Japanese 0.5 % CER (0 % without spaces), Thai 2.2 % (1.7 %)."""
    japanese = ocr_roundtrip(
        excerpt(corpus_text("ja_prose"), 400),
        RenderConfig.from_preset("page-1024", size="20px", page="1024x512", lang="ja"),
    )
    assert japanese["engine"]["name"] == "tesseract" and japanese["lang"].split("+")[0] == "jpn"
    assert japanese["cer"] < 0.02, japanese
    thai = ocr_roundtrip(
        excerpt(corpus_text("th_wiki"), 500),
        RenderConfig.from_preset("page-1024", size="20px", page="1024x512", lang="th"),
    )
    assert thai["lang"].split("+")[0] == "tha" and thai["pages_total"] == 1
    assert thai["cer"] < 0.05, thai


@pytest.mark.slow
def test_tesseract_reads_tamil_drawn_by_its_bundled_font() -> None:
    """Tamil's vowel signs (the two-part ொ ோ split around their consonant) and pulli, as HarfBuzz
    shapes them with Noto Sans Tamil, read back with Tesseract's Tamil model. Seen here at 16 px
    (Tesseract 5.3): 0.2 % CER on this excerpt (one character in 450), 0 % on three more."""
    text = excerpt((TEXTS_DIR / "ta_msgstr_gtk30.txt").read_text(encoding="utf-8"), 500)
    report = ocr_roundtrip(
        text, RenderConfig.from_preset("page-1024", size="16px", page="1024x512", lang="ta")
    )
    assert report["engine"]["name"] == "tesseract" and report["lang"] == "tam"
    assert report["pages_total"] == 1 and report["cer"] < 0.02, report


def test_uyghur_is_read_with_its_own_model_when_its_language_is_given() -> None:
    """Uyghur writes the Arabic script with letters of its own (ۆ ۇ ۈ ۋ ې ە), some of which
    Kurdish and Pashto share; from the letters alone it is read as Persian, and with `--lang ug`
    with Tesseract's Uyghur model, right to left."""
    text = (TEXTS_DIR / "ug_msgstr_gtk30.txt").read_text(encoding="utf-8")
    assert ocr_language(text, language="ug") == OcrLanguage("arabic", "uig", False, True)
    assert ocr_language(text).tesseract == "fas"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hy_msgstr_gtk30.txt", "ka_msgstr_gtk30.txt", "el_msgstr_gtk30.txt"])
def test_tesseract_reads_armenian_georgian_and_greek_drawn_by_dejavu_sans(name: str) -> None:
    """Armenian, Georgian (Mkhedruli) and Greek, which DejaVu Sans, the chain's first font,
    draws: read back with Tesseract's own models at 16 px, 0-0.6 % CER on this excerpt and two
    more (Tesseract 5.3)."""
    _, model, tag = GTK_TEXTS[name]
    text = excerpt((TEXTS_DIR / name).read_text(encoding="utf-8"), 500)
    config = RenderConfig.from_preset("page-1024", size="16px", page="1024x512", lang=tag)
    assert [font["family"] for font in render(text, config).fonts] == ["DejaVu Sans"]
    report = ocr_roundtrip(text, config)
    assert report["engine"]["name"] == "tesseract" and report["lang"] == model
    assert report["pages_total"] == 1 and report["cer"] < 0.02, report


@pytest.mark.slow
def test_tesseract_reads_uyghur_drawn_by_the_bundled_naskh() -> None:
    """Uyghur's own letters drawn by Noto Naskh Arabic, read back right to left with `uig`:
    0-0.6 % CER on this excerpt and two more at 16 px (Tesseract 5.3)."""
    text = excerpt((TEXTS_DIR / "ug_msgstr_gtk30.txt").read_text(encoding="utf-8"), 500)
    config = RenderConfig.from_preset("page-1024", size="16px", page="1024x512", lang="ug")
    assert "Noto Naskh Arabic" in [font["family"] for font in render(text, config).fonts]
    report = ocr_roundtrip(text, config)
    assert report["engine"]["name"] == "tesseract" and report["lang"] == "uig"
    assert report["pages_total"] == 1 and report["cer"] < 0.02, report


@pytest.mark.slow
@pytest.mark.parametrize(("name", "tag", "model", "bound"), [
    ("si_msgstr_gtk30.txt", "si", "sin", 0.04),
    ("or_msgstr_gtk30.txt", "or", "ori", 0.10),
])  # fmt: skip
def test_tesseract_reads_scripts_drawn_by_system_fonts(name: str, tag: str, model: str, bound: float) -> None:
    """Sinhala (its ZWJ conjuncts: ප්‍ර) and Odia, drawn by the installed Noto font the system
    fallback finds, read back with Tesseract's own models. Seen here at 16 px (Tesseract 5.3):
    Sinhala 2.3 % CER on this excerpt and 3.5-3.8 % on two more, Odia 6.8 % and 6.0-8.9 % on
    three more; the misreadings are the models' (Odia ଥ read as ତ୍ର, the vowel sign ୁ as a
    low quotation mark), as a look at the pages shows."""
    text = excerpt((TEXTS_DIR / name).read_text(encoding="utf-8"), 500)
    config = RenderConfig.from_preset("page-1024", size="16px", page="1024x512", lang=tag)
    if render(text, config).missing_glyphs:
        pytest.skip("no installed font has this script (Debian package fonts-noto-core)")
    report = ocr_roundtrip(text, config)
    assert report["engine"]["name"] == "tesseract" and report["lang"] == model
    assert report["pages_total"] == 1 and report["cer"] < bound, report


@pytest.mark.slow
def test_the_engines_own_line_finding_reads_too(corpus_text) -> None:
    text = excerpt(corpus_text("en_prose"), 500)
    result = render(text, RenderConfig.from_preset("page-1024", size="16px", page="1024x400"))
    engine = get_ocr_engine("rapidocr")
    found = engine.read(result.pages[0], "latin")
    given = engine.read(result.pages[0], "latin", line_boxes(result, 0))
    assert found.count("\n") == given.count("\n") == len(line_boxes(result, 0)) - 1
    assert engine.read(result.pages[0], "latin", line_boxes(result, 0)) == given  # deterministic
    report = ocr_roundtrip(
        text, RenderConfig.from_preset("page-1024", size="16px", page="1024x400"), segmentation="engine"
    )
    assert report["segmentation"] == "engine" and report["cer"] < 0.03


def test_a_missing_language_pack_names_the_debian_package() -> None:
    engine = get_ocr_engine("tesseract")
    absent = [code for code in ("lao", "khm", "amh", "urd", "pus") if code not in engine.languages]
    if not absent:
        pytest.skip("every probed language pack is installed")
    with pytest.raises(MissingDependencyError, match=f"apt-get install tesseract-ocr-{absent[0]}"):
        engine.check_language(f"{absent[0]}+eng")


def test_a_missing_tesseract_program_says_what_to_install(monkeypatch) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(MissingDependencyError, match="apt-get install tesseract-ocr"):
        TesseractEngine()


def test_a_missing_rapidocr_says_what_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    with pytest.raises(MissingDependencyError, match="rapidocr-onnxruntime"):
        RapidOcrEngine()


def test_cli_reports_missing_packs_and_bad_engines(run_cli, tmp_path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("Some text to read back.\n", encoding="utf-8")
    bad = run_cli("ocr", source, "--ocr-engine", "nope")
    assert bad.exit_code == 2 and bad.error_lines == [
        "pixtok: error: unknown OCR engine 'nope'; choose one of: auto, rapidocr, tesseract, openai"
    ]
    engine = get_ocr_engine("tesseract")
    absent = next((c for c in ("lao", "khm", "amh", "urd", "pus") if c not in engine.languages), None)
    if absent is not None:
        missing = run_cli("ocr", source, "--ocr-engine", "tesseract", "--ocr-lang", f"eng+{absent}")
        assert missing.exit_code == 1 and missing.exception is None
        assert missing.error_lines == [
            f"pixtok: error: Tesseract has no {absent} language data: apt-get install tesseract-ocr-{absent}"
        ]
    unknown = run_cli("ocr", source, "--ocr-engine", "tesseract", "--ocr-lang", "klingon")
    assert unknown.exit_code == 2 and len(unknown.error_lines) == 1, unknown.stderr
    assert "no model named klingon" in unknown.stderr and "apt-get" not in unknown.stderr
    for malformed in ("eng+", "eng++rus"):
        bad = run_cli("ocr", source, "--ocr-engine", "tesseract", "--ocr-lang", malformed)
        assert bad.exit_code == 2 and bad.exception is None, bad.stderr
        assert len(bad.error_lines) == 1 and "joined by '+'" in bad.stderr


def test_compare_refuses_a_bad_ocr_lang_before_any_text(run_cli, tmp_path) -> None:
    """It failed every record alike (exit 1 after measuring them all); now once, up front, as
    `pixtok ocr` does."""
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("Some text to read back.\n", encoding="utf-8")
    common = ("compare", "a.txt", "b.txt", "-q", "--engine", "serial", "--ocr", "--ocr-engine", "tesseract")
    for lang, code, said in [
        ("eng+", 2, "joined by '+'"),
        ("klingon", 2, "no model named klingon"),
        ("../x", 2, "give a script"),
    ]:
        result = run_cli(*common, "--ocr-lang", lang, cwd=tmp_path)
        assert result.exit_code == code and result.exception is None, result.stderr
        assert len(result.error_lines) == 1 and said in result.error_lines[0], result.stderr
        assert result.stdout == ""


@pytest.mark.slow
def test_cli_ocr_json_has_rates_per_page_and_in_total(run_cli, corpus_text, tmp_path) -> None:
    import json

    source = tmp_path / "en.txt"
    source.write_text(excerpt(corpus_text("en_prose"), 900), encoding="utf-8")
    small_pages = ["ocr", source, "--preset", "page-1024", "--page", "1024x256", "--size", "14px"]
    result = run_cli(*small_pages, "--json", "--show-text")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    report, pages = document["total"], document["records"]
    assert report["pages_total"] >= 2 and [p["page"] for p in pages] == list(range(1, len(pages) + 1))
    for record in [report, *pages]:
        assert {"cer", "cer_nospace", "wer"} <= set(record)
    assert report["char_errors"] == sum(p["char_errors"] for p in pages)
    assert all(p["text"] for p in pages)
    assert document["options"]["engine"]["name"] == "rapidocr"
    lines = run_cli(*small_pages, "--max-pages", "1", "--jsonl")
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [r["page"] for r in records] == [1]


@pytest.mark.parametrize(
    ("tag", "tesseract"),
    [
        ("ja", "jpn"),
        ("zh-Hans", "chi_sim"),
        ("zh-TW", "chi_tra"),
        ("ko", "kor"),
        ("th", "tha"),
        ("fa", "fas"),
    ],
)
def test_ocr_language_follows_the_render_language(tag: str, tesseract: str) -> None:
    """Without --ocr-lang, the render language (--lang, BCP 47) names the OCR model."""
    assert ocr_language("", None, tag).primary == tesseract
    assert ocr_language("", "latin", tag).primary == "eng", "--ocr-lang still wins"


def test_ocr_lang_and_lang_are_separate_flags(run_cli, tmp_path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("Some text.\n", encoding="utf-8")
    bad = run_cli("ocr", source, "--ocr-lang", "no such!")
    assert bad.exit_code == 2 and "--ocr-lang" in bad.stderr
    wrong = run_cli("ocr", source, "--lang", "not a tag!")
    assert wrong.exit_code == 2 and "BCP 47" in wrong.stderr
