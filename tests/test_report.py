"""`pixtok report` without a browser: the records it shows are compare's, a records file is read
back without measuring, the grids it draws are the encoders' own, and bad calls fail cleanly.

Takes about 40 s on two busy cores (the corpus size bound renders the whole corpus: slow).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pixtok.compare import CompareOptions, Comparer, summarize
from pixtok.corpus.batch import EngineOptions
from pixtok.corpus.inputs import Record, iter_records
from pixtok.encoders import get_encoder
from pixtok.patches import patchify
from pixtok.render import Renderer, render
from pixtok.render.config import RenderConfig
from pixtok.report import (
    ReportOptions,
    is_records_file,
    read_records_file,
    render_html,
    report_records,
    report_texts,
)
from pixtok.report.pages import ink_integral, overlay

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
EN = CORPUS / "en_prose_debian-reference.txt"
ZH = CORPUS / "zh-cn_prose_debian-reference.txt"
#: The whole corpus with OCR off must fit in this (docs/report.md, "Size"): a page shown costs
#: ~80 kB (its PNG in base64 and its text cut into tokens twice), 15 texts show 56 pages, and
#: the file must stay well under the 10 MB mail servers commonly accept as an attachment.
CORPUS_REPORT_BYTES = 6_000_000


class _Cells(HTMLParser):
    """Collects every element's data-key/data-value inside each input section (by data-input)."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.depth = 0
        self.cells: dict[str, dict[str, str]] = {}
        self.images = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("data-input"):
            self.section = a["data-input"]
            self.cells[self.section] = {}
        if tag == "img" and "page-image" in (a.get("class") or ""):
            self.images += 1
        if self.section and a.get("data-key") and a.get("data-value") is not None:
            self.cells[self.section][a["data-key"]] = a["data-value"]  # type: ignore[assignment]


def flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.fixture(scope="module")
def two_texts() -> tuple[Any, str]:
    options = ReportOptions(compare=CompareOptions(density=True), pages_per_input=2)
    report = report_texts(iter_records([str(EN), str(ZH)]), options)
    return report, render_html(report)


def test_records_are_compare_records_and_the_page_shows_them(two_texts: tuple[Any, str]) -> None:
    report, html = two_texts
    comparer = Comparer(CompareOptions(density=True))
    parser = _Cells()
    parser.feed(html)
    for view, path in zip(report.inputs, [EN, ZH], strict=True):
        expected = comparer.measure(path.read_text(encoding="utf-8"), str(path))
        assert view.record == expected
        shown = parser.cells[str(path)]
        values = flat(expected)
        for key in (
            "chars",
            "pages",
            "tokens.cl100k",
            "vision.qwen2.5-vl.tokens",
            "compression.cl100k.glm-4.1v",
        ):
            assert key in shown, key
        for key, text in shown.items():
            assert text == ("null" if values[key] is None else str(values[key])), key
    total = summarize([v.record for v in report.inputs])
    assert report.total == total
    assert parser.images == sum(min(2, v.record["pages"]) for v in report.inputs)


def test_the_same_report_is_byte_identical(two_texts: tuple[Any, str]) -> None:
    _, html = two_texts
    again = report_texts(
        iter_records([str(EN), str(ZH)]),
        ReportOptions(compare=CompareOptions(density=True), pages_per_input=2),
    )
    assert render_html(again) == html
    assert not re.search(r"""(src|href|url)\s*[=(]\s*["']?(https?:|//)""", html)


