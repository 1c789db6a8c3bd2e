"""Llama 3's tokenizer: tiktoken over the rank file Meta ships, with what Meta's own
`llama_models.llama3.tokenizer.Tokenizer` adds around tiktoken (llama-models 0.3.0,
`llama_models/llama3/tokenizer.py`): its pre-tokenisation pattern, its 256 special tokens
(ids 128000-128255, never parsed out of the text here) and its cuts of a long text: into
slices of 400,000 characters, and inside each slice before any run of more than 25,000
whitespace or non-whitespace characters, each piece encoded on its own.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import tiktoken

from pixtok.io import read_bytes
from pixtok.tokenizers.tiktoken_bpe import TiktokenTokenizer, parse_tiktoken_ranks

LLAMA3_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)
"""`Tokenizer.pat_str` of llama_models/llama3/tokenizer.py, verbatim."""
SPECIAL_TOKENS = [
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>",
    "<|finetune_right_pad_id|>",
    "<|step_id|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eom_id|>",
    "<|eot_id|>",
    "<|python_tag|>",
    "<|image|>",
]
"""The named special tokens of Llama 3, in id order after the ranks; reserved tokens fill the
rest of the 256 (`num_reserved_special_tokens`)."""
RESERVED_SPECIAL_TOKENS = 256
MAX_ENCODE_CHARS = 400_000
"""`TIKTOKEN_MAX_ENCODE_CHARS`: Meta encodes a text in slices of this many characters."""
MAX_RUN_CHARS = 25_000
"""`MAX_NO_WHITESPACES_CHARS`: no piece Meta encodes holds a longer run of whitespace or of
non-whitespace characters."""
_SPACES = re.compile(r"\s+")  # \s is what str.isspace() calls whitespace, as Meta's loop uses


def special_tokens(base: int) -> dict[str, int]:
    """Llama 3's special tokens, numbered from `base` (the number of ranks)."""
    names = SPECIAL_TOKENS + [
        f"<|reserved_special_token_{2 + i}|>" for i in range(RESERVED_SPECIAL_TOKENS - len(SPECIAL_TOKENS))
    ]
    return {name: base + i for i, name in enumerate(names)}


def pieces_to_encode(text: str) -> Iterator[str]:
    """The pieces Meta's tokenizer encodes one by one (`Tokenizer.encode`, with
    `_split_whitespaces_or_nonwhitespaces`): the whole text unless it is very long or holds a
    very long run."""
    if len(text) <= MAX_ENCODE_CHARS and not _has_long_run(text):
        yield text
        return
    for start in range(0, len(text), MAX_ENCODE_CHARS):
        yield from _split_long_runs(text[start : start + MAX_ENCODE_CHARS])


def _has_long_run(text: str) -> bool:
    """Whether a run of whitespace or of non-whitespace is longer than MAX_RUN_CHARS (linear:
    `str.split` finds the non-whitespace runs; whitespace runs are looked at only when there is
    enough whitespace in all for one to be that long)."""
    if len(text) <= MAX_RUN_CHARS:
        return False
    words = text.split()
    if max(map(len, words), default=0) > MAX_RUN_CHARS:
        return True
    if len(text) - sum(map(len, words)) <= MAX_RUN_CHARS:
        return False
    return max(map(len, _SPACES.findall(text)), default=0) > MAX_RUN_CHARS


def _split_long_runs(text: str) -> Iterator[str]:
    run = 0
    in_space = text[0].isspace() if text else False
    piece_start = 0
    for index, char in enumerate(text):
        space = char.isspace()
        if space != in_space:
            run, in_space = 1, space
        else:
            run += 1
            if run > MAX_RUN_CHARS:
                yield text[piece_start:index]
                piece_start, run = index, 1
    yield text[piece_start:]


class Llama3Tokenizer(TiktokenTokenizer):
    """Llama 3's encoding, cut into pieces as Meta's tokenizer cuts it."""

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        for piece in pieces_to_encode(text):
            ids.extend(self.encoding.encode(piece, allowed_special=set(), disallowed_special=()))
        return ids


def load_llama3_file(name: str, path: Path) -> Llama3Tokenizer:
    """The Llama 3 tokenizer from a rank file in Meta's format (`tokenizer.model`)."""
    data = read_bytes(path, model=True)
    ranks = parse_tiktoken_ranks(data, str(path))
    encoding = tiktoken.Encoding(
        name=f"{name}_offline",
        pat_str=LLAMA3_PATTERN,
        mergeable_ranks=ranks,
        special_tokens=special_tokens(len(ranks)),
    )
    return Llama3Tokenizer(name, encoding, source=path, sha256=hashlib.sha256(data).hexdigest())
