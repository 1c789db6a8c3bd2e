"""Tekken, Mistral's 131k tiktoken-style vocabulary (Mistral NeMo, Pixtral), via mistral-common.

mistral-common ships the vocabulary as `data/tekken_*.json` and its own `Tekkenizer` loads it
without touching the network, so pixtok uses that class rather than rebuilding the encoding:
the ids are the ones Mistral's models see, i.e. BPE ranks shifted up by the 1000 special-token
ids that come first (`default_num_special_tokens` in the file's config).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pixtok.tokenizers.base import Tokenizer, byte_piece


class TekkenTokenizer(Tokenizer):
    """A `mistral_common` Tekkenizer; counts exclude BOS/EOS."""

    def __init__(self, name: str, tekkenizer: Any, *, source: Path | None = None) -> None:
        super().__init__(
            name, kind="tekken", vocab_size=tekkenizer.n_words, source=source, library="mistral_common"
        )
        self.tekkenizer = tekkenizer

    @classmethod
    def from_file(cls, name: str, path: Path) -> TekkenTokenizer:
        """Load a tekken JSON file with mistral-common's own loader."""
        from mistral_common.tokens.tokenizers.tekken import Tekkenizer

        return cls(name, Tekkenizer.from_file(path), source=path)

    def encode(self, text: str) -> list[int]:
        return self.tekkenizer.encode(text, bos=False, eos=False)

    def pieces(self, text: str) -> list[str]:
        return [byte_piece(self.tekkenizer.id_to_byte_piece(token)) for token in self.encode(text)]
