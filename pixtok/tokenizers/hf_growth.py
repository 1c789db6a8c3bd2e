"""How much a Hugging Face tokenizer.json may make a text grow before pixtok sees it.

The `tokenizers` library normalizes and pre-tokenizes a whole text before anything of pixtok's
sees it, keeping 16 bytes of bookkeeping per byte it writes: a `Replace` whose pattern matches
the empty string inserts its content between every two characters, a `Prepend` or `Replace` of a
megabyte puts it in place of every match, a chain of `ByteLevel` pre-tokenizers doubles the text
at each step. `check_growth` refuses such a file when it is loaded (docs/tokenizers.md, "`hf:PATH`
files"). Growth is a property of the file alone, so it is checked once, unlike a missing unknown
token, which depends on the text (`pixtok.tokenizers.hf`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from pixtok.errors import InputError, is_rust_panic
from pixtok.tokenizers.base import without_panic_report

# -- normalizers and pre-tokenizers that make a text larger ---------------------------------------

#: How many times its size in UTF-8 bytes the normalizer and pre-tokenizer of a tokenizer.json may
#: make a text, together and at every step. Unicode's largest growth is NFKC's (U+FDFA, 3 bytes,
#: becomes 33), 11 times; a `ByteLevel` pre-tokenizer after it (each byte of an Arabic letter
#: becomes a character of two bytes) makes that about 23 times. A real tokenizer grows a text far
#: less; the bound leaves room above these. At the bound a 1 MB text becomes 64 MB, which the
#: library holds with 16 bytes of alignment per byte: about a gigabyte.
MAX_GROWTH = 64

#: Bytes out per byte in, at most, of the normalizers whose growth is fixed by Unicode or by the
#: step itself: UAX #15 bounds NFC and NFD to 3 times and NFKC and NFKD to 11 times in UTF-8; a
#: lowercased character grows at most 1.5 times in Unicode ("İ", 2 bytes, is "i̇", 3), taken as 3;
#: `ByteLevel` spells each byte as a character of one or two bytes; the others only drop
#: characters or put one in place of one of at least its size.
_NORMALIZER_GROWTH: dict[str, int] = {
    "NFC": 3,
    "NFD": 3,
    "NFKC": 11,
    "NFKD": 11,
    "Lowercase": 3,
    "ByteLevel": 2,
    "Nmt": 1,
    "Strip": 1,
    "StripAccents": 1,
}
#: The same for the pre-tokenizers that only split a text (or drop its whitespace).
_PRE_TOKENIZER_GROWTH: dict[str, int] = dict.fromkeys(
    (
        "BertPreTokenizer",
        "CharDelimiterSplit",
        "Digits",
        "FixedLength",
        "Punctuation",
        "Split",
        "UnicodeScripts",
        "Whitespace",
        "WhitespaceSplit",
    ),
    1,
)
#: Texts every normalizer and pre-tokenizer is tried on, whole and one character at a time: ASCII,
#: whitespace and controls, Latin with precomposed and combining accents and letters that grow when
#: lowercased or under NFKC (ligatures, "İ"), CJK and full-width forms, right-to-left scripts and
#: Unicode's largest NFKC expansions (U+FDFA, U+FB2C), Indic and Thai, emoji sequences, private-use
#: characters and a noncharacter (U+FDD0).
GROWTH_PROBES: tuple[str, ...] = (
    "The quick brown fox jumps over the lazy dog; 0123456789.",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    "  a  b  \t\n\r\x0b\x0c\x00\x07\x7f\x85\u00a0\u2003\u3000\u2028\u200b\u200d\ufeff",
    "café naïve e\u0301 o\u0308\u0332 İ ß ǅ Ⱥ ﬁ ﬃ ΐ Ω ½ ™",
    "漢字 豈 かな カナ ｶﾀｶﾅ 한국어 ＡＢＣ１２３ ㍻ ㌀",
    "العربية ﷺ ﷻ עברית שּׁ हिन्दी ไทย",
    "👍🏽 👨\u200d👩\u200d👧 \U0001d160 \ue000 \U000f0000 \ufdd0 \ufffd",
)


@dataclass(frozen=True)
class _Step:
    """One step of a tokenizer's normalizer or pre-tokenizer (a `Sequence` is flattened)."""

    part: str  # "normalizer" or "pre-tokenizer"
    number: int  # from 1
    count: int  # steps in the part
    config: dict[str, Any]  # the library's own description of the step

    @property
    def kind(self) -> str:
        return str(self.config.get("type"))

    def name(self) -> str:
        """How an error message names the step: "normalizer step 2 of 3, Replace('a' → 'b')"."""
        where = self.part if self.count == 1 else f"{self.part} step {self.number} of {self.count}"
        if self.kind == "Replace":
            ((form, pattern),) = self.config["pattern"].items()
            what = f"Replace({form} {_show(pattern)} → {_show(self.config['content'])})"
        elif self.kind == "Prepend":
            what = f"Prepend({_show(self.config['prepend'])})"
        else:
            what = self.kind
        return f"{where}, {what}"


