"""The stated limits on what pixtok reads and allocates, and the checks that enforce them.

Every input pixtok reads is bounded, so that a hostile or mistaken input (`/dev/zero`, a 20 MB
line, a 60000 x 60000 PNG, JSON nested 100,000 deep, `--jobs 10000`) is refused with one line
naming the limit instead of exhausting memory. Each limit can be raised (docs/limits.md):

| name           | bounds                                                         | default          |
|----------------|----------------------------------------------------------------|------------------|
| `input`        | bytes of one input: a file, stdin, a JSON line, a config file  | 64 MiB           |
| `line`         | characters of one line of a text                               | 1,000,000        |
| `page-pixels`  | pixels of one rendered page                                    | 67,108,864 (2^26)|
| `image-pixels` | pixels of one decoded image, and of a patch tensor             | 100,000,000      |
| `json-depth`   | nesting of JSON and TOML documents                             | 128              |
| `jobs`         | worker processes of a corpus run                               | the usable cores |

A limit is a whole number from 1 to `MAX_LIMIT` (2^62, about 4.6 x 10^18); a larger one, such as
`--limit input=9223372036854775807`, is taken as `MAX_LIMIT`, which nothing reaches: no limit
in practice. The limits in force are process-wide, like Pillow's `Image.MAX_IMAGE_PIXELS`: `current()` reads
them, `using(...)` raises or lowers them for a block (the command line's `--limit NAME=VALUE`
does this for the whole call), and worker processes are started with the parent's limits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from pixtok.errors import InputError, LimitError, UsageError

MiB = 1 << 20
DOCS = "docs/limits.md"
#: The largest value a limit takes; a larger one is lowered to it. It is beyond any input or
#: allocation (4 EiB), and `limit + 1` still fits the index-sized integer that `read` and
#: `readline` take.
MAX_LIMIT = 1 << 62
#: The most bytes one `read` call asks for: a raised `input` limit must not make Python allocate
#: the whole limit up front for a small input.
_READ_AT_ONCE = 1 << 30


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not every platform has affinity
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Limits:
    """Upper bounds on inputs and allocations; see the module docstring for what each bounds."""

    input_bytes: int = 64 * MiB
    line_chars: int = 1_000_000
    page_pixels: int = 1 << 26
    image_pixels: int = 100_000_000
    json_depth: int = 128
    jobs: int = dataclasses.field(default_factory=usable_cores)

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, np.integer):
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                shown = (
                    repr(value) if not isinstance(value, int) or value > -MAX_LIMIT else "a negative number"
                )
                raise UsageError(f"limit {flag_name(item.name)} must be a whole number >= 1, not {shown}")
            # Above the ceiling is "no limit": lowered to it (docs/limits.md), never an overflow.
            object.__setattr__(self, item.name, min(value, MAX_LIMIT))

    def replace(self, **changes: int) -> Limits:
        return dataclasses.replace(self, **changes)


#: The command-line name of each limit (`--limit input=1GB`) and the field it sets.
FLAG_NAMES: dict[str, str] = {
    "input": "input_bytes",
    "line": "line_chars",
    "page-pixels": "page_pixels",
    "image-pixels": "image_pixels",
    "json-depth": "json_depth",
    "jobs": "jobs",
}


def flag_name(field_name: str) -> str:
    return next(flag for flag, name in FLAG_NAMES.items() if name == field_name)


_current = Limits()


def current() -> Limits:
    """The limits in force."""
    return _current


def set_limits(limits: Limits) -> Limits:
    """Put `limits` in force for the rest of the process; returns the ones they replace."""
    global _current
    previous, _current = _current, limits
    return previous


@contextlib.contextmanager
def using(limits: Limits | None = None, **changes: int) -> Iterator[Limits]:
    """Within the block, `limits` (or the current ones with `changes`) are in force.

    >>> with using(input_bytes=1 << 30):   # read inputs of up to 1 GiB  # doctest: +SKIP
    ...     text = pixtok.io.read_text("big.txt")
    """
    chosen = (limits or current()).replace(**changes)
    previous = set_limits(chosen)
    try:
        yield chosen
    finally:
        set_limits(previous)


# -- parsing `--limit NAME=VALUE` -----------------------------------------------------------------

#: ASCII digits only (`\d` would take ١٠ and full-width １０ too).
_AMOUNT = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE | re.ASCII)
_SCALE = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_amount(text: str) -> int:
    """`1000`, `64MB`, `1.5G`, `512KiB`, `2M` as a whole number (k/M/G/T are powers of 1000, with
    an `i` powers of 1024), at most `MAX_LIMIT`: a larger amount means no limit in practice."""
    match = _AMOUNT.match(text)
    if not match:
        raise UsageError(f"--limit: {text!r} is not an amount such as 1000, 64MB, 2M or 1GiB")
    digits, unit = match.group(1), (match.group(2) or "").lower()
    scale = _SCALE[unit[:1]] if "i" not in unit else 1 << (10 * "kmgt".index(unit[0]) + 10)
    whole, _, fraction = digits.partition(".")
    if len(whole.lstrip("0")) > 19:  # past 10^19 before scaling: beyond the ceiling already
        return MAX_LIMIT
    # Exact arithmetic: a float would lose digits of a large amount (and overflow a huge one).
    amount = int(whole) * scale + int(fraction or "0") * scale // 10 ** len(fraction)
    return min(amount, MAX_LIMIT)


def parse_limits(specs: Iterable[str], base: Limits | None = None) -> Limits:
    """`base` (the current limits) with each `NAME=VALUE` of `specs` applied."""
    changes: dict[str, int] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        field_name = FLAG_NAMES.get(name.strip().lower())
        if not sep or field_name is None:
            raise UsageError(
                f"--limit takes NAME=VALUE with NAME one of {', '.join(FLAG_NAMES)}; got {spec!r}"
            )
        changes[field_name] = parse_amount(value)
    return (base or current()).replace(**changes)


# -- the checks --------------------------------------------------------------------------------


def _exceeded(what: str, limit_field: str, amount: str) -> LimitError:
    return LimitError(
        f"{what}; raise the limit with `pixtok --limit {flag_name(limit_field)}={amount} ...` ({DOCS})"
    )


def human_bytes(count: int) -> str:
    """`67108864` -> `64 MiB`."""
    for unit, size in (("GiB", 1 << 30), ("MiB", MiB), ("KiB", 1 << 10)):
        if count >= size and count % (size // 16 or 1) == 0:
            return f"{count / size:g} {unit}"
    return f"{count:,} bytes"


#: The largest count (of tokens, characters, bytes...) pixtok takes from a file or a server: 2**53,
#: the largest whole number a float holds exactly. Totals add counts and divide them into ratios;
#: a count too large for a float (`10**400` in a records file, `10**30` from a server) would make
#: that division overflow.
MAX_COUNT = 2**53


def _prefix(source: str | None) -> str:
    return f"{source}: " if source else ""


def check_input_size(size: int, source: str | None = None) -> None:
    """Refuse an input of more than the `input` limit (in bytes)."""
    limit = current().input_bytes
    if size > limit:
        raise _exceeded(
            f"{_prefix(source)}larger than the input limit of {human_bytes(limit)}",
            "input_bytes",
            suggest_bytes(limit),
        )


def suggest_bytes(limit: int) -> str:
    """A raised value to suggest in a message: four times the limit, in MiB or GiB."""
    raised = limit * 4
    return f"{raised // (1 << 30)}GiB" if raised >= 1 << 30 else f"{max(1, raised // MiB)}MiB"


def read_bounded(stream: object, source: str | None = None) -> bytes:
    """Everything `stream` (a binary file object) holds, refused with `LimitError` past the input
    limit: at most limit + 1 bytes are ever read, so `/dev/zero` is refused at once."""
    wanted = current().input_bytes + 1
    data: bytes = stream.read(min(wanted, _READ_AT_ONCE))  # type: ignore[attr-defined]
    if wanted > _READ_AT_ONCE and len(data) == _READ_AT_ONCE:
        # A limit raised past a gibibyte: the rest in pieces, so that a small input never makes
        # Python allocate the whole limit.
        parts, size = [data], len(data)
        while size < wanted and (part := stream.read(min(wanted - size, _READ_AT_ONCE))):  # type: ignore[attr-defined]
            parts.append(part)
            size += len(part)
        data = b"".join(parts)
    check_input_size(len(data), source)
    return data


def check_unicode(text: str, source: str | None = None) -> None:
    """Refuse what no tokenizer, encoder or file can take: anything but a str (`UsageError`: the
    call is wrong, not the text) and a lone surrogate, as Python spells bytes of an argument or
    file name that are not UTF-8 (`InputError`). `source` prefixes the message when given.
    Checked where text enters (the command line's arguments, `check_text`, the tokenizers)."""
    prefix = _prefix(source)
    if not isinstance(text, str):
        raise UsageError(
            f"{prefix}expected text (a str), not {type(text).__name__}; "
            "decode bytes first (pixtok.io.decode_text)"
        )
    surrogate = None if text.isascii() else first_surrogate(text)
    if surrogate is not None:
        raise InputError(
            f"{prefix}character {surrogate + 1} is a lone surrogate "
            f"(U+{ord(text[surrogate]):04X}), which is not valid Unicode text"
        )


def check_text(text: str, source: str | None = None) -> None:
    """`check_unicode`, and refuse a line longer than the `line` limit."""
    check_unicode(text, source)
    prefix = _prefix(source)
    limit = current().line_chars
    if len(text) <= limit:
        return
    longest = longest_line(text)
    if longest > limit:
        raise _exceeded(
            f"{prefix}a line of {longest:,} characters is longer than the line limit of {limit:,}",
            "line_chars",
            f"{longest}",
        )


def first_surrogate(text: str) -> int | None:
    """The index of the first lone surrogate code point in `text`, or None."""
    try:
        text.encode("utf-8")  # refuses exactly the lone surrogates, the first one first
    except UnicodeEncodeError as error:
        return error.start
    return None


def printable(text: str) -> str:
    """`text` made valid Unicode for ids and messages: bytes smuggled in by surrogate escapes
    (undecodable file names) and lone surrogates are spelled as backslash escapes."""
    if first_surrogate(text) is None:
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


_LINE_BREAKS = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def longest_line(text: str) -> int:
    """The length in characters of the longest line (lines end at any Unicode line break)."""
    longest, start = 0, 0
    for match in _LINE_BREAKS.finditer(text):
        longest = max(longest, match.start() - start)
        start = match.end()
    return max(longest, len(text) - start)


def check_page_pixels(width: int, height: int) -> None:
    """Refuse a page of more pixels than the `page-pixels` limit (a usage error: the options ask
    for it)."""
    limit = current().page_pixels
    if width * height > limit:
        raise UsageError(
            f"a page of {width}x{height} px is larger than the page-pixels limit of {limit:,}; "
            f"raise it with `pixtok --limit page-pixels={width * height} ...` ({DOCS})"
        )


def check_image_pixels(width: int, height: int, source: str, what: str = "image") -> None:
    """Refuse an image (or an array of patches) of more pixels than the `image-pixels` limit,
    before it is decoded or allocated."""
    limit = current().image_pixels
    pixels = width * height
    if pixels > limit:
        article = "an" if what[:1].lower() in "aeiou" else "a"
        raise _exceeded(
            f"{source}: {article} {what} of {pixels:,} pixels "
            f"is larger than the image-pixels limit of {limit:,}",
            "image_pixels",
            f"{pixels}",
        )


_BRACKETS = np.frombuffer(b"[]{}", dtype=np.uint8)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in a JSON document (0 for a scalar), without parsing it."""
    if data.count(b"[") + data.count(b"{") == 0:
        return 0
    bare = np.frombuffer(_JSON_STRING.sub(b'""', data), dtype=np.uint8)
    brackets = bare[np.isin(bare, _BRACKETS)]  # only the brackets, so memory follows their count
    step = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1).astype(np.int32)
    return int(np.cumsum(step).max(initial=0))


def check_json_depth(data: bytes, source: str | None = None) -> None:
    """Refuse JSON nested deeper than the `json-depth` limit (a cheap scan, before parsing)."""
    limit = current().json_depth
    if data.count(b"[") + data.count(b"{") <= limit:
        return
    depth = json_depth(data)
    if depth > limit:
        raise _exceeded(
            f"{_prefix(source)}JSON nested {depth:,} deep, deeper than the json-depth limit of {limit}",
            "json_depth",
            f"{depth}",
        )


def capped_jobs(jobs: int) -> int:
    """`jobs`, at most the `jobs` limit (the usable cores unless raised)."""
    return min(jobs, current().jobs)
