"""Vision-encoder presets: every published figure, the resize rules against independent versions,
the registry, preset files and plugins."""

from __future__ import annotations

import json
import math
import sys
from fractions import Fraction
from importlib.metadata import EntryPoint

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import pixtok.encoders.registry as registry_module
from pixtok.encoders import (
    Encoder,
    GridEncoder,
    Registry,
    VisionCount,
    get_encoder,
    get_encoders,
    list_encoders,
    load_encoders,
    register_encoder,
)
from pixtok.encoders.resize import smart_resize
from pixtok.errors import InputError, PixtokError, UsageError

REQUIRED = [
    "vit-b16",
    "clip-l14-224",
    "clip-l14-336",
    "siglip-224",
    "siglip-448",
    "siglip-896",
    "qwen2-vl",
    "qwen2.5-vl",
    "glm-4.1v",
    "internvl2.5",
    "pixtral",
    "pix2struct",
    "fuyu",
    "deepseek-ocr-tiny",
    "deepseek-ocr-small",
    "deepseek-ocr-base",
    "deepseek-ocr-large",
    "deepseek-ocr-gundam",
    "pixel",
    "claude",
    "gpt-4o",
]


def count(name: str, width: int, height: int, **kwargs) -> VisionCount:
    return get_encoder(name).count(width, height, **kwargs)


# --- published figures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "tokens", "sequence"),
    [
        ("vit-b16", 196, 197),  # (224/16)² patches + CLS
        ("clip-l14-224", 256, 256),
        ("clip-l14-336", 576, 576),  # LLaVA-1.5
        ("siglip-224", 256, 256),  # PaliGemma 224/448/896
        ("siglip-448", 1024, 1024),
        ("siglip-896", 4096, 4096),
    ],
)
@pytest.mark.parametrize("size", [(224, 224), (1024, 768), (595, 842)])
def test_fixed_resolution_encoders_cost_the_published_figure_at_any_size(name, tokens, sequence, size):
    result = count(name, *size)
    assert (result.tokens, result.sequence_tokens) == (tokens, sequence)
    assert result.grid[0] * result.grid[1] == tokens


