"""Hugging Face tokenizer.json files the `tokenizers` library loads but cannot use: one-line errors.

Two kinds of file, both built here with the library itself:

* models that load but fail on a text holding something outside their vocabulary (WordPiece or
  WordLevel whose unknown token is missing, BPE naming an unknown token it lacks, Unigram with
  `unk_id: null`): they count the texts they can, and a text they cannot is an InputError naming
  the file, a per-record error in a corpus run;
* a file whose `Precompiled` normalizer is damaged, on which the library panics while loading
  (`pyo3_runtime.PanicException`, a BaseException): "not a Hugging Face tokenizer.json", from every
  command, in this process and in worker processes;
* a file whose normalizer or pre-tokenizer would make a text many times larger inside the library
  (a `Replace` whose pattern matches the empty string, a huge `Prepend`, steps that feed each
  other): refused when loaded, while the normalizers of real models (NFKC, BERT's, SentencePiece's
  precompiled NFKC, `Prepend("▁")`) load and count as the library does.

Worker errors that cannot be pickled (such a panic) still reach the parent as one line.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pixtok.corpus.inputs import Record
from pixtok.corpus.parallel import apply_worker, run_records, sendable_error
from pixtok.errors import InputError, PixtokError, is_rust_panic
from pixtok.tokenizers import get_tokenizer
from pixtok.tokenizers.base import without_panic_report
from pixtok.tokenizers.hf_growth import MAX_GROWTH

tokenizers = pytest.importorskip("tokenizers")
normalizers, pre_tokenizers, Regex = tokenizers.normalizers, tokenizers.pre_tokenizers, tokenizers.Regex
CORPUS = Path(__file__).resolve().parents[1] / "corpus"

#: A stand-in for `pyo3_runtime.PanicException`: same module and name, a BaseException, and just as
#: unpicklable (no module `pyo3_runtime` can be imported).
FakePanic = type("PanicException", (BaseException,), {"__module__": "pyo3_runtime"})

#: Two words the models below know, and one ("c") that none of them has a token for.
KNOWN = "a b"
UNKNOWN = "a c"


def _save(model: object, path: Path) -> Path:
    """A tokenizer.json of `model`, split at whitespace, written by the library itself."""
    tokenizer = tokenizers.Tokenizer(model)
    tokenizer.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    tokenizer.save(str(path))
    return path


MODELS: dict[str, tuple[Callable[[], object], str]] = {
    "wordpiece": (
        lambda: tokenizers.models.WordPiece({"a": 0, "b": 1}, unk_token="[UNK]"),
        "Missing [UNK] token",
    ),
    "wordlevel": (
        lambda: tokenizers.models.WordLevel({"a": 0, "b": 1}, unk_token="[UNK]"),
        "Missing [UNK] token",
    ),
    "bpe": (
        lambda: tokenizers.models.BPE({"a": 0, "b": 1}, [], unk_token="<unk>"),
        "Unk token `<unk>` not found",
    ),
    "unigram": (
        lambda: tokenizers.models.Unigram([("a", -1.0), ("b", -1.0)], None, False),
        "`unk_id` is missing",
    ),
}


@pytest.fixture
def wordpiece_without_unk(tmp_path: Path) -> Path:
    """A WordPiece model whose `[UNK]` is not in its vocabulary."""
    return _save(MODELS["wordpiece"][0](), tmp_path / "wp_nounk.json")


@pytest.fixture
def damaged_precompiled(tmp_path: Path) -> Path:
    """A valid BPE tokenizer.json whose normalizer is a `Precompiled` charsmap that cannot be parsed."""
    path = _save(tokenizers.models.BPE({"a": 0, "b": 1}, []), tmp_path / "precompiled.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["normalizer"] = {"type": "Precompiled", "precompiled_charsmap": "AAAA"}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def two_texts(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("hello\n", encoding="utf-8")
    second.write_text("world\n", encoding="utf-8")
    return first, second


def assert_one_error_line(result, *fragments: str) -> str:
    """Exit code 1, exactly one `pixtok: error:` line on stderr holding every fragment, no traceback."""
    assert result.exception is None, result.traceback
    assert result.exit_code == 1, result.stderr
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr
    assert len(result.error_lines) == 1, result.stderr
    (line,) = result.error_lines
    assert line.startswith("pixtok: error: ")
    for fragment in fragments:
        assert fragment in line
    return line


# -- models that load but cannot encode every text -------------------------------------------------


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_a_model_without_its_unknown_token_counts_what_it_can_and_names_itself_otherwise(
    kind: str, tmp_path: Path
) -> None:
    make, reason = MODELS[kind]
    path = _save(make(), tmp_path / f"{kind}.json")
    tokenizer = get_tokenizer(f"hf:{path}")  # not refused at load: it works for texts it covers
    assert tokenizer.count(KNOWN) == len(tokenizer.encode(KNOWN)) == len(tokenizer.pieces(KNOWN)) == 2
    assert tokenizer.spans(KNOWN) == [(0, 2), (2, 3)]
    for method in (tokenizer.encode, tokenizer.count, tokenizer.pieces, tokenizer.spans):
        with pytest.raises(InputError) as caught:
            method(UNKNOWN)
        message = str(caught.value)
        assert message.startswith(f"{path}: ") and reason in message
        assert "\n" not in message and "Exception" not in message


def test_tokens_of_one_text_is_one_error_line(run_cli, wordpiece_without_unk: Path) -> None:
    result = run_cli("tokens", "ab c", "-t", f"hf:{wordpiece_without_unk}")
    assert_one_error_line(result, str(wordpiece_without_unk), "Missing [UNK] token")


def test_tokens_of_several_inputs_fails_each_text_alone(
    run_cli, wordpiece_without_unk: Path, two_texts: tuple[Path, Path]
) -> None:
    """The texts the model cannot encode are failed records; one it can is counted."""
    result = run_cli("tokens", *two_texts, KNOWN, "-t", f"hf:{wordpiece_without_unk}")
    assert_one_error_line(result, "2 of 3 records failed", "Missing [UNK] token")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["input"] for record in records] == [*map(str, two_texts), "text"]
    assert all(record["error"].startswith(f"{wordpiece_without_unk}: ") for record in records[:2])
    assert records[2]["tokens"] == {f"hf:{wordpiece_without_unk}": 2}


def test_typos_report_is_one_error_line(run_cli, wordpiece_without_unk: Path) -> None:
    result = run_cli("typos", "hello world", "--report", "-t", f"hf:{wordpiece_without_unk}")
    assert_one_error_line(result, str(wordpiece_without_unk), "Missing [UNK] token")


def test_compare_of_several_files_fails_each_record_with_a_clean_message(
    run_cli, wordpiece_without_unk: Path, two_texts: tuple[Path, Path]
) -> None:
    result = run_cli(
        "compare", *two_texts, "-t", f"hf:{wordpiece_without_unk}", "-e", "qwen2.5-vl", "--no-density", "-q"
    )
    assert_one_error_line(result, "2 of 2 records failed")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [record["input"] for record in records] == [str(path) for path in two_texts]
    for record in records:
        assert record["error"].startswith(f"{wordpiece_without_unk}: ")
        assert "Missing [UNK] token" in record["error"] and "Exception" not in record["error"]


# -- a file the library panics on ----------------------------------------------------------------------


def test_a_panic_while_loading_is_a_one_line_input_error(damaged_precompiled: Path) -> None:
    with pytest.raises(InputError, match=r"not a Hugging Face tokenizer\.json \(Precompiled") as caught:
        get_tokenizer(f"hf:{damaged_precompiled}")
    assert str(caught.value).startswith(f"{damaged_precompiled}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "command",
    [
        ["tokens", "ab c"],
        ["typos", "hello world", "--report"],
        ["compare", "{a}", "{b}", "-e", "qwen2.5-vl", "--no-density", "-q"],  # on worker processes
    ],
    ids=["tokens", "typos", "compare"],
)
def test_every_command_reports_the_damaged_file_in_one_line(
    run_cli, command: list[str], damaged_precompiled: Path, two_texts: tuple[Path, Path]
) -> None:
    first, second = two_texts
    args = [part.format(a=first, b=second) for part in command]
    result = run_cli(*args, "-t", f"hf:{damaged_precompiled}")
    assert_one_error_line(result, f"{damaged_precompiled}: not a Hugging Face tokenizer.json (Precompiled")


def test_rusts_own_panic_report_stays_off_stderr(run_cli, damaged_precompiled: Path) -> None:
    """In a new interpreter, so what Rust writes to file descriptor 2 is seen too."""
    result = run_cli(
        "tokens", "ab c", "-t", f"hf:{damaged_precompiled}", fresh_process=True, env={"RUST_BACKTRACE": "1"}
    )
    assert_one_error_line(result, "not a Hugging Face tokenizer.json")


def test_a_real_panic_is_recognised_and_interrupts_are_not(damaged_precompiled: Path) -> None:
    try:
        without_panic_report(lambda: tokenizers.Tokenizer.from_file(str(damaged_precompiled)))
    except BaseException as exc:  # the panic is no Exception: that is the point
        panic = exc
    else:
        pytest.fail("the damaged file loaded")
    assert is_rust_panic(panic) and not isinstance(panic, Exception)
    assert not is_rust_panic(KeyboardInterrupt()) and not is_rust_panic(SystemExit(1))
    assert not is_rust_panic(ValueError("PanicException"))


def test_stderr_written_during_a_call_is_kept_unless_the_call_panics(capfd) -> None:
    def write(then: BaseException | None) -> str:
        os.write(2, b"from native code\n")
        if then is not None:
            raise then
        return "done"

    assert without_panic_report(lambda: write(None)) == "done"
    assert capfd.readouterr().err == "from native code\n"
    with pytest.raises(ValueError):
        without_panic_report(lambda: write(ValueError("not a panic")))
    assert capfd.readouterr().err == "from native code\n"
    with pytest.raises(FakePanic):
        without_panic_report(lambda: write(FakePanic("boom")))
    assert capfd.readouterr().err == ""
    with pytest.raises(KeyboardInterrupt):
        without_panic_report(lambda: write(KeyboardInterrupt()))
    assert capfd.readouterr().err == "from native code\n"


# -- worker processes: errors that cannot be pickled -------------------------------------------------


class PanickingFactory:
    """A worker factory that fails as a Rust library does: with an exception that cannot be pickled."""

    def __call__(self) -> Callable[[Record], dict]:
        raise FakePanic("Precompiled: cannot parse\nsecond line")


def test_an_unpicklable_worker_error_becomes_a_pixtok_error() -> None:
    converted = sendable_error(FakePanic("Precompiled: cannot parse\nsecond line"))
    assert type(converted) is PixtokError
    assert str(converted) == "PanicException: Precompiled: cannot parse"
    kept = InputError("x.json: not a Hugging Face tokenizer.json (bad)")
    assert sendable_error(kept) is kept


def test_a_worker_process_that_panics_while_built_stops_the_run_with_its_message() -> None:
    records = [Record("a", "hello"), Record("b", "world")]
    with pytest.raises(PixtokError, match=r"^PanicException: Precompiled: cannot parse$"):
        list(run_records(records, PanickingFactory(), engine="process", jobs=2))


def test_a_panic_on_one_record_fails_that_record_alone() -> None:
    def worker(record: Record) -> dict:
        if record.text == "bad":
            raise FakePanic("cannot encode")
        return {"length": len(record.text)}

    assert apply_worker(worker, Record("r1", "bad"), "id", ()) == {
        "id": "r1",
        "error": "PanicException: cannot encode",
    }
    assert apply_worker(worker, Record("r2", "good"), "id", ()) == {"id": "r2", "length": 4}

    def interrupted(record: Record) -> dict:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_worker(interrupted, Record("r3", "x"), "id", ())


# -- normalizers and pre-tokenizers that make a text larger ---------------------------------------------


def _charsmap(**options: object) -> bytes:
    """The precompiled charsmap of a small SentencePiece model trained with `options`, as the
    `Precompiled` normalizer of a converted model holds it."""
    spm = pytest.importorskip("sentencepiece")
    model_pb2 = pytest.importorskip("sentencepiece.sentencepiece_model_pb2")
    lines = (CORPUS / "en_prose_debian-reference.txt").read_text(encoding="utf-8").splitlines()[:400]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines), model_writer=model, vocab_size=200, minloglevel=2, **options
    )
    proto = model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto.normalizer_spec.precompiled_charsmap


def _hostile_precompiled(tmp_path: Path) -> object:
    """SentencePiece's own rule file: U+E000 becomes a hundred "x"."""
    return _precompiled(tmp_path, "E000", ["78"] * 100)


