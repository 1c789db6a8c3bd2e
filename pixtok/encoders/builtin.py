"""The presets pixtok ships, registered through the same `pixtok.encoders` hook plugins use.

Each preset carries the source of its figures. The declarative ones are written in the very schema
users write preset files in (pixtok.encoders.spec), so they double as its worked examples; the
tiled, strip and API presets have classes of their own.
"""

from __future__ import annotations

from typing import Any

from pixtok.encoders.api import ClaudeEncoder, GPT4oEncoder
from pixtok.encoders.base import Encoder
from pixtok.encoders.pixel import PixelEncoder
from pixtok.encoders.spec import encoder_from_spec
from pixtok.encoders.tiled import GundamEncoder, InternVLEncoder

# Qwen2-VL / Qwen2.5-VL pixel budget. The published preprocessor_config.json of
# Qwen/Qwen2-VL-7B-Instruct and Qwen/Qwen2.5-VL-7B-Instruct sets min_pixels = 3136 (4·28²) and
# max_pixels = 12845056 (16384·28²): what AutoProcessor.from_pretrained loads, and what the model
# cards describe as "4-16384 visual tokens per image". The class default in transformers
# (max_pixels = 28·28·1280) applies only to a processor built without that file; the model cards
# suggest 256·28²..1280·28² as a speed/memory trade-off: declare such a preset in a file if needed.
QWEN_MIN_PIXELS = 4 * 28 * 28
QWEN_MAX_PIXELS = 16384 * 28 * 28

# GLM-4.1V pixel budget: zai-org/GLM-4.1V-9B-Thinking's processor config (and vLLM's GLM-4.1V
# example) use size = {shortest_edge: 12544, longest_edge: 47040000}; transformers'
# Glm4vImageProcessor compares it with t·h·w for t = 2 frames (an image is two identical frames).
GLM_MIN_PIXELS = 112 * 112
GLM_MAX_PIXELS = 47_040_000

