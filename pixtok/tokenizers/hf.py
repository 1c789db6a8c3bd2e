"""Hugging Face `tokenizer.json` files through the `tokenizers` library (the optional `hf` extra).

Counts are taken with `add_special_tokens=False`, so a template's [CLS]/[SEP] or <s> is not
added, and with truncation and padding switched off even when the file turns them on: pixtok
measures the text, not a model's input window.

The library can fail in two places, and both become pixtok's one-line `InputError` naming the file:

* **Loading.** A file that is not a tokenizer.json gives a plain `Exception`; some damaged parts
  (a `Precompiled` normalizer whose charsmap cannot be parsed) make the Rust code panic, which
  reaches Python as `pyo3_runtime.PanicException`, a BaseException. Both mean "not a Hugging Face
  tokenizer.json (reason)"; Rust's own multi-line report of the panic is kept off stderr
  (`without_panic_report`).
* **Encoding.** A file can load and still fail on some texts: a WordPiece or WordLevel model whose
  unknown token is not in its vocabulary, a BPE model naming an unknown token it does not have, a
  Unigram model with `unk_id: null`. Each fails with a plain `Exception` only when the text holds
  something outside the vocabulary; the text "ab" may encode while "ab c" does not. That is a
  property of the model *and* the text, so the file is accepted at load time: probing it with
  some text would refuse models that count every text they are actually given. The error is
  raised for the text that fails instead, naming the file and the library's reason; a corpus run
  records it against that record and goes on, a single text ends the command with exit code 1.

A file can also load and encode, but make a text many times larger inside the library before any
check of pixtok's sees it; `pixtok.tokenizers.hf_growth.check_growth` refuses such a file when it
is loaded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from pixtok.errors import InputError, MissingDependencyError, first_line, is_rust_panic
from pixtok.io import decode_text, read_bytes
from pixtok.tokenizers.base import Tokenizer, char_spans, without_panic_report
from pixtok.tokenizers.hf_growth import check_growth

INSTALL_HINT = "pip install 'pixtok[hf]'"


def require_tokenizers() -> Any:
    """Import the `tokenizers` library or say how to install it."""
    try:
        import tokenizers
    except ImportError:
        raise MissingDependencyError(
            f"hf: tokenizers need the Hugging Face 'tokenizers' library: {INSTALL_HINT}"
        ) from None
    return tokenizers


class HuggingFaceTokenizer(Tokenizer):
    """A `tokenizers.Tokenizer` loaded from a tokenizer.json file.

    `label` is how error messages name the model (the path as the user gave it); it defaults to
    the resolved `source`, or to the tokenizer's name when there is no file.
    """

    def __init__(
        self,
        name: str,
        tokenizer: Any,
        *,
        source: Path | None = None,
        sha256: str | None = None,
        label: str | None = None,
    ) -> None:
        tokenizer.no_truncation()
        tokenizer.no_padding()
        super().__init__(
            name,
            kind="huggingface",
            vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
            source=source,
            sha256=sha256,
            library="tokenizers",
        )
        self.tokenizer = tokenizer
        self.label = label if label is not None else str(source) if source is not None else name
        check_growth(tokenizer, self.label)

    @classmethod
    def from_file(cls, name: str, path: str | os.PathLike[str]) -> HuggingFaceTokenizer:
        """Load a tokenizer.json; a missing, malformed or damaged file raises InputError with one line."""
        tokenizers = require_tokenizers()
        data = read_bytes(path, model=True)
        text = decode_text(data, source=str(path), replaceable=False, line_limit=False)
        try:
            tokenizer = without_panic_report(lambda: tokenizers.Tokenizer.from_str(text))
        except Exception as exc:  # the library raises a bare Exception for any parse error
            raise InputError(f"{path}: not a Hugging Face tokenizer.json ({first_line(exc)})") from None
        except BaseException as exc:
            if not is_rust_panic(exc):
                raise
            raise InputError(f"{path}: not a Hugging Face tokenizer.json ({first_line(exc)})") from None
        return cls(
            name,
            tokenizer,
            source=Path(path).resolve(),
            sha256=hashlib.sha256(data).hexdigest(),
            label=str(path),
        )

    def _encoding(self, text: str) -> Any:
        """The library's `Encoding` of the whole text; a failure is an InputError naming the file."""
        try:
            return self.tokenizer.encode(text, add_special_tokens=False)
        except Exception as exc:  # the library raises a bare Exception (a missing unknown token)
            raise self._cannot_encode(exc) from None
        except BaseException as exc:
            if not is_rust_panic(exc):
                raise
            raise self._cannot_encode(exc) from None

    def _cannot_encode(self, exc: BaseException) -> InputError:
        return InputError(
            f"{self.label}: this Hugging Face tokenizer cannot encode the text ({first_line(exc)})"
        )

    def encode(self, text: str) -> list[int]:
        return self._encoding(text).ids

    def count(self, text: str) -> int:
        # len() of the native Encoding: no Python list of ids is built.
        return len(self._encoding(text))

    def pieces(self, text: str) -> list[str]:
        return self._encoding(text).tokens

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Offsets from the library's `Encoding.offsets` (character offsets in the input)."""
        offsets = self._encoding(text).offsets
        return char_spans(text, [start for start, _ in offsets])
