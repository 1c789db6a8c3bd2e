"""`pixtok study compression`: excerpts, Fox's scores, what the encoder mode sees, the bins and
their totals, the published figures, and runs with Tesseract and with a model on a loopback
chat-completions server (tests/chat_server.py).

The runs use short excerpts (100-200 cl100k tokens) on 512² and 640² pages, a few pages each;
the module takes about 40 s on two cores.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from chat_server import TEMPLATE_TOKENS, ChatServer
from doc_examples import parse, run_page
from PIL import Image, ImageOps

from pixtok import RenderConfig, UsageError, render
from pixtok.corpus.batch import EngineOptions, Progress, signature
from pixtok.corpus.inputs import CorpusOptions, Record, iter_records
from pixtok.corpus.runlog import journal_path
from pixtok.encoders import get_encoder
from pixtok.study import (
    PUBLISHED_TABLE2,
    TABLE2_EXCERPTS,
    StudyOptions,
    compression_study,
    cut_excerpts,
    encoder_view,
    fox_scores,
    model_input,
    page_view,
    parse_excerpts,
    published,
    summarize,
)
from pixtok.tokenizers import get_tokenizer

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "study.md"
DEEPSEEK = "deepseek-ai/DeepSeek-OCR"


@pytest.fixture(autouse=True)
def _environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


# -- excerpts ----------------------------------------------------------------------------------------


def test_excerpts_follow_each_other_and_land_in_their_bin(corpus_text) -> None:
    text = corpus_text("en_prose")
    tokenizer = get_tokenizer("cl100k")
    for length in (650, 1250):
        pieces = cut_excerpts(text, length, tokenizer, slack=50)
        assert len(pieces) == tokenizer.count(text) // length
        position = 0
        for piece in pieces:
            assert length - 50 <= tokenizer.count(piece) <= length
            found = text.index(piece, position)
            assert text[position:found].isspace() or found == position
            end = found + len(piece)
            assert end == len(text) or text[end].isspace()
            position = end


def test_excerpt_lengths_are_parsed() -> None:
    assert parse_excerpts("table2") == TABLE2_EXCERPTS == (650, 750, 850, 950, 1050, 1150, 1250)
    assert parse_excerpts("650:1250:300") == (650, 950, 1250)
    assert parse_excerpts("100,150") == (100, 150)
    for bad in ("abc", "5:1:1", "0", "1:5:0"):
        with pytest.raises(UsageError):
            parse_excerpts(bad)


# -- scores ------------------------------------------------------------------------------------------


def fox_eval_precision(label: str, answer: str) -> float:
    """Fox's eval_tools/eval_ocr_test.py, step by step: cal_per_metrics(root, label, answer) binds
    pred=label and gt=answer, then nltk.metrics.precision(set(gt words), set(pred words))."""
    pred, gt = label, answer
    reference, hypothesis = set(gt.split()), set(pred.split())
    return len(reference.intersection(hypothesis)) / len(hypothesis)


def slow_levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


@pytest.mark.parametrize(
    ("reference", "answer"),
    [
        ("the quick brown fox jumps", "the quick brown fox jumps"),
        ("the quick brown fox jumps", "the quikc brown fox"),
        ("a a a b", "a b c d e f"),
        ("Ctrl-Alt-F3, and you can return", "Ctrl-Alt-F3. and you can retum to"),
        ("one two", ""),
    ],
)
def test_precision_and_edit_accuracy_are_fox_s(reference: str, answer: str) -> None:
    scores = fox_scores(reference, answer)
    assert scores["precision"] == pytest.approx(fox_eval_precision(reference, answer), abs=1e-6)
    longest = max(len(reference), len(answer))
    assert scores["edit_accuracy"] == pytest.approx(
        1 - slow_levenshtein(reference, answer) / longest, abs=1e-6
    )


def test_a_line_break_for_a_space_is_no_error_and_han_characters_are_words() -> None:
    assert fox_scores("one two three", "one\ntwo three")["edit_accuracy"] == 1.0
    assert fox_scores("控制台基础", "控制台基")["precision"] == pytest.approx(4 / 5)


# -- what the mode sees ---------------------------------------------------------------------------


def test_modes_see_the_page_as_their_processor_makes_it() -> None:
    page = render("Upon starting the system " * 60, RenderConfig.from_preset("glyph", layout="fit")).pages[0]
    assert page.shape == (842, 595)
    image = Image.fromarray(page)
    tiny, box = encoder_view(page, *model_input(get_encoder("deepseek-ocr-tiny")))
    # DeepSeek-OCR Tiny/Small: image.resize((512, 512)) with Pillow's default filter.
    assert np.array_equal(tiny, np.asarray(image.resize((512, 512)))) and box == (0, 0, 512, 512)
    base, box = encoder_view(page, *model_input(get_encoder("deepseek-ocr-base")))
    # Base/Large: ImageOps.pad with the normalisation mean as the colour.
    assert np.array_equal(base, np.asarray(ImageOps.pad(image, (1024, 1024), color=127)))
    assert box == (150, 0, 874, 1024) and (base[:, :150] == 127).all()
    laid_back = page_view(tiny, (0, 0, 512, 512), (595, 842))
    assert laid_back.shape == page.shape
    with pytest.raises(UsageError, match="fixed input size"):
        model_input(get_encoder("qwen2.5-vl"))
    with pytest.raises(UsageError, match="fixed input size"):
        StudyOptions(modes=("qwen2.5-vl",))


# -- bins and totals ---------------------------------------------------------------------------------


def record(name: str, tokens: int, precision: float, mode: str = "deepseek-ocr-tiny") -> dict:
    return {
        "input": name,
        "text_tokens": tokens,
        "bin": f"{tokens // 100 * 100}-{tokens // 100 * 100 + 100}",
        "modes": {
            mode: {
                "vision_tokens": 64,
                "precision": precision,
                "edit_accuracy": precision,
                "chars": 100,
                "char_errors": 1,
                "chars_nospace": 80,
                "char_errors_nospace": 1,
            }
        },
    }


def test_bins_average_pages_and_totals_fold() -> None:
    records = [
        record("a", 640, 0.9),
        record("b", 660, 0.8),
        record("c", 1210, 0.5),
        {"input": "d", "error": "x"},
    ]
    total = summarize(records)
    assert total["inputs"] == 3
    first, last = total["bins"]
    assert first["bin"] == "600-700" and first["pages"] == 2 and first["text_tokens"] == 650
    tiny = first["deepseek-ocr-tiny"]
    assert tiny["precision"] == pytest.approx(85.0) and tiny["compression"] == pytest.approx(
        650 / 64, abs=0.01
    )
    assert tiny["published_precision"] == 96.5 and tiny["published_compression"] == 10.5
    assert last["bin"] == "1200-1300" and last["deepseek-ocr-tiny"]["precision"] == pytest.approx(50.0)
    folded = summarize([summarize(records[:2]), *records[2:]])
    assert folded["bins"] == total["bins"] and folded["inputs"] == 3


def test_the_published_table_is_consistent() -> None:
    """Table 2's compression is mean text tokens ÷ 64 or ÷ 100: both columns must put the mean
    inside its bin and agree with each other; the bins hold the 100 pages the paper selected."""
    assert sum(row[4] for row in PUBLISHED_TABLE2.values()) == 100
    for label, (_, c64, _, c100, _) in PUBLISHED_TABLE2.items():
        low, high = (int(v) for v in label.split("-"))
        assert low <= c64 * 64 <= high + 5 and low <= c100 * 100 <= high
        assert abs(c64 * 64 - c100 * 100) < 15
    assert published("deepseek-ocr-small")["1200-1300"] == {
        "precision": 87.1,
        "compression": 12.6,
        "pages": 4,
    }
    assert published("deepseek-ocr-base") == {}


# -- runs -------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_study_with_tesseract_reads_short_excerpts_and_is_deterministic(corpus_text) -> None:
    text = corpus_text("en_prose")[:2500]
    options = StudyOptions(excerpts=(150,), bin_size=50, engine="tesseract", arrangement="square")
    runs = []
    for _ in range(2):
        out: list[dict] = []
        totals = compression_study(
            [Record("en", text)], options, engine=EngineOptions("serial"), on_record=out.append
        )
        runs.append((out, totals.total()))
    (records, total), (again, _) = runs
    assert json.dumps(records) == json.dumps(again)
    assert len(records) >= 3
    assert [r["input"] for r in records] == [f"en#150.{k}" for k in range(1, len(records) + 1)]
    for entry in records:
        tiny, small = entry["modes"]["deepseek-ocr-tiny"], entry["modes"]["deepseek-ocr-small"]
        assert tiny["vision_tokens"] == 64 and small["vision_tokens"] == 100
        assert tiny["compression"] == pytest.approx(entry["text_tokens"] / 64, abs=1e-5)
        # 150 tokens on a 512² page are set large: Tesseract reads nearly every word.
        assert tiny["precision"] > 0.95 and small["precision"] > 0.95, entry
        assert small["font_size_px"] > tiny["font_size_px"]
    assert {row["bin"] for row in total["bins"]} <= {"100-150", "150-200"}


@pytest.mark.slow
def test_the_cli_writes_records_a_document_and_a_plot(run_cli, corpus_text, tmp_path) -> None:
    source = tmp_path / "en.txt"
    source.write_text(corpus_text("en_prose")[:1800], encoding="utf-8")
    common = (
        "study", "compression", source, "--excerpts", "120", "--bin-size", "50", "-e", "deepseek-ocr-tiny",
        "--ocr-engine", "tesseract", "--arrangement", "square", "--engine", "serial",
    )  # fmt: skip
    document = run_cli(*common, "--json", "--plot", tmp_path / "study.png")
    assert document.exit_code == 0, document.stderr
    parsed = json.loads(document.stdout)
    assert list(parsed) == ["records", "total", "options"]
    assert parsed["options"]["modes"] == ["deepseek-ocr-tiny"] and parsed["options"]["excerpts"] == [120]
    assert (tmp_path / "study.png").read_bytes()[:4] == b"\x89PNG"
    written = run_cli(*common, "-o", tmp_path / "records.jsonl")
    assert written.exit_code == 0, written.stderr
    lines = (tmp_path / "records.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == parsed["records"]
    resumed = run_cli(*common, "-o", tmp_path / "records.jsonl", "--resume")
    assert resumed.exit_code == 0 and (tmp_path / "records.jsonl").read_text().splitlines() == lines
    bad = run_cli("study", "compression", source, "-e", "qwen2.5-vl")
    assert bad.exit_code == 2 and bad.error_lines == [
        "pixtok: error: qwen2.5-vl has no fixed input size; a compression study needs a mode such as "
        "deepseek-ocr-tiny, deepseek-ocr-small, deepseek-ocr-base or deepseek-ocr-large"
    ]
    arrangement = run_cli("study", "compression", source, "--arrangement", "scroll")
    assert (
        arrangement.exit_code == 2 and "--arrangement must be one of document, square" in arrangement.stderr
    )


@pytest.mark.slow
def test_a_served_model_reads_the_mode_s_view_and_its_tokens_are_checked(corpus_text, tmp_path) -> None:
    """vLLM serves DeepSeek-OCR in Gundam mode: a 512² Tiny page costs it the 1024² global view
    (273 tokens), not Tiny's 73, and the study's records say so."""
    text = corpus_text("en_prose")[:1200]
    with ChatServer(models={DEEPSEEK: "deepseek"}) as server:
        from pixtok.measure.vlm import ServerOptions

        server_options = ServerOptions(url=server.url, model=DEEPSEEK, cache=False, timeout=30)
        options = StudyOptions(excerpts=(100,), engine="openai", server=server_options, arrangement="square")
        out: list[dict] = []
        compression_study([Record("en", text)], options, engine=EngineOptions("serial"), on_record=out.append)
        chats = server.chat_requests()
    assert len(chats) == 2 * len(out) > 0
    assert {chat.image.size for chat in chats} == {(512, 512), (640, 640)}
    assert {chat.prompt for chat in chats} == {"Free OCR."}
    for entry in out:
        tiny = entry["modes"]["deepseek-ocr-tiny"]
        assert tiny["sequence_tokens"] == 73
        assert tiny["prompt_minus_vision"] == (273 - 73) + TEMPLATE_TOKENS + 2
        assert tiny["precision"] > 0.9, tiny


# -- resuming ----------------------------------------------------------------------------------------

#: Rows with two text columns: the same ids read with `--field body` hold other texts.
TWO_COLUMNS = [
    {"id": "a", "text": "One short line of words to read.", "body": "Another column with other words."},
    {"id": "b", "text": "Two lines of words, read back.", "body": "A second body, a longer one to read."},
    {"id": "c", "text": "Three words and more.", "body": "The third body."},
]
#: One mode, a square page, Tesseract, no worker processes: about a second a record.
QUICK_STUDY = (
    "-e", "deepseek-ocr-tiny", "--ocr-engine", "tesseract", "--arrangement", "square",
    "--engine", "serial", "-q",
)  # fmt: skip


def two_column_corpus(folder: Path) -> Path:
    corpus = folder / "c.jsonl"
    corpus.write_text("".join(json.dumps(row) + "\n" for row in TWO_COLUMNS), encoding="utf-8")
    return corpus


def interrupt_after_one_record(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the CLI's progress callback raise KeyboardInterrupt, as Ctrl-C does, once the first
    record is saved: the run stops with a journal of one record to resume."""
    import pixtok.cli.corpus_options

    @contextlib.contextmanager
    def stopping(*_: object, **__: object) -> Iterator[Progress]:
        def advance(n: int, *, resumed: bool = False) -> None:
            if not resumed:
                raise KeyboardInterrupt

        yield advance

    monkeypatch.setattr(pixtok.cli.corpus_options, "progress_bar", stopping)


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file in `folder` (hidden ones too: the journal and its sidecar) with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.mark.slow
def test_a_journal_is_resumed_only_with_the_reading_options_that_made_it(
    run_cli, monkeypatch, tmp_path
) -> None:
    """`--field`, `--id-field` and `--errors` give the same ids other texts (or other ids): a
    resume with any of them changed is refused, as compare refuses it, and touches nothing. The
    excerpts the study cuts once hid the reading options from the run's signature, and a resume
    with `--field body` appended the `body` column to records of the `text` column."""
    two_column_corpus(tmp_path)
    with monkeypatch.context() as patch:
        interrupt_after_one_record(patch)
        stopped = run_cli("study", "compression", "c.jsonl", *QUICK_STUDY, "-o", "out.jsonl", cwd=tmp_path)
    assert stopped.exit_code == 130, stopped.stderr
    before = files_of(tmp_path)
    assert sorted(before) == [".out.jsonl.partial", ".out.jsonl.partial.json", "c.jsonl"]
    assert len(before[".out.jsonl.partial"].splitlines()) == 1
    for reading in (("--field", "body"), ("--id-field", "id"), ("--errors", "replace")):
        refused = run_cli(
            "study", "compression", "c.jsonl", *QUICK_STUDY, *reading, "-o", "out.jsonl", "--resume",
            cwd=tmp_path,
        )  # fmt: skip
        assert refused.exit_code == 2 and refused.exception is None, (reading, refused.stderr)
        assert refused.error_lines == [
            "pixtok: error: out.jsonl: the saved records were made with other options; "
            "run without --resume to start over"
        ], reading
        assert refused.stdout == ""
        assert files_of(tmp_path) == before, reading
    # The defaults spelled out are the defaults: the journal resumes, and ends as a clean run.
    resumed = run_cli(
        "study", "compression", "c.jsonl", *QUICK_STUDY, "--field", "text", "--errors", "strict",
        "-o", "out.jsonl", "--resume", cwd=tmp_path,
    )  # fmt: skip
    assert resumed.exit_code == 0, resumed.stderr
    assert sorted(files_of(tmp_path)) == ["c.jsonl", "out.jsonl"]
    lines = (tmp_path / "out.jsonl").read_bytes().splitlines(keepends=True)
    assert lines[0] == before[".out.jsonl.partial"]
    records = [json.loads(line) for line in lines]
    assert [r["input"] for r in records] == ["c.jsonl:1", "c.jsonl:2", "c.jsonl:3"]
    assert [r["chars"] for r in records] == [len(row["text"]) for row in TWO_COLUMNS]