def test_page_figures_add_up_to_the_record() -> None:
    text = EN.read_text(encoding="utf-8")
    options = ReportOptions(pages_per_input=100)
    report = report_texts([Record("en", text)], options)
    view = report.inputs[0]
    assert len(view.pages) == view.record["pages"]
    rendered = Renderer(options.compare.render).render(text)
    for page, pixels in zip(view.pages, rendered.pages, strict=True):
        assert np.array_equal(np.asarray(_decode(page.image)), pixels)  # the page's exact pixels
    for name, vision in view.record["vision"].items():
        assert sum(page.vision[name] for page in view.pages) == vision["tokens"]
    for name, count in view.record["tokens"].items():
        assert sum(page.text_tokens[name] for page in view.pages) == count
        pieces = [piece for page in view.token_text[name] for piece in page]
        assert "".join(pieces) == text[: view.pages[-1].span[1]][view.pages[0].span[0] :]
        # One piece per token on the page (tokens spanning pages are cut in two, empty ones dropped).
        assert len(pieces) >= sum(1 for s, e in tokenizer_spans(name, text) if e > s)


def tokenizer_spans(name: str, text: str) -> list[tuple[int, int]]:
    from pixtok.tokenizers import get_tokenizer

    return get_tokenizer(name).spans(text)


def test_grid_and_blank_patches_are_the_encoders_and_patchify_s() -> None:
    """On a page the size Qwen2.5-VL keeps (multiples of 28), its grid is 14-px patches at scale 1:
    the lines fall every 14 px and the blank patches are exactly patchify's blank patches."""
    config = RenderConfig.from_preset("glyph", page="588x840")
    result = Renderer(config).render(EN.read_text(encoding="utf-8"))
    page = result.pages[0]
    encoder = get_encoder("qwen2.5-vl")
    drawn = overlay(encoder, page, ink_integral(page, result.background))
    (view,) = drawn.views
    assert drawn.tokens == encoder.count(588, 840).tokens == 630
    assert view.grid == (60, 42)
    xs = sorted({float(part.split()[0]) for part in view.grid_path.split("M")[1:] if "V" in part})
    assert xs == [14.0 * k for k in range(43)]
    reference = patchify(page, 14, background=result.background)
    assert view.blank == reference.blank_count
    assert view.padding == 0
    assert view.token_path  # the 2×2 merge drawn as token lines
    mask = np.asarray(_decode(view.blank_mask)) > 0
    assert np.array_equal(mask, ~reference.nonblank)


def _decode(uri: str) -> Any:
    import base64
    import io

    from PIL import Image

    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_tiles_are_outlined_from_the_views_alone() -> None:
    """A preset's views decide the drawing: a view list with tiles and a thumbnail draws the
    tiles' grids and outlines the thumbnail."""
    from pixtok.encoders import EncoderView

    class TwoTiles:
        name = "two-tiles"

        def views(self, width: int, height: int) -> list[EncoderView]:
            half = height // 2
            return [
                EncoderView("tile", (0, 0, width, half), (448, 448), (0, 0, 448, 448), (32, 32), 256),
                EncoderView("tile", (0, half, width, height), (448, 448), (0, 0, 448, 448), (32, 32), 256),
                EncoderView("thumbnail", (0, 0, width, height), (448, 448), (0, 0, 448, 448), (32, 32), 256),
            ]

    page = np.full((842, 595), 255, dtype=np.uint8)
    page[100:120, 50:300] = 0
    drawn = overlay(TwoTiles(), page, ink_integral(page, 255))  # type: ignore[arg-type]
    kinds = [(v.kind, bool(v.grid_path)) for v in drawn.views]
    assert kinds == [("tile", True), ("tile", True), ("thumbnail", False)]
    assert drawn.tokens == 768
    assert drawn.views[1].rect == (0, 421, 595, 421)
    # Ink at rows 100-120, columns 50-300 of the page: in the top tile's 14-px patches (scaled
    # by 595/448 across and 421/448 down) that is patch rows 7-9 and columns 2-16.
    inked = ~(np.asarray(_decode(drawn.views[0].blank_mask)) > 0)
    assert set(zip(*np.nonzero(inked), strict=True)) == {(r, c) for r in range(7, 10) for c in range(2, 17)}
    assert drawn.views[1].blank == 32 * 32


