"""Pages drawn one batch at a time: `RenderResult.iter_pages` and the writers of `pixtok render`.

A text set large (300 px on 1024 x 1024 pages) fills a page with a few words, so a few hundred
characters make dozens of pages of a megabyte each. Iterated, they equal the pages `pages`
gives, byte for byte, while the memory traced at any moment (numpy reports its buffers to tracemalloc) stays
at a few pages; every writer gives the bytes it gave when every page was held at once.
"""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from pixtok import RenderConfig, Renderer, render
from pixtok.render.engine import _BATCH

CONFIG = RenderConfig.from_preset("page-1024").replace(size=300, line_height=1.2)
TEXT = "ab " * 240
LONG_TEXT = TEXT * 2
PAGE_BYTES = 1024 * 1024


def fill_page_buffers() -> None:
    """Draw pages and let them go, so the process's pool holds the buffers a run reuses: what
    is measured after it is what drawing holds in a run's steady state, not the pool's first
    allocations."""
    for _page in Renderer(CONFIG).render(TEXT).iter_pages():
        pass


def digests(pages) -> list[str]:
    return [hashlib.sha256(np.ascontiguousarray(page)).hexdigest() for page in pages]


def test_iterated_pages_are_the_pages_in_the_memory_of_a_few() -> None:
    expected = digests(Renderer(CONFIG).render(TEXT).pages)
    assert len(expected) >= 40
    # A Renderer of its own: one that has drawn the text before keeps its pixels for a repeat.
    result = Renderer(CONFIG).render(TEXT)
    tracemalloc.start()
    try:
        got = digests(result.iter_pages())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == expected
    assert peak < 8 * PAGE_BYTES, f"{peak / PAGE_BYTES:.1f} pages held at once"
    assert result._pages is None  # nothing kept: `pages` would draw them again


def test_iterating_pages_already_drawn_gives_those_arrays() -> None:
    result = render(TEXT, CONFIG)
    pages = result.pages
    assert all(a is b for a, b in zip(result.iter_pages(), pages, strict=True))


@pytest.mark.parametrize("suffix", [".npy", ".npz", "/"])
def test_the_writers_give_every_page_as_drawn(run_cli, tmp_path: Path, suffix: str) -> None:
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    target = "pages/" if suffix == "/" else f"stack{suffix}"
    args = ["render", "t.txt", "--preset", "page-1024", "--size", "300", "--line-height", "1.2"]
    result = run_cli(*args, "-o", target, cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    expected = render(TEXT, CONFIG).pages
    if suffix == ".npy":
        written = list(np.load(tmp_path / target))
    elif suffix == ".npz":
        with np.load(tmp_path / target) as archive:
            written = list(archive["pages"])
            sizes = archive["page_sizes"]
        assert sizes.tolist() == [list(page.shape) for page in expected]
    else:
        from PIL import Image

        files = sorted((tmp_path / "pages").glob("t-*.png"))
        written = [np.asarray(Image.open(path)) for path in files]
    assert digests(written) == digests(expected)


def test_a_shard_record_is_encoded_page_by_page() -> None:
    """`render --shards` turns a record into PNG pages holding a few page arrays at a time, and
    its per-page counts are those of the layout."""
    from PIL import Image

    from pixtok.corpus.batch import RenderTask
    from pixtok.corpus.inputs import Record

    fill_page_buffers()
    worker = RenderTask(CONFIG)()
    tracemalloc.start()
    try:
        sample = worker(Record("t", TEXT))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    expected = render(TEXT, CONFIG)
    pages = sample["pages"]
    assert len(pages) == expected.page_count >= 40
    assert peak < 8 * PAGE_BYTES, f"{peak / PAGE_BYTES:.1f} pages held at once"
    drawn = [np.asarray(Image.open(io.BytesIO(page["png"]))) for page in pages]
    assert digests(drawn) == digests(expected.pages)
    for index, page in enumerate(pages):
        assert page["lines"] == int(np.count_nonzero(expected.line_page == index))
        assert page["glyphs"] == int(np.count_nonzero(expected.glyphs.page == index))


def test_compare_measures_density_a_page_at_a_time() -> None:
    """`compare`'s density (on by default in the CLI) reads every page: it draws them one after
    another, and what it records of each is `page_density` of that page as `pages` holds it."""
    from pixtok.compare import CompareOptions, Comparer
    from pixtok.measure.density import page_density
    from pixtok.patches import patchify

    comparer = Comparer(CompareOptions(render=CONFIG, density=True, tokenizers=()))
    result = comparer.render(LONG_TEXT)
    fill_page_buffers()
    tracemalloc.start()
    try:
        record = comparer.measure(LONG_TEXT, result=result)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # a batch of pages composited together, and the measures of one page
    assert peak < (_BATCH + 12) * PAGE_BYTES, f"{peak / PAGE_BYTES:.1f} pages held at once"
    assert result._pages is None

    pages = render(LONG_TEXT, CONFIG).pages
    grids = [patchify(page, 16) for page in pages]
    assert record["patches"]["total"] == sum(grid.total for grid in grids)
    assert record["patches"]["nonblank"] == sum(grid.nonblank_count for grid in grids) > 0
    measured = record["density"]["pages"]
    assert len(measured) == len(pages) >= 80
    for index in (0, len(pages) // 2, len(pages) - 1):
        expected = {k: v for k, v in page_density(pages[index], 16).items() if not k.startswith("_")}
        assert {key: measured[index][key] for key in expected} == expected


def test_ocr_of_the_first_pages_draws_only_those() -> None:
    """`--max-pages` reads the first pages of a long text: the others are never drawn, and
    none is kept."""
    from pixtok.measure.legibility import ocr_result

    result = Renderer(CONFIG).render(LONG_TEXT)
    fill_page_buffers()
    tracemalloc.start()
    try:
        report = ocr_result(result, LONG_TEXT, "tesseract", max_pages=2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report["pages_read"] == 2 and report["pages_total"] == result.page_count >= 80
    assert peak < (_BATCH + 8) * PAGE_BYTES, f"{peak / PAGE_BYTES:.1f} pages held at once"
    assert result._pages is None
    assert [page["span"] for page in report["pages"]] == [list(result.page_char_span(p)) for p in (0, 1)]
    assert report["cer"] < 0.5, report
