"""Density measures and their invariants: a blank page carries 0 bits, more text on a page never
lowers its ink, and the totals are the pages' measures put together."""

from __future__ import annotations

import numpy as np
import pytest

from pixtok import RenderConfig, render
from pixtok.measure.density import (
    _lzma_stream,
    bits_per_token,
    density_report,
    page_density,
    png_size,
    text_information_bits,
)
from pixtok.patches import patchify


def test_a_blank_page_carries_nothing() -> None:
    blank = np.full((256, 320), 255, dtype=np.uint8)
    measures = page_density(blank, 16)
    for key in (
        "ink_coverage",
        "ink_pixel_fraction",
        "nonblank_patches",
        "nonblank_patch_fraction",
        "mean_patch_entropy",
        "mean_nonblank_patch_entropy",
        "png_ink_bits",
    ):
        assert measures[key] == 0, key
    assert measures["patches"] == 16 * 20
    assert text_information_bits("") == 0.0


def test_solid_ink_and_a_two_level_patch() -> None:
    black = page_density(np.zeros((32, 32), dtype=np.uint8), 16)
    assert black["ink_coverage"] == 1.0 and black["nonblank_patch_fraction"] == 1.0
    assert black["mean_patch_entropy"] == 0.0  # one value per patch
    half = np.full((16, 16), 255, dtype=np.uint8)
    half[:, :8] = 0
    measures = page_density(half, 16)
    assert measures["mean_patch_entropy"] == pytest.approx(1.0)  # two equally likely values
    assert measures["ink_coverage"] == pytest.approx(0.5)


def test_text_bits_grow_with_information_not_with_repetition(corpus_text) -> None:
    one = text_information_bits("The quick brown fox jumps over the lazy dog. ")
    many = text_information_bits("The quick brown fox jumps over the lazy dog. " * 50)
    assert one > 0 and many < 2 * one  # fifty copies hold little more than one
    assert text_information_bits("a") > 0
    prose = corpus_text("en_prose")
    assert text_information_bits(prose) < 4 * len(prose)  # English compresses well below 8 bits/char


@pytest.mark.parametrize("patch", [1, 4, 16])
def test_mean_patch_entropy_is_shannon_entropy_of_each_patch(patch: int) -> None:
    """Each patch's entropy, from its own histogram one patch at a time, on a page of far more
    patches than the measure counts in one block."""
    rng = np.random.default_rng(7)
    page = rng.choice(
        np.array([0, 40, 128, 200, 255], dtype=np.uint8), size=(320, 400), p=[0.1, 0.1, 0.1, 0.1, 0.6]
    )
    grid = patchify(page, patch)
    expected = []
    for r in range(grid.rows):
        for c in range(grid.cols):
            _, counts = np.unique(grid.patches[r, c], return_counts=True)
            p = counts / counts.sum()
            expected.append(float(-(p * np.log2(p)).sum()))
    assert grid.total > 2048 or patch == 16
    measures = page_density(page, patch)
    assert measures["mean_patch_entropy"] == pytest.approx(np.mean(expected), abs=1e-6)
    assert measures["mean_patch_entropy"] > 1.0 or patch == 1  # a pixel alone holds one value


def test_text_bits_are_those_of_lzma_preset_9(corpus_dir) -> None:
    """The dictionary cut to the text's size gives the very stream preset 9 | extreme gives
    with its 64 MiB dictionary (liblzma itself, called here the plain way), for texts of every
    script of the corpus, at lengths around the powers of two where the cut dictionary grows."""
    import lzma

    preset = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]

    def bits(data: bytes) -> float:
        empty = len(lzma.compress(b"", format=lzma.FORMAT_RAW, filters=preset))
        return float(8 * (len(lzma.compress(data, format=lzma.FORMAT_RAW, filters=preset)) - empty))

    def stream(data: bytes) -> bytes:
        return lzma.compress(data, format=lzma.FORMAT_RAW, filters=preset)

    whole = "\n".join(path.read_text(encoding="utf-8") for path in sorted(corpus_dir.glob("*.txt")))
    data = whole.encode("utf-8")
    assert len(data) > 2 * 65536
    lengths = (1, 100, 4095, 4096, 4097, 8193, 30000, 65536, 65537, len(data))
    for length in lengths:
        text = data[:length].decode("utf-8", errors="ignore")
        if text.strip():
            assert text_information_bits(text) == bits(text.encode("utf-8")), length
            assert _lzma_stream(text.encode("utf-8")) == stream(text.encode("utf-8")), length