def _show(text: str, width: int = 24) -> str:
    """`text` quoted on one line (repr escapes line breaks), cut after `width` characters."""
    if len(text) <= width:
        return repr(text)
    return f"{text[:width]!r}… ({_utf8_size(text):,} bytes)"


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _steps(part: str, component: Any) -> list[_Step]:
    """The steps of a normalizer or pre-tokenizer, from the library's own JSON of it, in order."""
    if component is None:
        return []
    key = "normalizers" if part == "normalizer" else "pretokenizers"

    def leaves(config: Any) -> list[dict[str, Any]]:
        if not isinstance(config, dict):
            return []
        if config.get("type") == "Sequence":
            return [leaf for child in config.get(key) or [] for leaf in leaves(child)]
        return [config]

    configs = leaves(json.loads(component.__getstate__()))
    return [_Step(part, number, len(configs), config) for number, config in enumerate(configs, 1)]


def _charsmap_texts(charsmap: str | None) -> list[bytes]:
    """The runs of bytes between NULs of a `Precompiled` charsmap's replacement texts.

    The charsmap (base64 in the JSON) is a little-endian u32 size, a trie of that many bytes, then
    the replacement texts, each ending at a NUL byte. A replacement is read from where the trie
    points up to the next NUL, so each is the end of one of these runs. A charsmap that is not
    base64 is one run: the library refuses it when it loads.
    """
    if not charsmap:
        return []
    try:
        data = base64.b64decode(charsmap)
    except (binascii.Error, ValueError):
        return [charsmap.encode("utf-8", "surrogatepass")]
    return data[4 + int.from_bytes(data[:4], "little") :].split(b"\0")


def _longest_mapping(charsmap: str | None) -> int:
    """Bytes of the longest text a `Precompiled` charsmap can put in place of what it matches."""
    return max(map(len, _charsmap_texts(charsmap)), default=0)


def _replacements(charsmap: str | None) -> list[str]:
    """The texts of more than one character a `Precompiled` charsmap puts in place of what it
    matches (a replacement read from inside a run is the run's end, which the run's own growth
    bounds), without repeats."""
    texts = (run.decode("utf-8", "ignore") for run in _charsmap_texts(charsmap))
    return [text for text in dict.fromkeys(texts) if len(text) > 1]


