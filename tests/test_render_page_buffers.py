"""A Renderer draws new pages into buffers the caller has let go of, never into a page still held.

`PageBuffers` reuses a buffer only when its reference count shows nothing outside the pool holds
it; these tests hold pages in the ways a caller does (the result, a page alone, a view, a
memoryview, a copy made by Pillow) and check that later renders leave them as they were, and
that released buffers really are used again with pages equal to those a fresh Renderer draws.
A buffer's next page is made blank only where the last one was drawn on; the tests check that
every byte of every page is still right after pages of other sizes, colours and texts.
"""

from __future__ import annotations

import gc
import importlib
import os
import signal
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from pixtok import RenderConfig, Renderer
from pixtok.render.raster import PageBuffers

CONFIG = RenderConfig(page="320x120", layout="page")
FIRST = "The first text, drawn into a fresh page buffer."
SECOND = "A second text of other words, drawn after the first."


@pytest.fixture(autouse=True)
def empty_shared_pool() -> None:
    """Each test starts from a pool with no buffer (Renderers share one pool per process)."""
    engine = importlib.import_module("pixtok.render.engine")
    engine._PAGE_BUFFERS.clear()


def fresh_pages(text: str) -> list[np.ndarray]:
    return [page.copy() for page in Renderer(CONFIG).render(text).pages]


def test_a_released_buffer_is_drawn_again_and_the_page_is_the_same() -> None:
    renderer = Renderer(CONFIG)
    first = renderer.render(FIRST).pages[0]
    owner = first.base if first.base is not None else first
    address = owner.__array_interface__["data"][0]
    del first, owner
    gc.collect()
    again = renderer.render(SECOND).pages[0]
    reused = (again.base if again.base is not None else again).__array_interface__["data"][0]
    assert reused == address
    assert np.array_equal(again, fresh_pages(SECOND)[0])


@pytest.mark.parametrize("hold", ["result", "page", "view", "memoryview", "pillow"])
def test_a_page_the_caller_holds_is_never_drawn_over(hold: str) -> None:
    renderer = Renderer(CONFIG)
    result = renderer.render(FIRST)
    expected = result.pages[0].copy()
    held: object = {
        "result": result,
        "page": result.pages[0],
        "view": result.pages[0][10:50, 20:200],
        "memoryview": memoryview(result.pages[0]),
        "pillow": Image.fromarray(result.pages[0]),
    }[hold]
    del result
    gc.collect()
    for text in (SECOND, FIRST + " again", SECOND + " again"):
        renderer.render(text)
    if hold == "result":
        assert np.array_equal(held.pages[0], expected)  # type: ignore[attr-defined]
    elif hold == "view":
        assert np.array_equal(held, expected[10:50, 20:200])
    else:
        assert np.array_equal(np.asarray(held), expected)


def address(page: np.ndarray) -> int:
    return page.__array_interface__["data"][0]


def test_the_pool_serves_nearby_sizes_from_one_buffer_and_fills_every_byte() -> None:
    pool = PageBuffers(count=2)
    step = PageBuffers.STEP
    held = [pool.blank((2, 300, 400), 255) for _ in range(3)]  # all held: three buffers
    assert len({address(page) for page in held}) == 3
    assert all(page.flags.c_contiguous and (page == 255).all() for page in held)
    held[2][:] = 7
    released = address(held[2])
    del held[2]
    smaller = pool.blank((1, 290, 410), 0)  # fits the released buffer: drawn there, all 0
    assert address(smaller) == released and smaller.shape == (1, 290, 410)
    assert (smaller == 0).all()
    del smaller
    tiny = pool.blank((1, 10, 10), 255)  # far smaller than any buffer: a buffer of its own
    assert address(tiny) != released and tiny.base.nbytes == step


def next_page(
    use: Callable[[PageBuffers, np.ndarray], object], shape: tuple[int, ...] = (1, 100, 200), value: int = 255
) -> np.ndarray:
    """The page a one-buffer pool gives after a first (1, 100, 200) white page was used by `use`
    and let go of, as a caller does; it is checked to be drawn in the same buffer."""
    pool = PageBuffers(count=1)
    page = pool.blank((1, 100, 200), 255)
    use(pool, page)
    first = address(page)
    del page
    again = pool.blank(shape, value)
    assert address(again) == first
    return again


def test_only_the_span_a_drawer_says_it_drew_is_made_blank_again() -> None:
    def use(pool: PageBuffers, page: np.ndarray) -> None:
        page[0, 10:20] = 0
        pool.drawn(page, 10 * 200, 20 * 200)
        page[0, 50] = 9  # against its word: the pool does not look outside the span it was told of

    again = next_page(use)
    assert (again[0, 10:20] == 255).all()
    assert (again[0, 50] == 9).all()