def test_png_size_is_deterministic(corpus_text) -> None:
    page = render(corpus_text("en_prose")[:800], RenderConfig(page="512x256")).pages[0]
    assert png_size(page) == png_size(page.copy())


def test_more_text_on_a_page_never_lowers_its_ink(corpus_text) -> None:
    config = RenderConfig.from_preset("page-1024", size="12px", page="640x640")
    for prefix in ("en_prose", "zh-cn_prose", "fa_prose", "hi_prose"):
        text = corpus_text(prefix)
        cuts = [i for i, c in enumerate(text[:1200]) if c == " " or c == "\n"][::15]
        previous = None
        for cut in cuts:
            result = render(text[:cut] + "x", config)
            if result.page_count > 1:
                break
            measures = page_density(result.pages[0], 16)
            if previous is not None:
                assert measures["ink_coverage"] >= previous["ink_coverage"], (prefix, cut)
                assert measures["ink_pixel_fraction"] >= previous["ink_pixel_fraction"], (prefix, cut)
                assert measures["nonblank_patches"] >= previous["nonblank_patches"], (prefix, cut)
            previous = measures


def test_report_pages_and_totals_agree(corpus_text) -> None:
    text = corpus_text("en_prose")[:3000]
    result = render(text, RenderConfig(size="12px", page="640x400"))
    report = density_report(result, text, 16)
    pages, total = report["pages"], report["total"]
    assert len(pages) == result.page_count >= 2 and report["patch"] == 16
    assert sum(p["chars"] for p in pages) == total["chars"] == len(text)
    assert total["nonblank_patches"] == sum(p["nonblank_patches"] for p in pages)
    assert total["png_bytes"] == sum(p["png_bytes"] for p in pages)
    mean_ink = sum(p["ink_coverage"] * p["width"] * p["height"] for p in pages) / total["pixels"]
    assert total["ink_coverage"] == pytest.approx(mean_ink, abs=1e-5)
    # Compressing the whole text shares context across pages.
    assert total["text_bits"] <= sum(p["text_bits"] for p in pages)
    for page, image in zip(pages, result.pages, strict=True):
        grid = patchify(image, 16)
        assert page["nonblank_patches"] == grid.nonblank_count
        assert page["nonblank_patch_fraction"] == pytest.approx(grid.nonblank_count / grid.total, abs=1e-6)
        assert "_ink_sum" not in page


def test_a_rendered_blank_page_carries_no_bits() -> None:
    # A run of blank lines leaves whole pages that show nothing but newlines.
    text = "first line\n" + "\n" * 40 + "last line"
    result = render(text, RenderConfig(size="16px", page="300x200"))
    report = density_report(result, text, 16)
    blank = [p for p in report["pages"] if p["nonblank_patches"] == 0]
    assert blank and len(blank) < len(report["pages"])
    for page in blank:
        assert page["ink_coverage"] == 0 and page["png_ink_bits"] == 0
        assert page["text_bits"] == 0 and page["chars"] > 0
    assert all(p["text_bits"] > 0 for p in report["pages"] if p["nonblank_patches"])
    assert text_information_bits(" \n\t ") == 0.0


def test_bits_per_token() -> None:
    assert bits_per_token(1000.0, 250) == 4.0
    assert bits_per_token(1000.0, 0) is None


def test_the_documented_example_runs() -> None:
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "density.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", doc, re.S | re.M)
    assert blocks
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], "docs/density.md", "exec"), namespace)
    report = namespace["report"]
    assert report["total"]["text_bits"] > 0 and report["pages"][0]["nonblank_patch_fraction"] > 0


def test_colour_pages_measure_ink_against_their_own_background() -> None:
    text = "Ink is what differs from the page. " * 20
    grey = render(text, RenderConfig(page="256x128"))
    colour = render(
        text, RenderConfig(page="256x128", color_mode="RGB", foreground="#0000ff", background="#ffffcc")
    )
    assert colour.background == (255, 255, 204)
    grey_total, colour_total = density_report(grey, text)["total"], density_report(colour, text)["total"]
    for key in ("ink_coverage", "ink_pixel_fraction", "nonblank_patches", "text_bits"):
        assert colour_total[key] == pytest.approx(grey_total[key], abs=1e-6), key