def _growth_bound(step: _Step) -> int | None:
    """At most how many times its size in UTF-8 bytes `step` makes a piece of text, from its
    description alone; None for a kind of step this table does not know (it is still probed).

    A `Replace` of a non-empty string puts its content in place of at least as many bytes. A
    regular expression, or the empty string, may match nothing, between every two characters
    (`^` before each line, `(?=b)` before each "b"), and a text of n characters then has up to
    2n + 1 matches: at most 1 + 3 x the content's bytes per byte of text, which is what such a
    step is allowed (`Replace(Regex("^"), "▁")` is 10; a content of 22 bytes or more is refused).
    A `Prepend` is counted on a piece of one byte: the library normalizes each piece of text
    between two added tokens on its own.
    """
    config = step.config
    if step.part == "pre-tokenizer":
        if step.kind == "ByteLevel":  # each byte a character of up to 2 bytes, and a "Ġ" before a piece
            return 4 if config.get("add_prefix_space") else 2
        if step.kind == "Metaspace":  # " " becomes the replacement, which also starts each piece
            return 2 * max(1, _utf8_size(str(config.get("replacement") or " ")))
        return _PRE_TOKENIZER_GROWTH.get(step.kind)
    if step.kind == "Replace":
        content = _utf8_size(str(config.get("content") or ""))
        pattern = config.get("pattern") or {}
        literal = _utf8_size(str(pattern["String"])) if "String" in pattern else 0
        if literal:
            return max(1, math.ceil(content / literal))
        return 1 + 3 * content  # a match may be empty: see above
    if step.kind == "Prepend":
        return 1 + _utf8_size(str(config.get("prepend") or ""))
    if step.kind == "Precompiled":
        return max(1, _longest_mapping(config.get("precompiled_charsmap")))
    if step.kind == "BertNormalizer":  # CJK ideographs gain a space each side; accents are stripped after NFD
        lowercase = bool(config.get("lowercase", True))
        strip = config.get("strip_accents")
        strip = lowercase if strip is None else bool(strip)
        return (
            (2 if config.get("handle_chinese_chars", True) else 1)
            * (3 if strip else 1)
            * (3 if lowercase else 1)
        )
    return _NORMALIZER_GROWTH.get(step.kind)


def _too_much(label: str, step: _Step, growth: str) -> InputError:
    return InputError(
        f"{label}: {step.name()}: {growth} in UTF-8 bytes, more than the {MAX_GROWTH} times pixtok "
        f"accepts (docs/tokenizers.md)"
    )


def _probes(steps: list[_Step]) -> list[str]:
    """Each character of `GROWTH_PROBES` and of the steps' patterns and contents on its own (a
    growth one character causes is not diluted by the rest), then those texts whole (what one step
    writes may be what a later one matches), without repeats."""
    texts = list(GROWTH_PROBES)
    for step in steps:
        if step.kind == "Replace":
            texts += [str(text) for text in (*step.config["pattern"].values(), step.config.get("content"))]
        elif step.kind == "Prepend":
            texts.append(str(step.config.get("prepend")))
    return [text for text in dict.fromkeys([*(char for text in texts for char in text), *texts]) if text]


def _probe(
    label: str, steps: list[_Step], components: list[Any], probe: str, first: int = 0, size: int = 0
) -> None:
    """Run `probe` through the steps from `first` on, one at a time, as the library runs them on
    a text, and refuse the first step whose output is more than `MAX_GROWTH` times `size` bytes
    (the probe's own size when 0). Each step grows its input at most `MAX_GROWTH` times
    (`_growth_bound`), so no probe ever grows much beyond the bound."""
    import tokenizers

    size = size or _utf8_size(probe)
    normalized = tokenizers.NormalizedString(probe)
    pretokenized = None
    for step, component in zip(steps[first:], components[first:], strict=True):
        if step.part == "normalizer":
            component.normalize(normalized)
            grown = _utf8_size(normalized.normalized)
        else:
            if pretokenized is None:
                pretokenized = tokenizers.PreTokenizedString(normalized.normalized)
            component.pre_tokenize(pretokenized)
            grown = sum(_utf8_size(piece) for piece, *_ in pretokenized.get_splits())
        if grown > MAX_GROWTH * size:
            times = math.ceil(grown / size)
            what = (
                f"the steps up to this one make the text {_show(probe)} {times:,} times larger"
                if not first
                else f"it makes a character that {steps[first - 1].name()} replaces by "
                f"{_show(probe, 8)} up to {times:,} times larger"
            )
            raise _too_much(label, step, what)


