"""pixtok: what does text cost, and what survives, when a model reads it as pixels instead of tokens?

The public API is small; the command line (`pixtok ...`) calls exactly these functions.
"""

from __future__ import annotations

from pixtok.compare import CompareOptions, Comparer, compare_text, summarize
from pixtok.encoders import Encoder, VisionCount, get_encoder, list_encoders, load_encoders, register_encoder
from pixtok.errors import (
    FontError,
    InputError,
    LimitError,
    MissingDependencyError,
    OutputBusyError,
    OutputError,
    PixtokError,
    ServerError,
    UsageError,
)
from pixtok.patches import PatchGrid, patchify
from pixtok.render import GlyphBoxes, Renderer, RenderResult, render
from pixtok.render.config import PRESETS, RenderConfig
from pixtok.tokenizers import Tokenizer, get_tokenizer, list_tokenizers

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "CompareOptions",
    "Comparer",
    "Encoder",
    "FontError",
    "GlyphBoxes",
    "InputError",
    "LimitError",
    "MissingDependencyError",
    "OutputBusyError",
    "OutputError",
    "PatchGrid",
    "PixtokError",
    "RenderConfig",
    "RenderResult",
    "Renderer",
    "ServerError",
    "Tokenizer",
    "UsageError",
    "VisionCount",
    "__version__",
    "compare_text",
    "get_encoder",
    "get_tokenizer",
    "list_encoders",
    "list_tokenizers",
    "load_encoders",
    "patchify",
    "register_encoder",
    "render",
    "summarize",
]