GRID_PRESETS: list[dict[str, Any]] = [
    {
        "name": "vit-b16",
        "patch": 16,
        "resize": "fixed",
        "size": 224,
        "cls_tokens": 1,
        "formula": "(S/16)² patches at S = 224 → 196; + 1 CLS in the sequence → 197",
        "source": (
            "Dosovitskiy et al. (arXiv 2010.11929); google/vit-base-patch16-224, ViTImageProcessor 224×224"
        ),
    },
    {
        "name": "clip-l14-224",
        "patch": 14,
        "resize": "fixed",
        "size": 224,
        "formula": "(224/14)² = 256 patch tokens (CLS dropped, as LLaVA does)",
        "source": (
            "Radford et al. CLIP (arXiv 2103.00020), openai/clip-vit-large-patch14; LLaVA (arXiv 2304.08485) "
            "feeds the patch features without CLS (mm_vision_select_feature='patch')"
        ),
    },
    {
        "name": "clip-l14-336",
        "patch": 14,
        "resize": "pad-square",
        "size": 336,
        "valid": "none",
        "formula": "padded to a square, 336² → (336/14)² = 576 tokens (LLaVA-1.5)",
        "source": (
            "LLaVA-1.5 (arXiv 2310.03744): openai/clip-vit-large-patch14-336, image_aspect_ratio='pad', "
            "576 visual tokens"
        ),
    },
    *(
        {
            "name": f"siglip-{side}",
            "patch": 14,
            "resize": "fixed",
            "size": side,
            "formula": f"{side}² → ({side}/14)² = {(side // 14) ** 2} tokens (PaliGemma)",
            "source": (
                f"PaliGemma (arXiv 2407.07726), google/paligemma-3b-pt-{side}: SigLIP-So400m/14 "
                f"(arXiv 2303.15343) at {side} px → {(side // 14) ** 2} image tokens"
            ),
        }
        for side in (224, 448, 896)
    ),
    *(
        {
            "name": name,
            "patch": 14,
            "resize": "smart",
            "min_pixels": QWEN_MIN_PIXELS,
            "max_pixels": QWEN_MAX_PIXELS,
            "merge": {"kind": "spatial", "factor": 2},
            "image_tokens": 2,
            "formula": (
                "smart resize to multiples of 28 in [3136, 12845056] px; (H'/28)·(W'/28); + vision start/end"
            ),
            "source": (
                f"{paper}; transformers Qwen2VLImageProcessor smart_resize "
                f"(models/qwen2_vl/image_processing_qwen2_vl.py); {card} preprocessor_config.json "
                "(min_pixels 3136, max_pixels 12845056); <|vision_start|>…<|vision_end|>"
            ),
        }
        for name, paper, card in (
            ("qwen2-vl", "Qwen2-VL (arXiv 2409.12191)", "Qwen/Qwen2-VL-7B-Instruct"),
            ("qwen2.5-vl", "Qwen2.5-VL (arXiv 2502.13923)", "Qwen/Qwen2.5-VL-7B-Instruct"),
        )
    ),
    {
        "name": "glm-4.1v",
        "patch": 14,
        "resize": "smart",
        "smart_variant": "glm-4.1v",
        "temporal_factor": 2,
        "min_pixels": GLM_MIN_PIXELS,
        "max_pixels": GLM_MAX_PIXELS,
        "merge": {"kind": "spatial", "factor": 2},
        "image_tokens": 2,
        "formula": (
            "smart resize to multiples of 28, 2·H'·W' in [12544, 47040000]; (H'/28)·(W'/28); + begin/end"
        ),
        "source": (
            "GLM-4.1V-Thinking (arXiv 2507.01006), Glyph's backbone (arXiv 2510.17800); transformers "
            "Glm4vImageProcessor smart_resize (models/glm4v/image_processing_glm4v.py, temporal_factor 2); "
            "zai-org/GLM-4.1V-9B-Thinking size {shortest_edge 12544, longest_edge 47040000}; "
            "<|begin_of_image|>…<|end_of_image|>"
        ),
    },
    {
        "name": "pixtral",
        "patch": 16,
        "resize": "fit",
        "max_width": 1024,
        "max_height": 1024,
        "rounding": "round",
        "row_tokens": 1,
        "formula": "longest edge fit to ≤ 1024, 16-px patches; rows·cols + one [IMG_BREAK]/[IMG_END] per row",
        "source": (
            "Pixtral 12B (arXiv 2410.07073); mistral-common ImageEncoder (tokens/tokenizers/image.py: "
            "image_patch_size 16, max_image_size 1024, [IMG_BREAK] per row, [IMG_END] last)"
        ),
    },
    {
        "name": "pix2struct",
        "patch": 16,
        "resize": "max-patches",
        "max_patches": 2048,
        "formula": "scale so rows·cols ≤ 2048 16-px patches; padded to 2048 (valid = rows·cols)",
        "source": (
            "Pix2Struct (arXiv 2210.03347); transformers Pix2StructImageProcessor.extract_flattened_patches "
            "(patch 16×16, max_patches 2048)"
        ),
    },
    {
        "name": "fuyu",
        "patch": 30,
        "resize": "fit",
        "max_width": 1920,
        "max_height": 1080,
        "rounding": "floor",
        "row_tokens": 1,
        "formula": "fit 1920×1080 (shrink only), 30-px patches; rows·cols + one |NEWLINE| per row",
        "source": (
            "Adept Fuyu-8B (adept/fuyu-8b model card); transformers FuyuImageProcessor (size 1080×1920, "
            "patch 30×30) and preprocess_with_tokenizer_info (|NEWLINE| after each row)"
        ),
    },
    *(
        {
            "name": f"deepseek-ocr-{mode}",
            "patch": 16,
            "resize": "fixed" if side <= 640 else "pad-square",
            "size": side,
            "merge": {"kind": "conv", "factor": 4},
            "row_tokens": 1,
            "image_tokens": 1,
            "valid": "all" if side <= 640 else "aspect",
            "formula": (
                f"{side}² ({'resized' if side <= 640 else 'padded to a square'}), 16-px patches, 16× conv "
                f"compressor → {(side // 64) ** 2}; sequence + newline per row + view separator"
                + ("" if side <= 640 else f"; valid ⌊{(side // 64) ** 2}·min/max⌋")
            ),
            "source": (
                f"DeepSeek-OCR (arXiv 2510.18234) Table 1, {mode.title()} mode {side}² → {(side // 64) ** 2} "
                "tokens; deepseek-ai/DeepSeek-OCR modeling_deepseekocr.py infer (crop_mode=False)"
            ),
        }
        for mode, side in (("tiny", 512), ("small", 640), ("base", 1024), ("large", 1280))
    ),
]


def encoders() -> list[Encoder]:
    """Every built-in preset (the `pixtok.encoders` entry point named "builtin")."""
    return [
        *(encoder_from_spec(spec) for spec in GRID_PRESETS),
        InternVLEncoder(),
        GundamEncoder(),
        PixelEncoder(),
        ClaudeEncoder(),
        GPT4oEncoder(),
    ]