def _component(part: str, config: dict[str, Any]) -> Any:
    """The library's object for one step, built by the library from the step's JSON."""
    import tokenizers

    document: dict[str, Any] = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": {}, "unk_token": "[UNK]"},
    }
    field = "normalizer" if part == "normalizer" else "pre_tokenizer"
    document[field] = config
    return getattr(tokenizers.Tokenizer.from_str(json.dumps(document)), field)


def check_growth(tokenizer: Any, label: str) -> None:
    """Refuse a tokenizer whose normalizer or pre-tokenizer could make a text more than
    `MAX_GROWTH` times larger (in UTF-8 bytes), with an InputError naming `label` and the step.

    The library normalizes and pre-tokenizes the whole text before pixtok sees anything of it,
    keeping 16 bytes of alignment for each byte it writes, so a file that grows a text 10,000
    times makes a 1 MB text cost hundreds of gigabytes. Two checks, both before any text is read:

    * Each step on its own, from the library's description of it (`_growth_bound`): a `Replace`
      of a string may put at most `MAX_GROWTH` times its bytes in its place, a `Replace` of a
      regular expression (which may match nothing, between every two characters) at most 21
      bytes, a `Prepend` at most `MAX_GROWTH - 1` bytes, a `Precompiled` replacement at most
      `MAX_GROWTH` bytes. This bound holds for every text, step by step.
    * All steps in order on `GROWTH_PROBES` and the steps' own patterns and contents, whole and a
      character at a time, as the library itself runs them (`_probe`), and each replacement of a
      `Precompiled` charsmap through the steps after it, counted against one byte (the least a
      character it replaces can be): no step's output may be more than `MAX_GROWTH` times the
      probe. This catches steps that are small alone but feed each other: ten `Replace("a" →
      "aa")`, a chain of `ByteLevel` pre-tokenizers, a charsmap whose replacements a later
      `Replace` matches. It is a test on samples, not a proof: a Unicode normalization (NFKC,
      NFKD, case mapping) that expands a character none of the probes holds into text a later
      `Replace` grows goes unseen, each step staying within its own bound.

    A probe the library fails on (a regular expression that gives up, a panic) is passed over and
    the others still run; the file is not refused for it: such a text is reported when it is
    encoded, as any other text the model cannot encode.
    """
    try:
        steps = _steps("normalizer", tokenizer.normalizer) + _steps("pre-tokenizer", tokenizer.pre_tokenizer)
    except Exception:  # a step written in Python (only a caller's own object has one): not described
        return
    if not steps:
        return
    for step in steps:
        bound = _growth_bound(step)
        if bound is not None and bound > MAX_GROWTH:
            raise _too_much(label, step, f"it can make a text {bound:,} times larger")

    def probe_all() -> None:
        components = [_component(step.part, step.config) for step in steps]
        # (probe, the step it enters at, the size it is counted against: 0 for its own)
        probes = [(probe, 0, 0) for probe in _probes(steps)]
        for number, step in enumerate(steps):
            if step.kind == "Precompiled" and number + 1 < len(steps):
                replacements = _replacements(step.config.get("precompiled_charsmap"))
                probes += [(text, number + 1, 1) for text in replacements]
        failure: BaseException | None = None
        for probe, first, size in probes:
            try:
                _probe(label, steps, components, probe, first, size)
            except InputError:
                raise
            except Exception as exc:  # the library's own error on this text: try the others
                failure = failure or exc
            except BaseException as exc:
                if not is_rust_panic(exc):
                    raise
                failure = failure or exc
        if failure is not None:
            raise failure  # ends `without_panic_report` with it, so Rust's report stays off stderr

    try:
        without_panic_report(probe_all)
    except InputError:
        raise
    except Exception:
        return  # see above: such a text is reported when it is encoded
    except BaseException as exc:
        if not is_rust_panic(exc):
            raise
