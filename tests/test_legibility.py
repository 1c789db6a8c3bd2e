"""Scoring OCR output (NFKC, whitespace rules, micro-averaged totals) and glyph confusability."""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path

import pytest
from doc_examples import run_page

from pixtok import InputError, RenderConfig, UsageError
from pixtok.measure.legibility import confusability, error_rates, normalize, ocr_roundtrip


def test_identical_texts_score_zero() -> None:
    rates = error_rates("The shell prompt", "The shell prompt")
    assert rates["cer"] == rates["cer_nospace"] == rates["wer"] == 0.0
    assert rates["chars"] == 16 and rates["words"] == 3


def test_levenshtein_counts_edits_over_the_reference_length() -> None:
    rates = error_rates("kitten", "sitting")  # k→s, e→i, +g
    assert rates["char_errors"] == 3 and rates["cer"] == pytest.approx(3 / 6)
    # Insertions count: a rate can pass 1.
    assert error_rates("ab", "abcdef")["cer"] == pytest.approx(2.0)
    words = error_rates("the quick brown fox", "the quack brown")
    assert words["word_errors"] == 2 and words["wer"] == pytest.approx(0.5)


def test_nfkc_makes_compatibility_forms_equal() -> None:
    assert error_rates("ﬁle", "file")["cer"] == 0.0
    assert error_rates("ＡＢＣ１２３", "ABC123")["cer"] == 0.0
    assert error_rates("x²", "x2")["cer"] == 0.0


def test_whitespace_runs_count_once_and_dropped_spaces_only_in_cer() -> None:
    assert error_rates("a  b\n\nc\t", " a b c")["cer"] == 0.0
    dropped = error_rates("hello world", "helloworld")
    assert dropped["char_errors"] == 1 and dropped["cer"] == pytest.approx(1 / 11)
    assert dropped["cer_nospace"] == 0.0
    assert dropped["wer"] == pytest.approx(1.0)  # two words read as one other word, one deletion


def test_a_line_break_next_to_cjk_is_nothing_but_a_space_is_a_space() -> None:
    assert normalize("控制台\n基础") == "控制台基础"
    assert error_rates("控制台\n基础", "控制台基础")["cer"] == 0.0
    spaced = error_rates("或者 KDE", "或者KDE")
    assert spaced["char_errors"] == 1 and spaced["cer_nospace"] == 0.0
    assert normalize("end of line\nnext") == "end of line next"


def test_format_characters_are_not_scored() -> None:
    # Tesseract wraps Latin words in Hebrew lines in LRM/RLM marks; Persian text holds ZWNJ.
    assert error_rates("של PNG אינ", "של \u200ePNG\u200f אינ")["cer"] == 0.0
    assert error_rates("می\u200cشود", "میشود")["cer"] == 0.0


def test_control_characters_are_not_scored_and_every_line_end_is_a_line_break() -> None:
    assert error_rates("bell\x07 and escape\x1b", "bell and escape")["cer"] == 0.0
    for line_end in ("\r", "\x0b", "\x0c", "\u0085", "\u2028", "\u2029"):
        assert normalize(f"控制台{line_end}基础") == "控制台基础"
        assert normalize(f"end{line_end}next") == "end next"


def test_a_text_that_draws_no_ink_is_read_as_nothing() -> None:
    """Zero-width joiners, spaces and controls draw nothing: the page is blank, the reader finds
    no line on it, and nothing is an error."""
    for text in ("\u200d", "\u200b\u200d", "\x01\x02"):
        report = ocr_roundtrip(text, RenderConfig.from_preset("page-1024"))
        assert report["chars"] == 0 and report["char_errors"] == 0, report


def test_empty_reference() -> None:
    assert error_rates("", "")["cer"] == 0.0
    assert error_rates("", "noise")["cer"] == 1.0