@pytest.mark.parametrize(
    ("mode", "side", "tokens", "sequence"),
    [("tiny", 512, 64, 73), ("small", 640, 100, 111), ("base", 1024, 256, 273), ("large", 1280, 400, 421)],
)
def test_deepseek_ocr_native_modes(mode, side, tokens, sequence):
    result = count(f"deepseek-ocr-{mode}", side, side)
    assert (result.tokens, result.sequence_tokens, result.valid_tokens) == (tokens, sequence, tokens)
    assert result.resized == (side, side) and result.grid == (side // 16, side // 16)


def test_deepseek_ocr_valid_tokens_leave_out_the_square_padding():
    # Base pads an A4 page to a square: ⌊256·595/842⌋ = 180 of its 256 tokens cover the page.
    assert count("deepseek-ocr-base", 595, 842).valid_tokens == 180
    assert count("deepseek-ocr-large", 1000, 500).valid_tokens == 200
    # Tiny and Small are resized, not padded: every token is valid.
    assert count("deepseek-ocr-tiny", 595, 842).valid_tokens == 64


@pytest.mark.parametrize("width", range(1, 400, 7))
@pytest.mark.parametrize("height", [1, 99, 256, 300, 1000])
def test_deepseek_valid_tokens_equal_the_exact_floor(width, height):
    exact = math.floor(Fraction(256 * min(width, height), max(width, height)))
    assert count("deepseek-ocr-base", width, height).valid_tokens == exact


@pytest.mark.parametrize(
    ("size", "tiles", "tokens", "sequence"),
    [
        ((640, 640), 0, 256, 273),  # no larger than 640×640: the global view alone
        ((1024, 1024), 4, 656, 693),  # 2×2 tiles: 256 + 4·100; 273 + (20+1)·20
        ((595, 842), 6, 856, 903),  # A4: 2×3 tiles; 273 + (20+1)·30
        ((4000, 1000), 4, 656, 683),  # 4×1 tiles; 273 + (40+1)·10
    ],
)
def test_deepseek_gundam_tiles_and_global_view(size, tiles, tokens, sequence):
    result = count("deepseek-ocr-gundam", *size)
    assert (result.tiles, result.tokens, result.sequence_tokens) == (tiles + 1, tokens, sequence)
    assert result.tokens == tiles * 100 + 256
    global_valid = math.floor(Fraction(256 * min(size), max(size)))
    assert result.valid_tokens == global_valid + 100 * tiles


def test_glyph_a4_page_on_glm_41v():
    result = count("glm-4.1v", 595, 842)  # Glyph's best setting: A4 at 72 dpi
    assert result.resized == (588, 840)
    assert result.tokens == 630 and result.sequence_tokens == 632
    assert result.grid == (60, 42)


@pytest.mark.parametrize("name", ["qwen2-vl", "qwen2.5-vl"])
def test_qwen_tokens_are_the_28_px_grid_plus_start_and_end(name):
    result = count(name, 1024, 1024)
    assert result.resized == (1036, 1036)  # 1024/28 = 36.57 → 37·28
    assert result.tokens == 37 * 37 and result.sequence_tokens == 37 * 37 + 2
    huge = count(name, 8000, 8000)  # over the 16384-token budget of the published config
    assert huge.tokens <= 16384 and huge.resized[0] % 28 == 0
    tiny = count(name, 30, 30)  # under min_pixels (3136 = 56²): grown to 56×56
    assert tiny.resized == (56, 56) and tiny.tokens == 4


def test_internvl_tiles_by_closest_aspect_ratio():
    assert (count("internvl2.5", 448, 448).tokens, count("internvl2.5", 448, 448).tiles) == (256, 1)
    wide = count("internvl2.5", 896, 448)  # 2×1 tiles + thumbnail
    assert (wide.tiles, wide.tokens, wide.sequence_tokens) == (3, 768, 770)
    square = count("internvl2.5", 1024, 1024)  # area > half of 3×3 tiles: 9 tiles + thumbnail
    assert (square.tiles, square.tokens, square.resized) == (10, 2560, (1344, 1344))
    a4 = count("internvl2.5", 595, 842)  # 2×3 is the closest layout to 0.707
    assert (a4.tiles, a4.tokens, a4.resized) == (7, 1792, (896, 1344))
    assert max(count("internvl2.5", w, 300).tiles for w in range(300, 20000, 997)) <= 13


def test_pixtral_rows_end_with_break_tokens():
    result = count("pixtral", 1024, 512)
    assert result.grid == (32, 64) and result.tokens == 32 * 64 and result.sequence_tokens == 32 * 65
    shrunk = count("pixtral", 4096, 1024)  # longest edge fit to 1024 → 1024×256
    assert shrunk.grid == (16, 64)


def test_pix2struct_pads_to_2048_patches():
    result = count("pix2struct", 1024, 1024)
    assert result.tokens == result.sequence_tokens == 2048
    assert result.valid_tokens == 45 * 45  # √2048·(16/1024)·1024/16 = 45.25 → 45 rows and columns


@settings(max_examples=200, deadline=None)
@given(width=st.integers(1, 20000), height=st.integers(1, 20000))
def test_pix2struct_never_exceeds_max_patches(width, height):
    result = count("pix2struct", width, height)
    rows, cols = result.grid
    assert 1 <= result.valid_tokens == rows * cols <= 2048 == result.tokens


def test_fuyu_newline_per_row():
    result = count("fuyu", 1920, 1080)
    assert result.grid == (36, 64) and result.tokens == 2304 and result.sequence_tokens == 36 * 65
    small = count("fuyu", 100, 45)  # not enlarged: 4×2 patches of 30 px
    assert small.grid == (2, 4) and small.sequence_tokens == 2 * 5


def test_api_formulas_reproduce_the_documented_examples():
    assert count("gpt-4o", 1024, 1024).tokens == 765  # OpenAI: 768×768 → 4 tiles
    big = count("gpt-4o", 2048, 4096)  # → 1024×2048 → 768×1536 → 6 tiles
    assert (big.tokens, big.resized, big.tiles) == (1105, (768, 1536), 6)
    assert count("gpt-4o", 128, 64).tokens == 85 + 170
    assert count("claude", 1000, 1000).tokens == 1334  # Anthropic: ~1334
    assert count("claude", 200, 200).tokens == 54  # ~54
    assert count("claude", 1092, 1092).tokens == 1590  # the largest 1:1 size, ~1590
    capped = count("claude", 4000, 3000)
    assert max(capped.resized) <= 1568 and capped.tokens <= 1600


def test_openai_patch_counting_reproduces_the_guide():
    # OpenAI's images guide, patch-based models (gpt-4.1-mini, -nano, o4-mini)
    assert count("gpt-4.1-mini", 1024, 1024).tokens == 1024  # 32 × 32 patches, under the cap
    example = count("gpt-4.1-mini", 1800, 2400)  # 57 × 75 = 4275 > 1536: shrink, fit the width
    assert (example.tokens, example.grid, example.resized) == (1452, (44, 33), (1056, 1408))
    assert get_encoder("gpt-4.1-mini").parameters()["billing_multiplier"] == 1.62
    for width, height in [(4000, 200), (200, 4000), (5000, 5000), (32, 33)]:
        assert count("gpt-4.1-mini", width, height).tokens <= 1536


def test_gemini_reproduces_the_documented_rule():
    # ai.google.dev/gemini-api/docs/tokens: ≤ 384 px both ways → 258; else 258 per 768² tile
    assert count("gemini", 384, 384).tokens == 258
    assert count("gemini", 600, 400).tokens == 258  # geminibyexample.com's worked example
    assert count("gemini", 385, 385).tokens == 258 and count("gemini", 769, 100).tokens == 516
    assert count("gemini", 1024, 1024).tiles == 4


def test_pixel_valid_patches_end_at_the_black_patch():
    import pixtok

    strip = pixtok.render("Language modelling with pixels.", pixtok.RenderConfig.from_preset("pixel")).pages[
        0
    ]
    assert strip.shape == (16, 8464)
    result = count("pixel", 8464, 16, pixels=strip)
    assert (result.tokens, result.sequence_tokens, result.grid) == (529, 530, (1, 529))
    patches = strip.reshape(16, 529, 16).swapaxes(0, 1)
    end = result.valid_tokens - 1
    assert (patches[end] == 0).all()  # the end-of-text patch is all black
    assert all((patches[i] != 0).any() for i in range(end))  # no earlier patch is all black
    assert (patches[end + 1 :] == 255).all()  # after it, only white padding
    assert count("pixel", 8464, 16).valid_tokens is None  # content-dependent: needs pixels
    no_end = np.full((16, 8464), 255, np.uint8)
    assert count("pixel", 8464, 16, pixels=no_end).valid_tokens is None
    with pytest.raises(UsageError, match="16-px strip"):
        count("pixel", 1024, 1024)


# --- resize rules against independent, slow versions -----------------------------------------


def nearest_multiple(x: int, f: int) -> int:
    """The multiple of f nearest to x, ties to the even multiple (Python's round(x / f) · f)."""
    k = 0
    while (k + 1) * f <= x:
        k += 1
    below, above = k * f, (k + 1) * f
    if x - below != above - x:
        return below if x - below < above - x else above
    return below if k % 2 == 0 else above


def multiple_at_most(x: float, f: int) -> int:
    k = 0
    while (k + 1) * f <= x:
        k += 1
    return k * f


def multiple_at_least(x: float, f: int) -> int:
    k = 0
    while k * f < x:
        k += 1
    return k * f


def slow_qwen_smart_resize(height: int, width: int, factor: int, min_pixels: int, max_pixels: int):
    """transformers' Qwen2-VL smart_resize spelled out step by step, with multiples found by counting
    (5.x: a downscaled side never drops below one factor)."""
    h_bar, w_bar = nearest_multiple(height, factor), nearest_multiple(width, factor)
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt((height * width) / max_pixels)
        return (
            max(factor, multiple_at_most(height / beta, factor)),
            max(factor, multiple_at_most(width / beta, factor)),
        )
    if h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        return multiple_at_least(height * beta, factor), multiple_at_least(width * beta, factor)
    return h_bar, w_bar


SIDES = sorted({*range(28, 240, 5), *range(240, 4200, 61), *range(4200, 24000, 1499), 3584, 3585, 4480})
QWEN_BUDGET = {"factor": 28, "min_pixels": 3136, "max_pixels": 12845056}


def test_qwen_smart_resize_matches_a_slow_reference_over_many_sizes():
    checked = 0
    for height in SIDES:
        for width in SIDES[::3]:
            if max(height, width) / min(height, width) > 200:
                continue
            expected = slow_qwen_smart_resize(height, width, **QWEN_BUDGET)
            assert smart_resize(height, width, **QWEN_BUDGET) == expected, (height, width)
            result = count("qwen2.5-vl", width, height)
            assert result.resized == (expected[1], expected[0])
            assert result.tokens == (expected[0] // 28) * (expected[1] // 28)
            checked += 1
    assert checked > 2000


@settings(max_examples=300, deadline=None)
@given(
    height=st.integers(28, 30000),
    width=st.integers(28, 30000),
    budget=st.sampled_from([(3136, 12845056), (256 * 784, 1280 * 784), (3136, 1003520)]),
)
def test_qwen_smart_resize_invariants(height, width, budget):
    if max(height, width) / min(height, width) > 200:
        with pytest.raises(UsageError, match="aspect ratio"):
            smart_resize(height, width, factor=28, min_pixels=budget[0], max_pixels=budget[1])
        return
    h, w = smart_resize(height, width, factor=28, min_pixels=budget[0], max_pixels=budget[1])
    assert h % 28 == 0 and w % 28 == 0 and h >= 28 and w >= 28
    assert h * w <= budget[1]
    assert (h, w) == slow_qwen_smart_resize(height, width, 28, *budget)
    if h * w < budget[0]:  # only possible where the aspect ratio forces it
        assert max(h, w) / min(h, w) > 2


def test_qwen_takes_a_small_side_the_way_transformers_5_does():
    # A side under 28 px is no longer refused: 26×31 rounds to 28×28, which is under min_pixels,
    # so it takes the min-pixels path (Qwen2VLImageProcessorPil gives grid 6×4, see tests/reference).
    assert count("qwen2-vl", 26, 31).grid == (6, 4)
    assert count("qwen2-vl", 10, 13).tokens >= 4  # both sides round to zero: still the min-pixels path
    with pytest.raises(UsageError, match="aspect ratio"):
        count("qwen2-vl", 30, 6100)


def test_glm_smart_resize_counts_two_frames_against_the_budget():
    # 2·h·w ≤ 47,040,000 → at most 23,520,000 pixels for an image.
    h, w = smart_resize(8000, 8000, factor=28, min_pixels=12544, max_pixels=47040000, variant="glm-4.1v")
    assert 2 * h * w <= 47040000 and h == w == 4844
    assert count("glm-4.1v", 10, 10).resized == (84, 84)  # tiny: scaled to 28, then up to 2·h·w ≥ 12544


def test_pixtral_matches_mistral_common():
    from mistral_common.protocol.instruct.chunk import ImageChunk
    from mistral_common.tokens.tokenizers.image import ImageConfig, ImageEncoder, SpecialImageIDs

    encoder = ImageEncoder(
        ImageConfig(image_patch_size=16, max_image_size=1024, spatial_merge_size=1),
        SpecialImageIDs(img=10, img_break=12, img_end=13),
    )
    sizes = [
        (w, h) for w in (1, 15, 16, 17, 500, 1023, 1024, 1025, 3000, 7777) for h in (1, 33, 640, 1024, 2049)
    ]
    for width, height in sizes:
        cols, rows = encoder._image_to_num_tokens(Image.new("L", (width, height)))
        result = count("pixtral", width, height)
        assert result.grid == (rows, cols), (width, height)
    for width, height in [(300, 200), (1500, 700), (64, 1100)]:
        tokens = encoder(ImageChunk(image=Image.new("RGB", (width, height)))).tokens
        result = count("pixtral", width, height)
        assert result.sequence_tokens == len(tokens)
        assert result.tokens == tokens.count(10)


# --- every preset ------------------------------------------------------------------------------


def test_declarative_presets_round_trip_through_the_file_schema():
    from pixtok.encoders import encoder_from_spec

    grid_presets = [get_encoder(n) for n in list_encoders() if isinstance(get_encoder(n), GridEncoder)]
    assert len(grid_presets) >= 15
    for encoder in grid_presets:
        spec = json.loads(json.dumps(encoder.to_spec()))  # what a JSON preset file would hold
        assert encoder_from_spec(spec) == encoder, encoder.name


def test_every_required_preset_is_registered_with_its_source():
    names = list_encoders()
    assert set(REQUIRED) <= set(names)
    for name in names:
        info = get_encoder(name).describe()
        assert info["name"] == name
        assert info["formula"] and info["source"]
        assert info["patch"] is None or info["patch"] > 0


@settings(max_examples=40, deadline=None)
@given(
    width=st.integers(56, 6000),
    height=st.integers(56, 6000),
    name=st.sampled_from([n for n in REQUIRED if n != "pixel"]),
)
def test_every_preset_gives_consistent_counts(width, height, name):
    if max(width, height) / min(width, height) > 100:
        return
    result = count(name, width, height)
    assert result.tokens > 0 and result.sequence_tokens >= result.tokens
    assert result.valid_tokens is None or 0 <= result.valid_tokens <= result.tokens
    assert result.tiles >= 1 and min(result.resized) > 0
    assert result.grid is None or min(result.grid) > 0
    assert count(name, width, height) == result  # deterministic


def test_count_pages_sums_sizes_and_arrays():
    encoder = get_encoder("deepseek-ocr-base")
    total = encoder.count_pages([(595, 842), (1024, 1024), np.full((842, 595), 255, np.uint8)])
    assert (total.pages, total.tokens, total.sequence_tokens, total.tiles) == (3, 768, 819, 3)
    assert total.valid_tokens == 180 + 256 + 180
    assert get_encoder("qwen2-vl").count_pages([(100, 100)]).valid_tokens is None


@pytest.mark.parametrize("size", [(0, 10), (10, -1), (1.5, 10), (True, 10)])
def test_bad_sizes_are_usage_errors(size):
    with pytest.raises(UsageError):
        get_encoder("vit-b16").count(*size)


def test_pixels_must_match_the_size():
    with pytest.raises(UsageError, match="pixels are"):
        get_encoder("vit-b16").count(100, 50, pixels=np.zeros((10, 10), np.uint8))


# --- registry, preset files, plugins -----------------------------------------------------------


def test_unknown_name_suggests_the_nearest():
    with pytest.raises(UsageError, match=r"did you mean 'glm-4.1v'.*valid: vit-b16"):
        get_encoder("glm4.1v")
    assert [e.name for e in get_encoders("qwen2-vl, pixtral")] == ["qwen2-vl", "pixtral"]
    with pytest.raises(UsageError):
        get_encoders(" , ")


def test_register_a_declarative_preset():
    spec = {
        "name": "test-qwen2.5-vl-1280",
        "patch": 14,
        "resize": "smart",
        "min_pixels": 256 * 28 * 28,
        "max_pixels": 1280 * 28 * 28,
        "merge": {"kind": "spatial", "factor": 2},
        "image_tokens": 2,
        "source": "Qwen/Qwen2.5-VL-7B-Instruct model card: min_pixels = 256·28·28, max_pixels = 1280·28·28",
    }
    encoder = register_encoder(spec)
    assert get_encoder("test-qwen2.5-vl-1280") is encoder
    assert encoder.count(4000, 3000).tokens <= 1280
    assert encoder.count(100, 100).tokens >= 256
    assert register_encoder(spec) is encoder  # the same preset again: a no-op
    with pytest.raises(UsageError, match="already registered"):
        register_encoder({**spec, "max_pixels": 2048 * 28 * 28})
    replaced = register_encoder({**spec, "max_pixels": 2048 * 28 * 28}, replace=True)
    assert get_encoder(spec["name"]) is replaced and replaced.count(4000, 3000).tokens > 1280
    with pytest.raises(UsageError, match="already registered"):
        register_encoder({**spec, "name": "qwen2.5-vl"})  # built-ins are not replaced by accident


PRESET_TOML = """
[[encoder]]
name = "test-vit-l16-384"
patch = 16
resize = "fixed"
size = 384
cls_tokens = 1
source = "ViT-L/16 at 384 px (arXiv 2010.11929)"

[[encoder]]
name = "test-native-28"
patch = 14
merge = { kind = "spatial", factor = 2 }
row_tokens = 1
source = "a native-resolution encoder with a 2×2 merge and a newline per row"
"""


def test_load_presets_from_toml_and_json(tmp_path):
    path = tmp_path / "presets.toml"
    path.write_text(PRESET_TOML, encoding="utf-8")
    loaded = load_encoders(path)
    assert [e.name for e in loaded] == ["test-vit-l16-384", "test-native-28"]
    assert get_encoder("test-vit-l16-384").count(50, 50).sequence_tokens == 24 * 24 + 1
    native = get_encoder("test-native-28").count(280, 56)  # 20×4 patches → 10×2 tokens, 2 rows
    assert (native.tokens, native.sequence_tokens) == (20, 22)
    as_json = tmp_path / "more.json"
    as_json.write_text(
        json.dumps(
            [
                {
                    "name": "test-siglip-384",
                    "patch": 14,
                    "resize": "fixed",
                    "size": 384,
                    "source": "SigLIP at 384 (arXiv 2303.15343)",
                }
            ]
        )
    )
    # 384/14 leaves a remainder the patch embedding drops: 27×27 = 729, SigLIP-384's published figure.
    siglip = load_encoders(as_json)[0].count(1, 1)
    assert (siglip.tokens, siglip.grid, siglip.resized) == (729, (27, 27), (384, 384))


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ('[[encoder]]\nname = "x1"\npatch = 16\nsoruce = "s"\n', ".toml", "did you mean 'source'"),
        ('[[encoder]]\nname = "x2"\npatch = 16\n', ".toml", "needs a 'source'"),
        ('[[encoder]]\nname = "x3"\npatch = 0\nsource = "s"\n', ".toml", "patch must be a positive"),
        ('[[encoder]]\nname = "x4"\npatch = 16\nresize = "fixed"\nsource = "s"\n', ".toml", "size must be"),
        ('[[encoder]]\nname = "Bad Name"\npatch = 16\nsource = "s"\n', ".toml", "lower-case"),
        ("[[encoder]\n", ".toml", "not valid TOML"),
        ('{"encoder": []}', ".json", "list of encoder tables"),
        ("name = 1", ".yaml", ".toml or .json"),
    ],
)
def test_bad_preset_files_say_what_is_wrong(tmp_path, content, suffix, message):
    path = tmp_path / f"presets{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_encoders(path)


