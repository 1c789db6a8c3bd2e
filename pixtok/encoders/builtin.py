"""The presets pixtok ships, registered through the same `pixtok.encoders` hook plugins use.

Every preset the building blocks can say is declared in `presets.toml` beside this module, in the
very schema users write encoder files in (pixtok.encoders.spec), so those tables double as worked
examples of the format. The presets whose arithmetic the blocks cannot say are classes, listed
here with the parameters of the checkpoints they describe.
"""

from __future__ import annotations

from importlib import resources

from pixtok.encoders.api import ClaudeEncoder, GeminiEncoder, GPT4oEncoder, OpenAIPatchEncoder
from pixtok.encoders.base import Encoder
from pixtok.encoders.pixel import PixelEncoder
from pixtok.encoders.spec import encoders_from_text
from pixtok.encoders.tiled import (
    GundamEncoder,
    Idefics3Encoder,
    LlavaNextEncoder,
    MllamaEncoder,
    PanAndScanEncoder,
    Phi4Encoder,
)

PRESETS_FILE = "presets.toml"

IDEFICS_SOURCE = (
    "transformers Idefics3ImageProcessor (resize longest edge, resize_for_vision_encoder, split_images) and "
    "Idefics3Processor/SmolVLMProcessor prompt (<fake_token_around_image>, <row_r_col_c>, <global-img>)"
)


def declared_encoders() -> list[Encoder]:
    """The presets of the shipped `presets.toml`, in file order."""
    text = resources.files("pixtok.encoders").joinpath(PRESETS_FILE).read_text(encoding="utf-8")
    return encoders_from_text(text, source=f"pixtok/encoders/{PRESETS_FILE}", suffix=".toml")


def class_encoders() -> list[Encoder]:
    """The presets that need their own arithmetic."""
    return [
        GundamEncoder(),
        PanAndScanEncoder(),
        MllamaEncoder(),
        LlavaNextEncoder(),
        Idefics3Encoder(
            name="idefics3",
            patch=14,
            longest_edge=1456,
            tile=364,
            scale_factor=2,
            formula="169 per 364-px tile + a global image; longest edge → 1456 (4 tiles); row/col tags",
            source=(
                "Idefics3 (arXiv 2408.12637); HuggingFaceM4/Idefics3-8B-Llama3 preprocessor_config.json "
                f"(size longest_edge 1456, max_image_size 364, scale_factor 2 → 169); {IDEFICS_SOURCE}"
            ),
        ),
        Idefics3Encoder(
            name="smolvlm",
            patch=14,
            longest_edge=1536,
            tile=384,
            scale_factor=3,
            formula="81 per 384-px tile + a global image; longest edge → 1536 (4 tiles); row/col tags",
            source=(
                "SmolVLM (arXiv 2504.05299); HuggingFaceTB/SmolVLM-Instruct preprocessor_config.json "
                f"(size longest_edge 1536, max_image_size 384, scale_factor 3 → 81); {IDEFICS_SOURCE}"
            ),
        ),
        Idefics3Encoder(
            name="smolvlm2",
            patch=16,
            longest_edge=2048,
            tile=512,
            scale_factor=4,
            formula="64 per 512-px tile + a global image; longest edge → 2048 (4 tiles); row/col tags",
            source=(
                "SmolVLM (arXiv 2504.05299): the SmolVLM2 256M/500M models (HuggingFaceTB/"
                "SmolVLM2-500M-Video-Instruct) read 512² tiles with SigLIP-B/16 and pixel shuffle 4 → 64 "
                "tokens; transformers SmolVLMImageProcessor max_image_size 512, longest edge 4 × 512 = 2048 "
                f"(the checkpoint file itself is not stored here); {IDEFICS_SOURCE}"
            ),
        ),
        Phi4Encoder(),
        PixelEncoder(),
        ClaudeEncoder(),
        GPT4oEncoder(),
        OpenAIPatchEncoder(),
        GeminiEncoder(),
    ]


def encoders() -> list[Encoder]:
    """Every built-in preset (the `pixtok.encoders` entry point named "builtin")."""
    return [*declared_encoders(), *class_encoders()]