@pytest.mark.slow
def test_totals_are_micro_averages_over_pages(corpus_text) -> None:
    text = corpus_text("en_prose")[:1400]
    report = ocr_roundtrip(text, RenderConfig.from_preset("page-1024", size="12px", page="900x200"))
    pages = report["pages"]
    assert len(pages) >= 2 and report["pages_read"] == len(pages)
    assert report["chars"] == sum(p["chars"] for p in pages)
    assert report["cer"] == pytest.approx(sum(p["char_errors"] for p in pages) / report["chars"], abs=1e-6)
    assert report["wer"] == pytest.approx(sum(p["word_errors"] for p in pages) / report["words"], abs=1e-6)
    # Page spans tile the text: each page is scored against exactly what it shows.
    assert pages[0]["span"][0] == 0 and pages[-1]["span"][1] == len(text)
    for before, after in itertools.pairwise(pages):
        assert before["span"][1] == after["span"][0]
    first = ocr_roundtrip(
        text, RenderConfig.from_preset("page-1024", size="12px", page="900x200"), max_pages=1
    )
    assert first["pages_read"] == 1 and first["pages_total"] == len(pages)
    assert first["pages"][0] == pages[0]


def test_ocr_options_are_checked(corpus_text) -> None:
    with pytest.raises(UsageError):
        ocr_roundtrip("text", RenderConfig(page="200x60"), segmentation="magic")
    with pytest.raises(UsageError):
        ocr_roundtrip("text", RenderConfig(page="200x60"), max_pages=0)


# -- confusability ----------------------------------------------------------------------------


def test_homoglyphs_across_scripts_are_identical() -> None:
    report = confusability("AΑА oо", RenderConfig(size="16px"))
    identical = {frozenset((p["a"], p["b"])) for p in report["identical"]}
    assert frozenset(("A", "Α")) in identical  # Latin A, Greek Alpha
    assert frozenset(("A", "А")) in identical  # Latin A, Cyrillic A
    assert frozenset(("o", "о")) in identical
    assert report["min_l1"] == 0.0 and report["closest"]["l1"] == 0.0


def test_small_sizes_bring_glyphs_closer() -> None:
    chars = "Il1|!ij.,:;oO0"
    distances = [
        confusability(chars, RenderConfig(size=s))["min_l1"] for s in ("6px", "10px", "16px", "32px")
    ]
    assert distances == sorted(distances) and distances[0] < distances[-1]
    small = confusability(chars, RenderConfig(size="7px"), threshold=2.0)
    assert small["near_count"] > confusability(chars, RenderConfig(size="32px"), threshold=2.0)["near_count"]
    for pair in small["near"]:
        assert 0 < pair["l1"] <= 2.0 and pair["l2"] ** 2 <= pair["l1"] + 1e-6


def test_the_reported_minimum_is_the_minimum_over_all_pairs() -> None:
    import itertools

    import numpy as np

    from pixtok.measure.legibility import _glyph_bitmaps

    chars = sorted(set("rnmcldoa.,;:"))
    config = RenderConfig(size="9px")
    matrix, drawn = _glyph_bitmaps(chars, config, 9.0)
    brute = min(
        float(np.abs(matrix[i] - matrix[j]).sum()) for i, j in itertools.combinations(range(len(drawn)), 2)
    )
    assert confusability("".join(chars), config)["min_l1"] == pytest.approx(brute, abs=1e-4)