def test_missing_preset_file():
    with pytest.raises(InputError, match="no such file"):
        load_encoders("/nonexistent/presets.toml")


def plugin_presets() -> list[Encoder]:
    """A plugin hook, as a third-party package would expose through the entry point."""
    return [GridEncoder(name="plugin-vit", patch=32, resize="fixed", size=224, source="a test plugin")]


def broken_plugin() -> list[Encoder]:
    raise RuntimeError("weights not found")


def test_plugins_load_through_the_entry_point_group(monkeypatch):
    module = sys.modules[__name__].__name__
    installed = [
        EntryPoint(name="mine", value=f"{module}:plugin_presets", group="pixtok.encoders"),
        EntryPoint(name="builtin", value="pixtok.encoders.builtin:encoders", group="pixtok.encoders"),
    ]
    monkeypatch.setattr(
        registry_module, "entry_points", lambda group: [ep for ep in installed if ep.group == group]
    )
    registry = Registry()
    names = registry.names()
    assert names[: len(REQUIRED)] == list_encoders()[: len(REQUIRED)]  # built-ins first, loaded once
    assert names.count("vit-b16") == 1 and names[-1] == "plugin-vit"
    assert registry.get("plugin-vit").count(500, 500).tokens == 49
    installed.append(EntryPoint(name="broken", value=f"{module}:broken_plugin", group="pixtok.encoders"))
    with pytest.raises(PixtokError, match=r"plugin 'broken'.*weights not found"):
        Registry().names()