def test_a_records_file_is_reported_without_measuring(tmp_path: Path, run_cli, monkeypatch) -> None:
    (tmp_path / "en.txt").write_text(EN.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "gone.txt").write_text("Short text to be changed later.\n", encoding="utf-8")
    done = run_cli("compare", "en.txt", "gone.txt", "--jsonl", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    (tmp_path / "records.jsonl").write_bytes(done.stdout_bytes)
    (tmp_path / "gone.txt").write_text("Changed.\n", encoding="utf-8")
    assert is_records_file(str(tmp_path / "records.jsonl"))
    corpus = tmp_path / "texts.jsonl"
    corpus.write_text(json.dumps({"text": "a text"}) + "\n", encoding="utf-8")
    assert not is_records_file(str(corpus))

    def no_measuring(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a records file must not be measured again")

    monkeypatch.setattr(Comparer, "measure", no_measuring)
    monkeypatch.chdir(tmp_path)
    records = read_records_file("records.jsonl")
    report = report_records(records, ReportOptions(), RenderConfig.from_preset("glyph"))
    en, gone = report.inputs
    assert en.pages and en.record == records.records[0]
    assert not gone.pages and "changed" in gone.note
    html = render_html(report)
    assert "Numbers only" in html and html.count('class="page-image"') == min(4, en.record["pages"])
    # Rendered with other options, the pages would not be the ones counted: numbers only.
    other = report_records(records, ReportOptions(), RenderConfig.from_preset("page-1024"))
    assert not other.inputs[0].pages and "render flags" in other.inputs[0].note


def test_a_json_document_with_old_page_numbers_is_read(tmp_path: Path) -> None:
    record = Comparer(CompareOptions(density=True)).measure("Hello, pages.\n" * 40, "hello")
    assert record["density"]["pages"][0]["page"] in (0, 1)
    path = tmp_path / "doc.json"
    path.write_text(
        json.dumps({"inputs": [record], "total": summarize([record]), "options": {}}), encoding="utf-8"
    )
    loaded = read_records_file(str(path))
    assert loaded.records[0]["density"]["pages"][0]["page"] == 1
    assert loaded.total is not None and loaded.total["tokens"] == record["tokens"]


def test_bad_calls(run_cli, tmp_path: Path) -> None:
    (tmp_path / "en.txt").write_text("Some text.\n", encoding="utf-8")
    (tmp_path / "r.jsonl").write_text(
        json.dumps(Comparer(CompareOptions()).measure("Some text.\n", "en.txt")) + "\n", encoding="utf-8"
    )
    cases = [
        (("report", "en.txt"), 2, "-o report.html"),
        (("report", "missing.txt", "-o", "x.html"), 1, "missing.txt"),
        (("report", "en.txt", "r.jsonl", "-o", "x.html"), 2, "records file"),
        (("report", "r.jsonl", "--ocr", "-o", "x.html"), 2, "--ocr would need measuring"),
        (("report", "en.txt", "-e", "nope", "-o", "x.html"), 2, "nope"),
        (("report", "en.txt", "--sweep", "size", "-o", "x.html"), 2, "NAME=VALUES"),
        (("report", "en.txt", "-o", "no/such/folder/x.html"), 2, "does not exist"),
    ]
    for args, code, words in cases:
        result = run_cli(*args, cwd=tmp_path)
        assert result.exit_code == code, (args, result.stderr)
        assert len(result.error_lines) == 1 and result.error_lines[0].startswith("pixtok: error:"), args
        assert words in result.stderr, (args, result.stderr)
    assert not (tmp_path / "x.html").exists()


def test_a_failed_record_is_listed_and_the_rest_written(run_cli, tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Some text.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    result = run_cli("report", "ok.txt", "empty.txt", "-o", "r.html", cwd=tmp_path)
    assert result.exit_code == 1 and "1 of 2 records failed" in result.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Failed records" in html and 'data-input="ok.txt"' in html


@pytest.mark.slow
def test_the_whole_corpus_fits_the_stated_size(run_cli, tmp_path: Path) -> None:
    texts = sorted([*CORPUS.glob("*.txt"), *CORPUS.glob("next/*.txt")])
    result = run_cli("report", *texts, "-o", tmp_path / "corpus.html")
    assert result.exit_code == 0, result.stderr
    size = (tmp_path / "corpus.html").stat().st_size
    assert size < CORPUS_REPORT_BYTES, size
    html = (tmp_path / "corpus.html").read_text(encoding="utf-8")
    assert html.count('class="page-image"') == sum(
        min(4, r["pages"])
        for r in (Comparer(CompareOptions()).measure(p.read_text(encoding="utf-8")) for p in texts)
    )


def test_marked_ocr_errors_are_the_errors_the_rates_count() -> None:
    """`error_spans` aligns as `error_rates` scores: its edits add up to `char_errors`, and each
    span's offsets point at the source characters it names (normalisation folds NFKC forms,
    format characters and whitespace runs, so offsets map back through it)."""
    import random

    from pixtok.measure.legibility import error_rates, error_spans, normalize

    rng = random.Random(7)
    texts = [p.read_text(encoding="utf-8")[:3000] for p in sorted(CORPUS.glob("*.txt"))]
    texts.append("ﬁne  Ａ\u200bB\n中文\n字  end ")
    for text in texts:
        chars = list(text)
        for _ in range(40):
            i = rng.randrange(len(chars))
            chars[i] = rng.choice(["", "x", "  ", chars[i] * 2, "é"])
        read = "".join(chars)
        spans = error_spans(text, read)
        assert sum(s["errors"] for s in spans) == error_rates(text, read)["char_errors"]
        for span in spans:
            if span["kind"] != "insert":
                source = normalize(text[span["start"] : span["end"]]).replace(" ", "")
                assert span["expected"].replace(" ", "") in source, (span, text[span["start"] : span["end"]])


def test_a_sweep_document_is_reported(tmp_path: Path, run_cli) -> None:
    (tmp_path / "en.txt").write_text(EN.read_text(encoding="utf-8")[:2000], encoding="utf-8")
    done = run_cli("sweep", "en.txt", "--vary", "size=8px,12px", "--json", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    (tmp_path / "sweep.json").write_bytes(done.stdout_bytes)
    document = json.loads(done.stdout)
    records = read_records_file(str(tmp_path / "sweep.json"))
    assert records.sweep is not None
    report = report_records(records, ReportOptions(), RenderConfig.from_preset("glyph"))
    (sweep,) = report.sweeps
    expected = [r["compression_primary"] for r in document["records"]]
    assert [row["compression"] for row in sweep.rows] == expected
    html = render_html(report)
    assert html.count("<title>") >= 1 + len(document["records"])  # the page's, and one per point


def test_a_preset_that_cannot_describe_its_views_is_left_out_of_the_grids() -> None:
    from pixtok.errors import UsageError
    from pixtok.report.pages import page_views

    qwen = get_encoder("qwen2.5-vl")

    class NoViews:
        name = "no-views"

        def count(self, width: int, height: int, *, pixels: Any = None) -> Any:
            return qwen.count(width, height)

        def views(self, width: int, height: int) -> Any:
            raise UsageError("no views for this size")

    result = Renderer(RenderConfig.from_preset("glyph")).render("A short page of text.\n" * 20)
    (page,) = page_views(result, {"no-views": NoViews(), "qwen2.5-vl": qwen}, {}, 4)  # type: ignore[dict-item]
    assert [o.encoder for o in page.overlays] == ["qwen2.5-vl"]
    assert page.vision == {
        "no-views": page.vision["qwen2.5-vl"],
        "qwen2.5-vl": qwen.count(page.width, page.height).tokens,
    }


def test_a_report_draws_the_pages_it_shows_and_no_more() -> None:
    """`pages_per_input` of a long text: those pages are drawn, equal to the text's first pages,
    and the rest never are."""
    from pixtok.report.pages import page_views

    config = RenderConfig.from_preset("page-1024").replace(page="256x128", size=24)
    text = "A short line of text.\n" * 200
    result = Renderer(config).render(text)
    assert result.page_count > 20
    views = page_views(result, {"qwen2.5-vl": get_encoder("qwen2.5-vl")}, {}, 3)
    assert [view.number for view in views] == [1, 2, 3]
    assert result._pages is None
    expected = render(text, config).pages[:3]
    assert [(view.width, view.height) for view in views] == [(p.shape[1], p.shape[0]) for p in expected]
    assert [view.span for view in views] == [result.page_char_span(i) for i in range(3)]
    assert [view.image for view in views] == [
        page_views(render(text, config), {}, {}, 3)[i].image for i in range(3)
    ]


def test_byte_identical_across_processes(run_cli, tmp_path: Path) -> None:
    """Two fresh interpreters (different hash seeds) write the same bytes: charts, grids, pages."""
    (tmp_path / "en.txt").write_text(EN.read_text(encoding="utf-8")[:1500], encoding="utf-8")
    for name, seed in (("a.html", "1"), ("b.html", "2")):
        done = run_cli(
            "report", "en.txt", "-o", name, cwd=tmp_path, env={"PYTHONHASHSEED": seed}, fresh_process=True
        )
        assert done.exit_code == 0, done.stderr
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


def test_group_totals_are_compare_s(run_cli, tmp_path: Path) -> None:
    rows = [
        {"id": "a", "lang": "en", "text": "The console is where a Unix system speaks plainly."},
        {"id": "b", "lang": "en", "text": "Every page of text costs vision tokens, blank or not."},
        {
            "id": "c",
            "lang": "de",
            "text": "Die Konsole ist der Ort, an dem ein Unix-System deutlich spricht.",
        },
    ]
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = run_cli("compare", "c.jsonl", "--id-field", "id", "--group-by", "lang", "--json", cwd=tmp_path)
    assert done.exit_code == 0, done.stderr
    groups = json.loads(done.stdout)["total"]["groups"]
    options = ReportOptions(group_by="lang", compare=CompareOptions(density=True))
    records = iter_records([str(tmp_path / "c.jsonl")], _corpus_options())
    report = report_texts(records, options)
    assert report.groups == groups
    html = render_html(report)
    for group in groups:
        assert f'data-group="{group["input"]}"' in html


def _corpus_options() -> Any:
    from pixtok.corpus.inputs import CorpusOptions

    return CorpusOptions(id_field="id", keep=("lang",))


@pytest.mark.slow
def test_records_past_the_shown_ones_are_measured_on_the_engine_and_change_nothing(
    run_cli, tmp_path: Path
) -> None:
    """Past `--inputs-shown`, records are measured in worker processes as compare measures a
    corpus: the page is the same bytes as a report measured in one process, and its records
    are compare's."""
    words = EN.read_text(encoding="utf-8")
    folder = tmp_path / "texts"
    folder.mkdir()
    for number in range(6):
        (folder / f"t{number}.txt").write_text(words[number * 700 : number * 700 + 1500], encoding="utf-8")
    pages = {}
    for jobs in ("1", "2"):
        done = run_cli("report", folder, "--inputs-shown", "2", "-j", jobs, "-o", tmp_path / f"j{jobs}.html")
        assert done.exit_code == 0, done.stderr
        pages[jobs] = (tmp_path / f"j{jobs}.html").read_bytes()
    assert pages["1"] == pages["2"]
    options = ReportOptions(inputs_shown=2, run=EngineOptions(engine="process", jobs=2))
    report = report_texts(iter_records([folder]), options)
    assert report.records == 6 and len(report.inputs) == 2
    comparer = Comparer(CompareOptions())
    expected = [comparer.measure(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.txt"))]
    assert report.total == summarize(expected)