@pytest.mark.slow
def test_a_journal_of_another_column_is_resumed_with_that_column_only(run_cli, monkeypatch, tmp_path) -> None:
    """A journal made with `--field body --id-field id` refuses the defaults and either option
    alone, and resumes with both, reading the `body` column under the `id` column's ids."""
    two_column_corpus(tmp_path)
    made_with = ("--field", "body", "--id-field", "id")
    with monkeypatch.context() as patch:
        interrupt_after_one_record(patch)
        stopped = run_cli(
            "study", "compression", "c.jsonl", *QUICK_STUDY, *made_with, "-o", "out.jsonl", cwd=tmp_path
        )
    assert stopped.exit_code == 130, stopped.stderr
    before = files_of(tmp_path)
    for reading in ((), ("--field", "body"), ("--id-field", "id"), (*made_with, "--errors", "replace")):
        refused = run_cli(
            "study", "compression", "c.jsonl", *QUICK_STUDY, *reading, "-o", "out.jsonl", "--resume",
            cwd=tmp_path,
        )  # fmt: skip
        assert refused.exit_code == 2, (reading, refused.stderr)
        assert len(refused.error_lines) == 1 and "made with other options" in refused.stderr, reading
        assert files_of(tmp_path) == before, reading
    resumed = run_cli(
        "study", "compression", "c.jsonl", *QUICK_STUDY, *made_with, "-o", "out.jsonl", "--resume",
        cwd=tmp_path,
    )  # fmt: skip
    assert resumed.exit_code == 0, resumed.stderr
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["input"] for r in records] == ["a", "b", "c"]
    assert [r["chars"] for r in records] == [len(row["body"]) for row in TWO_COLUMNS]