def test_pairs_made_a_few_rows_at_a_time_are_every_pair_within_the_threshold(monkeypatch) -> None:
    """The distance matrix is made a block of rows at a time (memory grows with the characters,
    not their square); with blocks of 3 rows, the near and identical pairs are still exactly
    those that an L1 over every pair finds."""
    import numpy as np

    from pixtok.measure import legibility
    from pixtok.measure.legibility import _glyph_bitmaps

    monkeypatch.setattr(legibility, "_DISTANCE_ROWS", 3)
    chars = sorted(set("Il1|O0o rnmcldvvw,.;:AΑАoоеeрpсc") - {" "})
    config = RenderConfig(size="10px")
    matrix, drawn = _glyph_bitmaps(chars, config, 10.0)
    every = {
        (drawn[i], drawn[j]): float(np.abs(matrix[i] - matrix[j]).sum())
        for i, j in itertools.combinations(range(len(drawn)), 2)
    }
    report = confusability("".join(chars), config, threshold=6.0, limit=10_000)
    assert report["near_count"] == sum(1 for d in every.values() if 0 < d <= 6.0 + 1e-9)
    assert report["identical_count"] == sum(1 for d in every.values() if d == 0)
    for pair in report["near"] + report["identical"]:
        assert pair["l1"] == pytest.approx(every[(pair["a"], pair["b"])], abs=1e-4)
    assert report["min_l1"] == pytest.approx(min(every.values()), abs=1e-4)


def test_a_glyph_stack_past_the_image_limit_is_refused(run_cli) -> None:
    result = run_cli("--limit", "image-pixels=1000", "confusable", "abcdef")
    assert result.exit_code == 1
    assert len(result.error_lines) == 1 and "a stack of glyph cells of" in result.error_lines[0]


def test_characters_without_glyphs_and_whitespace_are_left_out() -> None:
    # Bundled fonts only: fontconfig may find an installed Egyptian hieroglyphs face.
    report = confusability("ab \n\U00013000", RenderConfig(size="12px", system_fonts=False))
    assert report["characters"] == 2
    assert report["skipped"]["missing_glyph"] == "\U00013000"


def test_confusability_checks_its_input() -> None:
    with pytest.raises(InputError):
        confusability("  \n", RenderConfig())
    with pytest.raises(UsageError):
        confusability("abc", RenderConfig(), threshold=-1)
    single = confusability("aaa", RenderConfig())
    assert single["characters"] == 1 and single["min_l1"] is None


def test_confusable_cli(run_cli) -> None:
    import json

    result = run_cli("confusable", "AΑ Il1", "--size", "8px", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    report = document["total"]
    assert report["identical_count"] >= 1 and report["font_size_px"] == 8.0
    assert len(document["records"]) == report["identical_count"] + report["near_count"]
    csv_out = run_cli("confusable", "AΑ Il1", "--size", "8px", "--csv")
    assert csv_out.stdout.splitlines()[0].startswith("input,kind,a,b,codepoints,l1,l2")
    both = run_cli("confusable", "ab", "--text", "cd")
    assert both.exit_code == 2
    no_pairs = run_cli("confusable", "ab", "--csv")  # no pair is near: a header, no rows
    assert no_pairs.exit_code == 0 and no_pairs.stdout == "input,kind,a,b,codepoints,l1,l2\n"


@pytest.mark.slow
def test_every_documented_command_runs(run_cli, tmp_path, corpus_dir) -> None:
    """Each `$ pixtok` line of docs/legibility.md runs and succeeds, and the curve it shows exists."""
    doc = Path(__file__).resolve().parents[1] / "docs" / "legibility.md"
    assert run_page(doc, run_cli, tmp_path) >= 10
    assert (tmp_path / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert (doc.parent / "images" / "legibility" / "curve.png").is_file()


def test_the_curve_table_is_the_data_the_figure_is_drawn_from() -> None:
    """docs/legibility.md's table of the curve is what scripts/make_legibility_figures.py makes
    of images/legibility/curve.json, row for row: the page and the figure say the same."""
    repo = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("figures", repo / "scripts" / "make_legibility_figures.py")
    assert spec is not None and spec.loader is not None
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)
    rows = json.loads((repo / "docs" / "images" / "legibility" / "curve.json").read_text(encoding="utf-8"))
    assert {row["language"] for row in rows} == {label for label, _ in figures.LANGUAGES}
    assert figures.table(rows) in (repo / "docs" / "legibility.md").read_text(encoding="utf-8")
