"""`Tokenizer.spans`: where each token lies in the text, for colouring text by token.

Properties checked on every corpus text for every registered tokenizer: the spans tile the text
and there is one per token (`count`). The base class's default, which every tokenizer class gets
for free, is checked against the offsets the libraries compute themselves: tiktoken's
`decode_with_offsets` and SentencePiece's proto `begin` fields, and a Hugging Face tokenizer's
`Encoding.offsets`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from pixtok.tokenizers import Tokenizer, get_tokenizer, list_tokenizers
from pixtok.tokenizers.base import char_spans, piece_bytes

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
TEXTS = sorted([*CORPUS.glob("*.txt"), *CORPUS.glob("next/*.txt")])
TOKENIZERS = [info.name for info in list_tokenizers() if info.available]


def _tiles(spans: list[tuple[int, int]], text: str) -> bool:
    return (
        spans[0][0] == 0
        and spans[-1][1] == len(text)
        and all(a[1] == b[0] and a[0] <= a[1] for a, b in itertools.pairwise(spans))
    )


@pytest.fixture(scope="module")
def corpus_texts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in TEXTS}


@pytest.mark.parametrize("name", TOKENIZERS)
def test_spans_tile_every_corpus_text_one_per_token(name: str, corpus_texts: dict[str, str]) -> None:
    tokenizer = get_tokenizer(name)
    assert len(corpus_texts) >= 15
    for file, text in corpus_texts.items():
        spans = tokenizer.spans(text)
        assert len(spans) == tokenizer.count(text), (name, file)
        assert _tiles(spans, text), (name, file)


def test_the_default_equals_tiktoken_offsets(corpus_texts: dict[str, str]) -> None:
    cl100k = get_tokenizer("cl100k")
    encoding = cl100k.encoding  # type: ignore[attr-defined]
    for file, text in corpus_texts.items():
        decoded, starts = encoding.decode_with_offsets(cl100k.encode(text))
        assert decoded == text
        reference = [(s, e) for s, e in zip(starts, [*starts[1:], len(text)], strict=True)]
        assert Tokenizer.spans(cl100k, text) == reference, file
        assert cl100k.spans(text) == reference, file  # its own, from the tokens' byte lengths


def test_the_default_equals_sentencepiece_offsets(corpus_texts: dict[str, str]) -> None:
    spm = get_tokenizer("mistral-spm")
    for file, text in corpus_texts.items():
        proto = spm.processor.encode(text, out_type="proto")  # type: ignore[attr-defined]
        data = text.encode("utf-8")
        # SentencePiece gives byte offsets; a byte inside a character counts as its start.
        starts = [len(data[: p.begin].decode("utf-8", errors="ignore")) for p in proto.pieces]
        starts[0] = 0
        ends = [*starts[1:], len(text)]
        assert Tokenizer.spans(spm, text) == list(zip(starts, ends, strict=True)), file


def test_words_keep_their_text() -> None:
    words = get_tokenizer("words")
    text = "  two  words\n"
    spans = words.spans(text)
    assert [text[s:e] for s, e in spans] == ["  two", "  words\n"]


def test_hugging_face_offsets(tmp_path: Path) -> None:
    from tokenizers import Tokenizer as HFTokenizer
    from tokenizers import decoders, models, pre_tokenizers, trainers

    model = HFTokenizer(models.BPE())
    model.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    model.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=500, initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    model.train([str(CORPUS / "en_prose_debian-reference.txt")], trainer)
    path = tmp_path / "tokenizer.json"
    model.save(str(path))
    tokenizer = get_tokenizer(f"hf:{path}")
    text = (CORPUS / "en_prose_debian-reference.txt").read_text(encoding="utf-8")[:3000] + " 中文 ok"
    spans = tokenizer.spans(text)
    assert len(spans) == tokenizer.count(text)
    assert _tiles(spans, text)
    offsets = model.encode(text, add_special_tokens=False).offsets
    # Where the library's offsets already tile the text, they are the spans.
    for (start, end), (s, e), nxt in zip(offsets, spans, [*offsets[1:], (len(text), len(text))], strict=True):
        if end == nxt[0] and start >= s:
            assert (s, e) == (start, end)


def test_piece_bytes_reads_every_byte_notation() -> None:
    assert piece_bytes("▁Hello") == b" Hello"
    assert piece_bytes("<0x0A>") == b"\n"
    assert piece_bytes("\\xed\\x95") == b"\xed\x95"


def test_char_spans_from_byte_offsets() -> None:
    text = "a한b"  # 한 is three UTF-8 bytes, split over two tokens here
    assert char_spans(text, [0, 1, 3, 4], unit="byte") == [(0, 1), (1, 1), (1, 2), (2, 3)]


@pytest.mark.parametrize("name", TOKENIZERS)
def test_lossless_tokenizers_span_their_own_bytes(name: str, corpus_texts: dict[str, str]) -> None:
    """Where a tokenizer's pieces spell the text byte for byte (byte-level BPE, byte fallback),
    each token starts where the bytes before it end: the spans follow from the pieces alone."""
    tokenizer = get_tokenizer(name)
    checked = 0
    for file, text in corpus_texts.items():
        pieces = [piece_bytes(p) for p in tokenizer.pieces(text)]
        if b"".join(pieces) != text.encode("utf-8"):
            continue
        starts = list(itertools.accumulate((len(p) for p in pieces[:-1]), initial=0))
        assert tokenizer.spans(text) == char_spans(text, starts, unit="byte"), (name, file)
        checked += 1
    if name in ("cl100k", "o200k", "tekken", "bytes", "chars"):
        assert checked == len(corpus_texts), name
