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

CONFIG = RenderConfig.from_preset("page-1024").replace(size=300, line_height=1.2)
TEXT = "ab " * 240
PAGE_BYTES = 1024 * 1024


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

    expected = render(TEXT, CONFIG)
    worker = RenderTask(CONFIG)()
    tracemalloc.start()
    try:
        sample = worker(Record("t", TEXT))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    pages = sample["pages"]
    assert len(pages) == expected.page_count >= 40
    assert peak < 8 * PAGE_BYTES, f"{peak / PAGE_BYTES:.1f} pages held at once"
    drawn = [np.asarray(Image.open(io.BytesIO(page["png"]))) for page in pages]
    assert digests(drawn) == digests(expected.pages)
    for index, page in enumerate(pages):
        assert page["lines"] == int(np.count_nonzero(expected.line_page == index))
        assert page["glyphs"] == int(np.count_nonzero(expected.glyphs.page == index))