def test_default_reading_options_keep_the_signature_a_study_journal_always_had(tmp_path) -> None:
    """Journals written before reading options joined the signature resume as they did: with
    default options the sidecar holds the signature of the study options alone. Empty texts fail
    before any page is read, so no OCR runs here."""
    corpus = tmp_path / "empty.jsonl"
    corpus.write_text('{"text": "", "body": "words"}\n{"text": "", "body": "more"}\n', encoding="utf-8")
    options = StudyOptions(modes=("deepseek-ocr-tiny",), engine="tesseract")

    def stop(n: int, *, resumed: bool = False) -> None:
        raise KeyboardInterrupt

    def sidecar(reading: CorpusOptions, name: str) -> str:
        """The signature a run read with `reading` saves beside its journal, stopped at once."""
        out = tmp_path / name
        with pytest.raises(KeyboardInterrupt):
            compression_study(
                iter_records([corpus], reading), options, engine=EngineOptions("serial"), output=str(out),
                on_progress=stop,
            )  # fmt: skip
        return json.loads(Path(f"{journal_path(out)}.json").read_text(encoding="utf-8"))["signature"]

    before = signature({"study": options.record_settings(), "group_by": None})
    assert sidecar(CorpusOptions(), "default.jsonl") == before
    assert sidecar(CorpusOptions(field="text", errors="strict"), "spelled.jsonl") == before
    assert sidecar(CorpusOptions(field="body"), "body.jsonl") != before


