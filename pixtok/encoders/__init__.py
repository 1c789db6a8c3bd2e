"""Vision-encoder presets: how many tokens an image costs each model, with the source of every figure.

    >>> from pixtok.encoders import get_encoder
    >>> get_encoder("glm-4.1v").count(595, 842).tokens     # an A4 page at 72 dpi, as Glyph renders it
    630

`get_encoder(name)` looks a preset up (built-ins, plugins of the `pixtok.encoders` entry-point
group, and definition files named by $PIXTOK_ENCODERS), `list_encoders()` names them,
`register_encoder(spec)` adds one (an `Encoder` or a declarative table), `load_encoders(path)`
adds those declared in a TOML/JSON file. `Encoder.views(width, height)` lists the images a preset
runs over (tiles, thumbnails, global views) and the part of the input each shows.
"""

from pixtok.encoders.api import ClaudeEncoder, GeminiEncoder, GPT4oEncoder, OpenAIPatchEncoder
from pixtok.encoders.base import Encoder, EncoderView, VisionCount, VisionTotal
from pixtok.encoders.grid import GridEncoder
from pixtok.encoders.pixel import PixelEncoder
from pixtok.encoders.registry import (
    ENTRY_POINT_GROUP,
    Registry,
    get_encoder,
    get_encoders,
    list_encoders,
    load_encoders,
    register_encoder,
)
from pixtok.encoders.spec import encoder_from_spec
from pixtok.encoders.tiled import (
    GundamEncoder,
    Idefics3Encoder,
    LlavaNextEncoder,
    MllamaEncoder,
    PanAndScanEncoder,
    Phi4Encoder,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ClaudeEncoder",
    "Encoder",
    "EncoderView",
    "GPT4oEncoder",
    "GeminiEncoder",
    "GridEncoder",
    "GundamEncoder",
    "Idefics3Encoder",
    "LlavaNextEncoder",
    "MllamaEncoder",
    "OpenAIPatchEncoder",
    "PanAndScanEncoder",
    "Phi4Encoder",
    "PixelEncoder",
    "Registry",
    "VisionCount",
    "VisionTotal",
    "encoder_from_spec",
    "get_encoder",
    "get_encoders",
    "list_encoders",
    "load_encoders",
    "register_encoder",
]