def _precompiled(tmp_path: Path, source: str, target: list[str]) -> object:
    """A `Precompiled` normalizer of one SentencePiece rule (hex code points), compiled by
    SentencePiece itself."""
    rules = tmp_path / f"rules-{source}.tsv"
    rules.write_text(source + "\t" + " ".join(target) + "\n", encoding="utf-8")
    return normalizers.Precompiled(_charsmap(normalization_rule_tsv=str(rules)))


def _with(path: Path, normalizer: object = None, pre_tokenizer: object = None) -> Path:
    """A WordLevel tokenizer.json with this normalizer and pre-tokenizer, saved by the library."""
    tokenizer = tokenizers.Tokenizer(
        tokenizers.models.WordLevel({"a": 0, "b": 1, "[UNK]": 2}, unk_token="[UNK]")
    )
    if normalizer is not None:
        tokenizer.normalizer = normalizer
    if pre_tokenizer is not None:
        tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.save(str(path))
    return path


#: name → (the tokenizer's normalizer and pre-tokenizer, what the one error line must say).
HOSTILE: dict[str, tuple[Callable[[Path], tuple[object, object]], list[str]]] = {
    "empty-regex-huge-content": (  # one character of text would become 100,001 of them
        lambda tmp: (normalizers.Replace(Regex(""), "x" * 100_000), None),
        ["normalizer, Replace(Regex '' → 'xxxxxxxx", "300,001 times larger", f"the {MAX_GROWTH} times"],
    ),
    "regex-long-content": (  # a match may be empty: 1 + 3 x 22 bytes
        lambda tmp: (normalizers.Replace(Regex("a"), "x" * 22), None),
        ["normalizer, Replace(Regex 'a' → 'xxxxxxxx", "it can make a text 67 times larger"],
    ),
    "precompiled-feeds-replace": (  # each step within its bound; together U+E001 becomes 4,032 bytes
        lambda tmp: (
            normalizers.Sequence(
                [_precompiled(tmp, "E001", ["E002"] * 21), normalizers.Replace("\ue002", "x" * 192)]
            ),
            None,
        ),
        [
            "normalizer step 2 of 2, Replace(String '\\ue002'",
            "a character that normalizer step 1 of 2, Precompiled replaces by",
            "4,032 times larger",
        ],
    ),
    "huge-prepend": (
        lambda tmp: (normalizers.Prepend("x" * 1000), None),
        ["normalizer, Prepend('xxxxxxxx", "(1,000 bytes)", "1,001 times larger"],
    ),
    "huge-replace-of-a-rare-character": (  # no probe holds U+E001 (3 bytes): the content alone refuses it
        lambda tmp: (normalizers.Replace("\ue001", "x" * 1000), None),
        ["Replace(String '\\ue001' → 'xxxxxxxx", "334 times larger"],
    ),
    "precompiled": (
        lambda tmp: (_hostile_precompiled(tmp), None),
        ["normalizer, Precompiled: it can make a text 100 times larger"],
    ),
    "chain": (  # each step only doubles a text; ten of them make "a" 1,024 "a"
        lambda tmp: (normalizers.Sequence([normalizers.Replace("a", "aa") for _ in range(10)]), None),
        ["normalizer step 7 of 10, Replace(String 'a' → 'aa')", "the text 'a' 128 times larger"],
    ),
    "byte-level-chain": (  # each ByteLevel spells the bytes of the one before as two-byte characters
        lambda tmp: (None, pre_tokenizers.Sequence([pre_tokenizers.ByteLevel(use_regex=False)] * 8)),
        ["pre-tokenizer step 6 of 8, ByteLevel", "times larger"],
    ),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_a_file_that_would_grow_a_text_is_refused_in_one_line(run_cli, kind: str, tmp_path: Path) -> None:
    make, fragments = HOSTILE[kind]
    path = _with(tmp_path / f"{kind}.json", *make(tmp_path))
    result = run_cli("tokens", "ab c", "-t", f"hf:{path}")
    line = assert_one_error_line(result, f"pixtok: error: {path}: ", "(docs/tokenizers.md)", *fragments)
    assert len(line) - len(str(path)) < 400, line  # contents are shown cut short


def test_loading_alone_refuses_the_file(tmp_path: Path) -> None:
    """No text is needed: the file is refused before the library's normalizer sees one (a 1 MB text
    through this normalizer would be 100 GB)."""
    path = _with(tmp_path / "grows.json", normalizers.Replace(Regex(""), "x" * 100_000))
    with pytest.raises(InputError, match=r"300,001 times larger") as caught:
        get_tokenizer(f"hf:{path}")
    assert str(caught.value).startswith(f"{path}: ") and "\n" not in str(caught.value)


def _trained(path: Path, normalizer: object, pre_tokenizer: object, decoder: object = None) -> Path:
    """A BPE tokenizer.json with this normalizer and pre-tokenizer, trained on two corpus texts."""
    tokenizer = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    if decoder is not None:
        tokenizer.decoder = decoder
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=600, special_tokens=["[UNK]"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    files = [str(CORPUS / "en_prose_debian-reference.txt"), str(CORPUS / "ar_msgstr_gtk20-properties.txt")]
    tokenizer.train(files, trainer)
    tokenizer.save(str(path))
    return path


#: The normalizers and pre-tokenizers of real models, rebuilt with the library.
REAL: dict[str, Callable[[], tuple[object, object]]] = {
    "nfkc-prepend": lambda: (  # Llama 2 / Mistral's Prepend and Replace, after NFKC
        normalizers.Sequence([normalizers.NFKC(), normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
        None,
    ),
    "bert": lambda: (normalizers.BertNormalizer(), pre_tokenizers.BertPreTokenizer()),
    # Patterns that match nothing, before a line or a capital: the content goes in once a match.
    "start-anchor": lambda: (normalizers.Replace(Regex("^"), "_"), pre_tokenizers.Whitespace()),
    "lookahead": lambda: (normalizers.Replace(Regex("(?=[A-Z])"), " "), pre_tokenizers.WhitespaceSplit()),
    "nfkc-byte-level": lambda: (normalizers.NFKC(), pre_tokenizers.ByteLevel(add_prefix_space=True)),
    "nfc-split-byte-level": lambda: (  # Qwen2's
        normalizers.NFC(),
        pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(r"\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+|\s+"), "isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        ),
    ),
    "precompiled-metaspace": lambda: (  # T5's: SentencePiece's own nmt_nfkc charsmap
        normalizers.Precompiled(_charsmap(normalization_rule_name="nmt_nfkc")),
        pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace()]),
    ),
    "albert": lambda: (
        normalizers.Sequence(
            [
                normalizers.Replace("``", '"'),
                normalizers.Replace("''", '"'),
                normalizers.NFKD(),
                normalizers.StripAccents(),
                normalizers.Lowercase(),
                normalizers.Precompiled(_charsmap(normalization_rule_name="nmt_nfkc")),
                normalizers.Replace(Regex(" {2,}"), " "),
            ]
        ),
        pre_tokenizers.Metaspace(),
    ),
}

#: Texts the real normalizers grow most: NFKC's largest expansion, U+FDFA (18 characters, 11
#: times its bytes), CJK that BERT spaces out, spaces that become "▁".
GROWING = "ﷺ" * 200 + " 漢字 " * 50 + "   ﬁ ㌀ İ" * 50


@pytest.mark.parametrize("kind", sorted(REAL))
def test_real_normalizers_load_and_count_as_the_library_does(kind: str, tmp_path: Path) -> None:
    path = _trained(tmp_path / f"{kind}.json", *REAL[kind]())
    reference = tokenizers.Tokenizer.from_file(str(path))
    tokenizer = get_tokenizer(f"hf:{path}")
    english = (CORPUS / "en_prose_debian-reference.txt").read_text(encoding="utf-8")[:20_000]
    for text in (english, GROWING, "ab"):
        expected = reference.encode(text, add_special_tokens=False).ids
        assert tokenizer.encode(text) == expected
        assert tokenizer.count(text) == len(expected) > 0


def test_a_real_normalizer_counts_on_the_command_line(run_cli, tmp_path: Path) -> None:
    path = _trained(tmp_path / "nfkc-prepend.json", *REAL["nfkc-prepend"]())
    expected = tokenizers.Tokenizer.from_file(str(path)).encode(GROWING, add_special_tokens=False).ids
    result = run_cli("tokens", GROWING, "-t", f"hf:{path}", "--count")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == str(len(expected))