def test_a_page_no_drawer_spoke_of_is_made_blank_whole() -> None:
    again = next_page(lambda pool, page: page.fill(3))
    assert (again == 255).all()


def test_a_larger_page_after_a_smaller_one_is_blank_to_its_end() -> None:
    def use(pool: PageBuffers, page: np.ndarray) -> None:
        page.base[page.size :] = 7  # past the first page the buffer may hold anything
        pool.drawn(page, 0, 0)

    assert (next_page(use, shape=(2, 150, 200)) == 255).all()  # reaching past the first page


def test_a_page_of_another_value_is_filled_whole() -> None:
    assert (next_page(lambda pool, page: pool.drawn(page, 0, 0), value=0) == 0).all()


def test_a_page_from_elsewhere_is_ignored() -> None:
    pool = PageBuffers(count=1)
    pool.drawn(np.zeros((1, 10, 10), dtype=np.uint8), 0, 10)  # no error, nothing remembered
    assert (pool.blank((1, 10, 10), 255) == 255).all()


def test_pages_are_read_only() -> None:
    """A page may be drawn into the buffer of a page let go of, trusting that nothing wrote into
    it outside the text: pages are handed out read-only (copy one to change it)."""
    page = Renderer(CONFIG).render(FIRST).pages[0]
    assert not page.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        page[0, 0] = 0
    assert page.copy().flags.writeable


@pytest.mark.parametrize("layout", ["page", "crop", "strip"])
def test_every_page_after_other_pages_equals_the_page_drawn_from_an_empty_pool(layout: str) -> None:
    """Texts of one page, of many, drawn once and again (the repeat path presses kept pixels),
    at two sizes, black on white, in colour and in black and white, one after another in one pool:
    each page equals the page drawn first thing from an empty pool (every byte filled)."""
    long_text = " ".join([FIRST, SECOND] * 12)
    configs = [
        RenderConfig(page="320x120", layout=layout, size="12px"),
        RenderConfig(page="320x160", layout=layout, size="15px", line_height="18px"),
        RenderConfig(page="320x120", layout=layout, foreground="#203040", background="#f0e0d0"),
        RenderConfig(page="320x120", layout=layout, color_mode="1"),
    ]
    order = [(c, t) for c in configs for t in (long_text, FIRST, long_text, long_text, SECOND)]
    engine = importlib.import_module("pixtok.render.engine")
    expected = []
    for config, text in order:
        engine._PAGE_BUFFERS.clear()
        expected.append([page.copy() for page in Renderer(config).render(text).pages])
    engine._PAGE_BUFFERS.clear()
    renderers = {config: Renderer(config) for config in configs}
    for (config, text), pages in zip(order, expected, strict=True):
        drawn = renderers[config].render(text).pages
        assert len(drawn) == len(pages)
        for page, reference in zip(drawn, pages, strict=True):
            assert page.shape == reference.shape and np.array_equal(page, reference)
        del drawn
        gc.collect()


def test_a_new_renderer_draws_into_a_buffer_another_renderer_s_page_let_go() -> None:
    """Renderers share the pool: the memory of a released page of one serves the next one's."""
    first = Renderer(CONFIG).render(FIRST).pages[0]
    released = address(first)
    del first
    gc.collect()
    again = Renderer(CONFIG).render(SECOND).pages[0]
    assert address(again) == released
    assert np.array_equal(again, fresh_pages(SECOND)[0])


def test_threads_sharing_the_pool_never_share_a_page() -> None:
    """Renderers on several threads take buffers from one pool; every page they hold at once is
    its own memory and equals the page drawn alone."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"{SECOND} Thread text number {k}." for k in range(24)]
    expected = [fresh_pages(text)[0] for text in texts]

    def draw(text: str) -> np.ndarray:
        return Renderer(CONFIG).render(text).pages[0]

    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(pool.map(draw, texts))
    assert len({address(page) for page in pages}) == len(pages)
    for page, reference in zip(pages, expected, strict=True):
        assert np.array_equal(page, reference)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork does not exist on this platform")
def test_a_child_forked_while_the_pool_is_locked_still_draws() -> None:
    """A process forked while a thread of its parent holds the shared pool's lock does not wait
    for a thread it does not have: it draws its page and exits."""
    engine = importlib.import_module("pixtok.render.engine")
    renderer = Renderer(CONFIG)
    expected = fresh_pages(SECOND)[0]
    with engine._PAGE_BUFFERS._lock:  # as a parent's drawing thread would, at the moment of fork
        child = os.fork()
        if child == 0:  # the child: drawing must not wait on the parent's lock
            same = False
            try:
                signal.alarm(30)
                same = np.array_equal(renderer.render(SECOND).pages[0], expected)
            finally:  # whatever happened, the child leaves here and runs no more of the tests
                os._exit(0 if same else 1)
    _, status = os.waitpid(child, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status
