"""Pages drawn when first read, and patches that hold ink known without drawing them.

`RenderResult.inked_patches` reads black-on-white grey pages from the glyph bitmaps of the
layout; here every answer is held to `patchify` of the page the renderer then draws, over the
corpus, for page, cropped, fitted, justified and clipped layouts and patch sizes that do and do
not divide the page. Pages drawn late (after the renderer drew other texts into its buffers)
are held to pages drawn at once by another renderer, byte for byte.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from pixtok import RenderConfig, Renderer
from pixtok.compare import CompareOptions, Comparer
from pixtok.encoders import get_encoder
from pixtok.patches import patchify

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
P = RenderConfig.from_preset

#: Black text on white grey pages: their inked patches come from the glyph bitmaps.
FROM_GLYPHS = {
    "glyph": RenderConfig(),
    "page-1024": P("page-1024"),
    "fit": RenderConfig(layout="fit", page="400x300"),
    "justify": P("page-1024", align="justify", indent="20px", page="512x384"),
    "right-spaced": RenderConfig(align="right", letter_spacing="1px", hscale=0.9),
    # 30 px text on a page with no margin: glyphs are cut at every edge.
    "clipped": RenderConfig(layout="page", page="150x70", size="30px", margin="0px"),
}
#: Pages whose inked patches are read from the pages: colours, and PIXEL's black end patch.
FROM_PAGES = {
    "rgb": RenderConfig(color_mode="RGB", foreground="#3060a0", background="#fff8e0"),
    "grey-on-grey": P("page-1024", foreground="#404040", background="#f0f0f0", page="512x512"),
    "pixel": P("pixel"),
}


def corpus_windows(size: int = 600, per_file: int = 2) -> list[str]:
    windows = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for start in range(0, min(len(text), size * per_file), size):
            if text[start : start + size].strip():
                windows.append(text[start : start + size])
    return windows


def drawn_nonblank(result, patch: int) -> list[np.ndarray]:
    return [patchify(page, patch, background=result.background).nonblank for page in result.pages]


def same_masks(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and bool((x == y).all()) for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("name", sorted(FROM_GLYPHS))
def test_inked_patches_from_glyphs_equal_patchify_of_the_drawn_pages(name: str) -> None:
    renderer = Renderer(FROM_GLYPHS[name])
    checked = 0
    for window in corpus_windows():
        for patch in (7, 16, 32):
            result = renderer.render(window)  # a repeat after the first: a new result, pages not drawn
            assert result._pages is None
            inked = result.inked_patches(patch)
            assert result._pages is None, "counting inked patches drew the pages"
            assert same_masks(inked, drawn_nonblank(result, patch)), (name, window[:40], patch)
            checked += 1
    assert checked >= 60


def test_clipped_glyphs_leave_ink_only_inside_the_page() -> None:
    result = Renderer(FROM_GLYPHS["clipped"]).render("Wyjątkowo głęboki, gąszcz Łąk. " * 6)
    assert result.clipped_ink > 0  # the case this layout is here for
    assert same_masks(result.inked_patches(16), drawn_nonblank(result, 16))


@pytest.mark.parametrize("name", sorted(FROM_PAGES))
def test_other_pages_are_read_for_their_inked_patches(name: str) -> None:
    renderer = Renderer(FROM_PAGES[name])
    for window in corpus_windows(per_file=1)[::3]:
        result = renderer.render(window)
        inked = result.inked_patches(16)
        assert result._pages is None  # read from the pages one at a time, none kept
        assert same_masks(inked, drawn_nonblank(result, 16))


def test_pixel_strips_count_the_end_patch() -> None:
    result = Renderer(P("pixel")).render("The end of a strip is marked by a black patch.")
    inked = result.inked_patches(16)[0]
    ink_right = int(np.flatnonzero(inked.any(axis=0))[-1])
    assert (result.pages[0][:, ink_right * 16 : ink_right * 16 + 16] == 0).all()


def test_pages_drawn_late_equal_pages_drawn_at_once() -> None:
    texts = corpus_windows(per_file=1)[:12]
    late = Renderer(RenderConfig())
    results = [late.render(text) for text in texts]  # nothing drawn yet
    held = [results[k].pages for k in range(1, len(texts), 2)]  # every other one drawn, in between
    for k in range(0, len(texts), 2):
        assert results[k]._pages is None
    eager = Renderer(RenderConfig())
    for text, result in zip(texts, results, strict=True):
        pages = eager.render(text).pages
        assert len(result.pages) == len(pages) == result.page_count
        assert all(a.tobytes() == b.tobytes() for a, b in zip(result.pages, pages, strict=True))
        assert [(p.shape[1], p.shape[0]) for p in pages] == result.page_sizes
    assert held


def test_a_result_is_pickled_with_its_pages() -> None:
    result = Renderer(RenderConfig()).render("Pickled results carry their pages.")
    copy = pickle.loads(pickle.dumps(result))
    assert copy.pages[0].tobytes() == result.pages[0].tobytes()
    assert copy.inked_patches(16)[0].tolist() == result.inked_patches(16)[0].tolist()


@pytest.mark.parametrize("patch", [64, 300])
def test_patches_larger_than_the_page_agree_with_patchify(patch) -> None:
    """Patches taller (64 px) or larger (300 px) than a 200 x 48 page: the page is one padded
    row of them, from the glyphs as from the drawn page."""
    result = Renderer(RenderConfig(layout="page", page="200x48")).render("A short line.")
    from_glyphs = result.inked_patches(patch)[0]
    assert result._pages is None
    assert from_glyphs.tolist() == patchify(result.pages[0], patch).nonblank.tolist()
    assert from_glyphs.shape == (1, -(-200 // patch)) and from_glyphs[0, 0]


@pytest.mark.parametrize("patch", [0, -16, 2.5, True, "16"])
def test_a_patch_patchify_refuses_is_refused_in_the_same_words(patch) -> None:
    """No positive whole number."""
    from pixtok.errors import UsageError

    result = Renderer(RenderConfig(layout="page", page="200x48")).render("A short line.")
    with pytest.raises(UsageError) as from_glyphs:
        result.inked_patches(patch)
    assert result._pages is None
    with pytest.raises(UsageError) as from_page:
        patchify(result.pages[0], patch)
    assert str(from_glyphs.value) == str(from_page.value)


def test_compare_draws_no_page_unless_something_reads_pixels() -> None:
    text = (CORPUS / "en_prose_debian-reference.txt").read_text(encoding="utf-8")[:3000]
    comparer = Comparer(CompareOptions(tokenizers=()))
    result = comparer.render(text)
    record = comparer.measure(text, result=result)
    assert result._pages is None
    drawn = comparer.render(text)
    _ = drawn.pages
    assert comparer.measure(text, result=drawn) == record  # the same record from the drawn pages
    assert record["patches"]["nonblank"] == sum(int(m.sum()) for m in drawn_nonblank(drawn, 16))

    pixel = CompareOptions(render=P("pixel"), tokenizers=(), encoders=("pixel",))
    for options in (CompareOptions(tokenizers=(), density=True), pixel):
        comparer = Comparer(options)
        result = comparer.render(text)
        draws = []
        each_page = result._each_page

        def drawing(each_page=each_page, draws=draws):
            draws.append(1)
            yield from each_page()

        result._each_page = drawing
        comparer.measure(text, result=result)
        assert draws  # density and PIXEL's end patch read the pixels,
        assert result._pages is None  # a page at a time, keeping none


def test_compare_counts_each_preset_as_the_preset_counts_the_pages() -> None:
    """Presets that count a page by its size are counted once per list of page sizes, PIXEL
    (which reads its strips' pixels) on the pages; both as the encoders count the drawn pages."""
    encoders = ("pixel", "deepseek-ocr-base", "deepseek-ocr-tiny")
    options = CompareOptions(render=P("pixel"), tokenizers=(), encoders=encoders)
    comparer = Comparer(options)
    texts = ["A short strip.", "A longer line of text that fills more of its strip than the first one."]
    for text in texts + texts:
        result = comparer.render(text)
        vision = comparer.measure(text, result=result)["vision"]
        for name in encoders:
            total = get_encoder(name).count_pages(result.pages)
            assert vision[name]["tokens"] == total.tokens and vision[name]["tiles"] == total.tiles, name
    first, again = (comparer.measure(texts[0])["vision"] for _ in range(2))
    assert first == again and first["deepseek-ocr-base"] is not again["deepseek-ocr-base"]  # each its own