# -- the docs page ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_documented_command_runs(run_cli, tmp_path) -> None:
    with ChatServer(models={DEEPSEEK: "deepseek"}) as server:
        count = run_page(DOC, run_cli, tmp_path, replace={"http://localhost:8000/v1": server.url})
        assert server.chat_requests()
    assert count >= 3


def test_the_documented_table_is_the_committed_one() -> None:
    """docs/study.md's tables are the ones scripts/make_compression_study.py printed from the
    committed JSON (rerun the script to change them)."""
    text = DOC.read_text(encoding="utf-8")
    examples, _ = parse(text)
    assert any("--ocr-url" in e.command for e in examples)
    for arrangement in ("document",):
        document = json.loads(
            (REPO / "docs" / "images" / "study" / f"compression-{arrangement}.json").read_text()
        )
        assert (REPO / "docs" / "images" / "study" / f"compression-{arrangement}.png").is_file()
        for row in document["total"]["bins"]:
            tiny, small = row["deepseek-ocr-tiny"], row["deepseek-ocr-small"]
            line = (
                f"| {row['bin']} | {row['pages']} | {tiny['precision']:.1f} % | {tiny['compression']:.1f}× |"
            )
            assert line in text, line
            assert f"| {small['precision']:.1f} % | {small['compression']:.1f}× |" in text
        assert re.search(rf"engine.*{re.escape(document['engine']['version'])}", text)


