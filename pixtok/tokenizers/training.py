"""Train a SentencePiece model on a user's own texts, usable at once as `spm:NAME.model`.

Training runs in memory (`model_writer`), which keeps the model byte-identical for the same
corpus and options: a model trained into a folder records that folder's path inside itself.
The `.vocab` companion (one `piece<TAB>score` line per id, as SentencePiece writes it) is made
from the trained model, and both files appear together, atomically.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import sentencepiece

from pixtok.errors import InputError, UsageError
from pixtok.io import check_path, output_target, read_text, write_many_atomic
from pixtok.tokenizers.spm import sentencepiece_message

MODEL_TYPES = ("bpe", "unigram")

DEFAULT_CHARACTER_COVERAGE = 0.9995
"""SentencePiece's own default (`character_coverage` in sentencepiece_model.proto, TrainerSpec),
recommended there for languages with rich character sets such as Japanese or Chinese."""

MIN_CHARACTER_COVERAGE = 0.98
"""The lowest coverage SentencePiece accepts (trainer_interface.cc, VerifySpec: 0.98 <= c <= 1)."""

MAX_SENTENCE_BYTES = 4192
"""SentencePiece skips longer input lines (`max_sentence_length` default, sentencepiece_model.proto)."""

MAX_VOCAB_SIZE = 2**31 - 1
"""The largest --vocab-size SentencePiece can take at all: `vocab_size` is an int32 in its
TrainerSpec (a larger number fails to parse; corpora limit it far below this, see `_TOO_HIGH`)."""

_SPLIT_CHARS = 1 << 20
"""How many characters of a text `_corpus_lines` splits into lines at once."""

_TOO_HIGH = re.compile(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)")
_TOO_SMALL = re.compile(r"Vocabulary size is smaller than required_chars\. (\d+) vs (\d+)")


@dataclass(frozen=True)
class TrainedModel:
    """Where the model went and what it is."""

    model: Path
    vocab: Path
    vocab_size: int
    model_type: str
    character_coverage: float
    sha256: str
    lines: int
    skipped_lines: int


def vocab_text(processor: sentencepiece.SentencePieceProcessor) -> str:
    """The `.vocab` listing SentencePiece writes beside a model: `piece<TAB>score` per id.

    Scores are printed as C++ streams print a float (six significant digits), so the file
    equals the one `spm_train` writes.
    """
    lines = [
        f"{processor.id_to_piece(i)}\t{processor.get_score(i):g}\n" for i in range(processor.vocab_size())
    ]
    return "".join(lines)


def _corpus_texts(corpus: Sequence[str | os.PathLike[str]], errors: str) -> list[str]:
    """Every corpus file's text, all read before training starts, so that an unreadable file
    fails at once instead of after a long training."""
    for path in corpus:
        check_path(path, "a corpus file path")
    return [read_text(path, errors=errors) for path in corpus]


def _corpus_lines(texts: Sequence[str]) -> Iterator[str]:
    """The non-blank lines of the texts (split at "\n" only), one at a time.

    A generator, not a list: a 64 MiB corpus of 20 million two-character lines would take
    about 1.7 GB as Python strings, on top of SentencePiece's own copy of every line.
    """
    for text in texts:
        start = 0
        while start < len(text):
            # Split about a mebicharacter at a time, always at a newline, so no line is cut.
            end = text.find("\n", start + _SPLIT_CHARS)
            end = len(text) if end < 0 else end
            yield from (line for line in text[start:end].split("\n") if line.strip())
            start = end + 1


def _too_long(line: str) -> bool:
    """Whether SentencePiece skips the line (more than `MAX_SENTENCE_BYTES` UTF-8 bytes); a
    line of at most a quarter that many characters cannot be, and is not encoded to tell."""
    return len(line) > MAX_SENTENCE_BYTES // 4 and len(line.encode("utf-8")) > MAX_SENTENCE_BYTES


def _check_outputs(output: str | os.PathLike[str], vocab_path: Path) -> None:
    """Refuse outputs that cannot be written before the corpus is trained on, not after.

    `output_target` refuses a folder, a missing folder, a name ending in '/' and an input. The
    `.vocab` is written beside the model without being named, so a named pipe there (which
    would block the run until something reads it) is refused too.
    """
    output_target(output)
    vocab = output_target(vocab_path)
    if vocab.stream:
        try:
            is_pipe = stat.S_ISFIFO(os.stat(vocab.path).st_mode)
        except OSError:
            is_pipe = False
        if is_pipe:
            raise UsageError(
                f"{vocab.name}: is a named pipe; train-tokenizer writes NAME.vocab beside NAME.model "
                "as a file (remove the pipe or choose another -o)"
            )


def _training_error(
    exc: Exception, vocab_size: int, model_type: str, skipped: int = 0, lines: int = 0
) -> Exception:
    """SentencePiece's failure as pixtok's error: a vocabulary too large or too small for the
    corpus is a usage error naming the bound; anything else says how many lines were too long
    to train on, when some were (SentencePiece itself does not say)."""
    message = sentencepiece_message(exc)
    if match := _TOO_HIGH.search(message):
        return UsageError(
            f"--vocab-size {vocab_size} is too large for this corpus with --model-type {model_type}: "
            f"at most {match.group(2)}"
        )
    if match := _TOO_SMALL.search(message):
        return UsageError(
            f"--vocab-size {vocab_size} is too small: the corpus needs {match.group(2)} pieces for its "
            "characters and special tokens (raise it, or lower --character-coverage)"
        )
    too_long = (
        f"; {skipped:,} of its {lines:,} lines were skipped as longer than {MAX_SENTENCE_BYTES:,} bytes"
        if skipped
        else ""
    )
    return InputError(
        f"sentencepiece could not train on this corpus: {message or 'no usable text'}{too_long}"
    )


def train_sentencepiece(
    corpus: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    vocab_size: int,
    model_type: str = "bpe",
    character_coverage: float = DEFAULT_CHARACTER_COVERAGE,
    verbose: bool = False,
    errors: str = "strict",
) -> TrainedModel:
    """Train on the lines of `corpus` files ('-' is standard input) and write `output` + `.vocab`.

    `output` must end in `.model`. Empty lines are dropped; lines longer than
    `MAX_SENTENCE_BYTES` UTF-8 bytes are skipped by SentencePiece and counted in
    `skipped_lines`. SentencePiece's log goes to stderr only when `verbose`.
    """
    check_path(output, "the output path")
    model_path = Path(output)
    if model_path.suffix != ".model" or not model_path.stem:
        raise UsageError(f"-o {output}: the output name must end in .model (NAME.model)")
    if model_type not in MODEL_TYPES:
        raise UsageError(f"--model-type must be one of {', '.join(MODEL_TYPES)}, not {model_type!r}")
    if vocab_size < 4:
        raise UsageError(
            f"--vocab-size must be at least 4 (<unk>, <s>, </s> and one piece), not {vocab_size}"
        )
    if vocab_size > MAX_VOCAB_SIZE:
        raise UsageError(
            f"--vocab-size {vocab_size} is more than SentencePiece can hold (at most {MAX_VOCAB_SIZE:,}; "
            "a corpus allows far fewer)"
        )
    if not MIN_CHARACTER_COVERAGE <= character_coverage <= 1.0:
        raise UsageError(
            f"--character-coverage must be between {MIN_CHARACTER_COVERAGE} and 1.0, not {character_coverage}"
        )
    if not corpus:
        raise UsageError("give at least one corpus file")
    texts = _corpus_texts(corpus, errors)
    vocab_path = model_path.with_suffix(".vocab")
    _check_outputs(output, vocab_path)
    lines = skipped = 0
    for line in _corpus_lines(texts):
        lines += 1
        if _too_long(line):
            skipped += 1
    if not lines:
        raise InputError("the corpus has no text to train on")
    if skipped == lines:
        which = "its one line is" if skipped == 1 else f"all {skipped:,} of its lines are"
        raise InputError(
            f"no line of the corpus can be trained on: SentencePiece skips lines longer than "
            f"{MAX_SENTENCE_BYTES:,} bytes, and {which}; break the text into shorter lines"
        )

    model = io.BytesIO()
    try:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=_corpus_lines(texts),
            model_writer=model,
            vocab_size=vocab_size,
            model_type=model_type,
            character_coverage=character_coverage,
            minloglevel=0 if verbose else 3,
        )
    except (RuntimeError, ValueError) as exc:
        # ValueError: an option SentencePiece cannot parse (checked above, so not expected).
        raise _training_error(exc, vocab_size, model_type, skipped, lines) from None
    del texts
    data = model.getvalue()
    processor = sentencepiece.SentencePieceProcessor(model_proto=data)
    write_many_atomic({model_path: data, vocab_path: vocab_text(processor).encode("utf-8")})
    return TrainedModel(
        model=model_path,
        vocab=vocab_path,
        vocab_size=processor.vocab_size(),
        model_type=model_type,
        character_coverage=character_coverage,
        sha256=hashlib.sha256(data).hexdigest(),
        lines=lines,
        skipped_lines=skipped,
    )
