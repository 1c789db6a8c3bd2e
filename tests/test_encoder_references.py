"""Every new preset against the real processor: counts equal what transformers' image processors give.

The expected numbers were computed once, offline, with transformers 5.23.0's own image processors
(the PIL backends, numpy only; Phi-4-multimodal's torch one with shape-only stand-ins for
torchvision's resize and pad), each built from its class with the checkpoint's parameters: see
tests/reference/make_processor_counts.py and the class, checkpoint and parameters recorded per
preset in tests/reference/processor_counts.json.

Why recorded numbers and not transformers in CI: transformers 5 pulls huggingface-hub, safetensors
and friends (~60 MB installed) for a few pure-Python functions, and Phi-4's processor needs torch
(~700 MB CPU wheel) and torchvision (which does not import beside the torch wheel available here).
The counts depend on the image size only, so a table made once from the real code, with the code
that made it kept beside it, checks the same thing at no cost per run. Re-run the script when a
processor changes upstream.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pixtok.encoders import get_encoder
from pixtok.errors import UsageError

REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "processor_counts.json").read_text(encoding="utf-8")
)
PRESETS = REFERENCE["presets"]
#: The request's dozen page sizes must all be there for every preset.
PAGES = [tuple(size) for size in REFERENCE["pages"]]


def expected_matches(name: str, width: int, height: int, reference: dict) -> None:
    """Compare pixtok's count of a width×height image with what the processor gave."""
    encoder = get_encoder(name)
    if "error" in reference:
        with pytest.raises(UsageError):
            encoder.count(width, height)
        return
    counted = encoder.count(width, height)
    where = (name, width, height, reference, counted)
    if "grid" in reference:  # Qwen / GLM / PaddleOCR: image_grid_thw, merged 2×2
        assert counted.tokens == reference["tokens"] and list(counted.grid) == reference["grid"], where
    elif name.startswith("gemma-3"):  # one 896² view of 256 tokens each
        assert counted.tiles == reference["views"] and counted.tokens == 256 * reference["views"], where
    elif name == "llama-3.2-vision":
        assert counted.tiles == reference["tiles"] and counted.tokens == 1601 * reference["tiles"], where
    elif name == "llava-next":  # what <image> expands to, and the base view + tiles
        assert counted.sequence_tokens == reference["placeholder_tokens"], where
        assert counted.tiles == reference["views"], where
    elif name == "phi-4-multimodal":  # the processor's num_img_tokens, and global + crops
        assert counted.sequence_tokens == reference["num_img_tokens"], where
        assert counted.tiles == reference["views"], where
    elif "rows" in reference:  # Idefics3 / SmolVLM: tiles + the global image
        assert counted.tiles == reference["views"], where
        side = encoder.tile // encoder.patch  # type: ignore[attr-defined]
        assert counted.grid == (max(reference["rows"], 1) * side, max(reference["cols"], 1) * side), where
    else:  # InternVL: tiles + thumbnail
        assert counted.tiles == reference["views"], where
        assert counted.tokens == 256 * reference["views"], where


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_counts_equal_the_processor(name):
    counts = PRESETS[name]["counts"]
    assert {tuple(map(int, key.split("x"))) for key in counts} >= set(PAGES)
    for key, reference in counts.items():
        width, height = map(int, key.split("x"))
        expected_matches(name, width, height, reference)


def test_reference_covers_every_new_preset_and_the_dozen_pages():
    assert set(PRESETS) >= {
        "qwen2-vl", "qwen2.5-vl", "qwen3-vl", "glm-4.1v", "paddleocr-vl", "gemma-3",
        "gemma-3-pan-and-scan", "llama-3.2-vision", "llava-next", "idefics3", "smolvlm", "smolvlm2",
        "internvl2.5", "internvl3", "phi-4-multimodal",
    }  # fmt: skip
    assert len(PAGES) == 12 and (26, 31) in PAGES and (4000, 200) in PAGES
    assert REFERENCE["made_with"]["transformers"].startswith("5.")


def test_presets_use_the_parameters_the_reference_was_made_with():
    for name in ("qwen2-vl", "qwen2.5-vl", "paddleocr-vl"):
        params, encoder = PRESETS[name]["parameters"], get_encoder(name)
        assert (encoder.min_pixels, encoder.max_pixels) == (params["min_pixels"], params["max_pixels"])
    for name in ("qwen3-vl", "glm-4.1v"):
        size, encoder = PRESETS[name]["parameters"]["size"], get_encoder(name)
        assert (encoder.min_pixels, encoder.max_pixels) == (size["shortest_edge"], size["longest_edge"])
    assert get_encoder("qwen3-vl").patch == PRESETS["qwen3-vl"]["parameters"]["patch_size"] == 16
    for name in ("idefics3", "smolvlm", "smolvlm2"):
        params, encoder = PRESETS[name]["parameters"], get_encoder(name)
        assert encoder.longest_edge == params["size"]["longest_edge"]
        assert encoder.tile == params["max_image_size"]["longest_edge"]
    assert get_encoder("llama-3.2-vision").tile == PRESETS["llama-3.2-vision"]["parameters"]["size"]["height"]


def test_a_one_glyph_page_is_counted_as_transformers_5_counts_it():
    # 26×31: refused by the old rule (a side under 28 px), the min-pixels path in transformers 5.
    assert PRESETS["qwen2.5-vl"]["counts"]["26x31"] == {"tokens": 6, "grid": [6, 4]}
    assert get_encoder("qwen2.5-vl").count(26, 31).grid == (6, 4)