def test_the_terminal_table_sets_the_paper_beside_each_mode() -> None:
    from pixtok.cli.study import table_rows

    total = summarize([record("a", 650, 0.9), record("b", 655, 0.7, "deepseek-ocr-small")])
    (row,) = table_rows(total, ("deepseek-ocr-tiny", "deepseek-ocr-small"))
    assert row["text tokens"] == "600-700" and row["pages"] == 1
    assert row["tiny %"] == 90.0 and row["paper tiny %"] == 96.5 and row["paper tiny ×"] == 10.5
    assert row["small %"] == 70.0 and row["paper small %"] == 98.5


# -- where the plot goes -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plot", "message"),
    [
        ("o.jsonl", "is both --plot and -o, and one would replace the other; write the plot elsewhere"),
        ("plots/", "ends in '/', which names a folder; name a file"),
        ("s.jsonl", "is also an input, which the output would replace; write it elsewhere"),
        ("missing/p.png", "folder {tmp}/missing does not exist"),
    ],
)
def test_a_plot_path_that_cannot_take_the_plot_is_refused_before_the_study(
    run_cli, tmp_path, plot: str, message: str
) -> None:
    """The plot is drawn at the end of the run: it once replaced the records `-o` had just
    written (exit 0), was written as a file named `plots` for `plots/`, and was refused as the
    input only after every text had been read back and its records printed."""
    source = tmp_path / "s.jsonl"
    source.write_text('{"id": "a", "text": "A few words to read back."}\n', encoding="utf-8")
    result = run_cli(
        "study", "compression", "s.jsonl", "--id-field", "id", "-e", "deepseek-ocr-tiny",
        "--ocr-engine", "tesseract", "-o", "o.jsonl", "--plot", plot, cwd=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 2 and result.exception is None, result.stderr
    assert result.error_lines == [f"pixtok: error: {plot}: {message.format(tmp=tmp_path.resolve())}"]
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.jsonl"]  # no records, no plot, no journal
    assert source.read_text(encoding="utf-8").startswith('{"id": "a"')


def test_a_plot_over_a_file_of_an_input_folder_is_refused_before_the_study(run_cli, tmp_path) -> None:
    """A file the folder walk will read is an input too, even when the plot is named through a
    link; the records printed on stdout show whether the study ran first."""
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("A few words to read back.\n", encoding="utf-8")
    (tmp_path / "link.png").symlink_to(folder / "a.txt")
    result = run_cli(
        "study", "compression", folder, "-e", "deepseek-ocr-tiny", "--ocr-engine", "tesseract",
        "--jsonl", "--plot", tmp_path / "link.png",
    )  # fmt: skip
    assert result.exit_code == 2 and result.exception is None, result.stderr
    assert result.error_lines == [
        f"pixtok: error: {tmp_path / 'link.png'}: is also an input, which the output would replace; "
        "write it elsewhere"
    ]
    assert result.stdout == ""
    assert (folder / "a.txt").read_text(encoding="utf-8") == "A few words to read back.\n"
