"""Text tokenizers by name, as tiktoken does for encodings: `get_tokenizer("cl100k").count(text)`.

Built-ins: `mistral-spm`, `cl100k`, `o200k`, `qwen`, `tekken` (real vocabularies shipped inside
installed packages) and the baselines `bytes`, `chars`, `words`; user files as `spm:PATH`,
`tiktoken:PATH`, `hf:PATH`; third-party tokenizers through the entry-point group
`pixtok.tokenizers` (see docs/tokenizers.md).
"""

from pixtok.tokenizers.base import Tokenizer
from pixtok.tokenizers.registry import (
    ENTRY_POINT_GROUP,
    TokenizerInfo,
    TokenizerRegistry,
    default_registry,
    get_tokenizer,
    list_file_loaders,
    list_tokenizers,
    register_tokenizer,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Tokenizer",
    "TokenizerInfo",
    "TokenizerRegistry",
    "default_registry",
    "get_tokenizer",
    "list_file_loaders",
    "list_tokenizers",
    "register_tokenizer",
]
