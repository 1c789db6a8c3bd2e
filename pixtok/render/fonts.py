"""Fonts: find them (bundled family, file path, or the system through fontconfig), load them once,
and choose one per character through a fallback chain by coverage.

The bundled fonts live in `pixtok/fonts/` (see docs/fonts.md for files and licences). When no
font is asked for, characters of scripts with a dedicated bundled font (Arabic, Hebrew,
Devanagari, Bengali, Gurmukhi, Gujarati, Tamil, Telugu, Kannada, Malayalam, Thai, Lao, Khmer,
CJK, emoji) use it first, and everything else uses DejaVu Sans.

When no font of the chain has a character, fontconfig is asked for an installed font that has
it (`system_fonts`, on by default): the chain grows by that font, and the render summary lists
it with its path and checksum. fontconfig's own fallback order for sans-serif is read once per
process with its character sets, so a text full of unknown characters costs one `fc-match` call.

Emoji follow Unicode Technical Standard #51: a character whose default presentation is emoji
(Emoji_Presentation), or any emoji sequence (a pictograph with U+FE0F, a skin-tone modifier,
a ZWJ sequence, a keycap, a flag, a tag sequence) goes whole to the emoji face, so HarfBuzz
can form it into one glyph; U+FE0E asks for the text face.
"""

from __future__ import annotations

import bisect
import dataclasses
import errno
import functools
import hashlib
import os
import shutil
import stat
import struct
import subprocess
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import freetype
import numpy as np
import regex
import uharfbuzz as hb

from pixtok.errors import FontError
from pixtok.io import user_path

FONT_DIR = Path(__file__).resolve().parents[1] / "fonts"


@dataclass(frozen=True)
class BundledFont:
    """A font file shipped with pixtok."""

    family: str
    file: str
    scripts: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    #: False for a face whose spaces must not stand in for the text faces' (Noto Emoji's space is
    #: 1.27 em wide): the fallback chain then never picks it for a space.
    draws_spaces: bool = True

    @property
    def path(self) -> Path:
        return FONT_DIR / self.file


#: The bundled fonts in default fallback order.
BUNDLED: tuple[BundledFont, ...] = (
    BundledFont("DejaVu Sans", "DejaVuSans.ttf", aliases=("sans", "sans-serif", "dejavu")),
    BundledFont("DejaVu Sans Mono", "DejaVuSansMono.ttf", aliases=("mono", "monospace")),
    BundledFont("Noto Naskh Arabic", "NotoNaskhArabic-Regular.ttf", scripts=("arabic",)),
    BundledFont("Noto Sans Hebrew", "NotoSansHebrew-Regular.ttf", scripts=("hebrew",)),
    BundledFont("Noto Sans Devanagari", "NotoSansDevanagari-Regular.ttf", scripts=("devanagari",)),
    BundledFont("Noto Sans Thai", "NotoSansThai-Regular.ttf", scripts=("thai",), aliases=("thai",)),
    BundledFont("Noto Sans Lao", "NotoSansLao-Regular.ttf", scripts=("lao",), aliases=("lao",)),
    BundledFont("Noto Sans Khmer", "NotoSansKhmer-Regular.ttf", scripts=("khmer",), aliases=("khmer",)),
    BundledFont(
        "Noto Sans Bengali", "NotoSansBengali-Regular.ttf", scripts=("bengali",), aliases=("bengali",)
    ),
    BundledFont(
        "Noto Sans Gurmukhi", "NotoSansGurmukhi-Regular.ttf", scripts=("gurmukhi",), aliases=("gurmukhi",)
    ),
    BundledFont(
        "Noto Sans Gujarati", "NotoSansGujarati-Regular.ttf", scripts=("gujarati",), aliases=("gujarati",)
    ),
    BundledFont("Noto Sans Tamil", "NotoSansTamil-Regular.ttf", scripts=("tamil",), aliases=("tamil",)),
    BundledFont("Noto Sans Telugu", "NotoSansTelugu-Regular.ttf", scripts=("telugu",), aliases=("telugu",)),
    BundledFont(
        "Noto Sans Kannada", "NotoSansKannada-Regular.ttf", scripts=("kannada",), aliases=("kannada",)
    ),
    BundledFont(
        "Noto Sans Malayalam", "NotoSansMalayalam-Regular.ttf", scripts=("malayalam",), aliases=("malayalam",)
    ),
    BundledFont(
        "Noto Sans CJK", "NotoSansCJK-Han.otf", scripts=("cjk",), aliases=("cjk", "han", "noto sans cjk sc")
    ),
    BundledFont(
        "Noto Sans CJK Hangul",
        "NotoSansCJK-Hangul.otf",
        scripts=("hangul",),
        aliases=("hangul", "noto sans cjk kr"),
    ),
    # Last: its digits, '#', '*' and text-style symbols must not win over the text faces.
    BundledFont(
        "Noto Emoji", "NotoEmoji-Regular.ttf", scripts=("emoji",), aliases=("emoji",), draws_spaces=False
    ),
)

#: Families tried, in order, after the ones the user names (DejaVu Sans Mono only when asked for).
DEFAULT_FALLBACK: tuple[str, ...] = tuple(f.family for f in BUNDLED if f.family != "DejaVu Sans Mono")

# Code point ranges of the scripts that have a preferred bundled font.
_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0590, 0x05FF, "hebrew"),
    (0x0600, 0x06FF, "arabic"),
    (0x0750, 0x077F, "arabic"),
    (0x0870, 0x08FF, "arabic"),
    (0x0900, 0x097F, "devanagari"),
    (0x0980, 0x09FF, "bengali"),
    (0x0A00, 0x0A7F, "gurmukhi"),
    (0x0A80, 0x0AFF, "gujarati"),
    (0x0B80, 0x0BFF, "tamil"),
    (0x0C00, 0x0C7F, "telugu"),
    (0x0C80, 0x0CFF, "kannada"),
    (0x0D00, 0x0D7F, "malayalam"),
    (0x0E00, 0x0E7F, "thai"),
    (0x0E80, 0x0EFF, "lao"),
    (0x1100, 0x11FF, "cjk"),
    (0x1780, 0x17FF, "khmer"),
    (0x19E0, 0x19FF, "khmer"),
    (0x2E80, 0x2FDF, "cjk"),
    (0x3000, 0x303F, "cjk"),
    (0x3040, 0x31FF, "cjk"),
    (0x3200, 0x4DBF, "cjk"),
    (0x4E00, 0x9FFF, "cjk"),
    (0xA8E0, 0xA8FF, "devanagari"),
    (0xA960, 0xA97F, "cjk"),
    (0xAC00, 0xD7FF, "cjk"),
    (0xF900, 0xFAFF, "cjk"),
    (0xFB1D, 0xFB4F, "hebrew"),
    (0xFB50, 0xFDFF, "arabic"),
    (0xFE30, 0xFE4F, "cjk"),
    (0xFE70, 0xFEFF, "arabic"),
    (0xFF00, 0xFFEF, "cjk"),
    (0x20000, 0x3FFFF, "cjk"),
)


# Characters drawn as emoji by default (UTS #51 Emoji_Presentation: 😀, ⭐, 🇯 ...); those of
# text presentation (❤, ☺, ©, digits) become emoji only inside an emoji sequence.
_EMOJI_PRESENTATION = regex.compile(r"\p{Emoji_Presentation}")
# Emoji sequences (UTS #51 ED-14 to ED-17a, with modifiers and ZWJ elements), longest first.
_EMOJI_ELEMENT = r"\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F\u20E3?)?"
_EMOJI_SEQUENCE = regex.compile(
    r"[0-9#*]\uFE0F?\u20E3"
    r"|\p{Regional_Indicator}{2}"
    r"|\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F"
    rf"|{_EMOJI_ELEMENT}(?:\u200D{_EMOJI_ELEMENT})*"
)
_TEXT_PRESENTATION = "\ufe0e"


# Hangul syllables and jamo ship in their own file (the CJK fonts are split to keep each file
# under 5 MB); they still count as "cjk" for preferred_script.
_HANGUL_RANGES = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))


def preferred_script(codepoint: int) -> str | None:
    """The script class of a code point that has a dedicated bundled font, if any: arabic,
    hebrew, devanagari, bengali, gurmukhi, gujarati, tamil, telugu, kannada, malayalam, thai,
    lao, khmer, cjk (Han, kana, Hangul, CJK punctuation) or emoji."""
    for low, high, script in _SCRIPT_RANGES:
        if low <= codepoint <= high:
            return script
        if codepoint < low:
            break
    if codepoint >= 0x231A and _EMOJI_PRESENTATION.match(chr(codepoint)):
        return "emoji"
    return None


def font_script(codepoint: int) -> str | None:
    """The script whose bundled font draws this code point first: `preferred_script`, with
    Hangul set apart from the rest of CJK because it ships in a file of its own."""
    script = preferred_script(codepoint)
    if script == "cjk" and any(low <= codepoint <= high for low, high in _HANGUL_RANGES):
        return "hangul"
    return script


#: The `font_script` classes in the order of `bmp_font_scripts`' indices (0: no class).
FONT_SCRIPTS: tuple[str | None, ...] = (
    None,
    *dict.fromkeys(script for *_, script in _SCRIPT_RANGES),
    "hangul",
    "emoji",
)


@functools.cache
def bmp_font_scripts() -> np.ndarray:
    """`font_script` of every code point of the Basic Multilingual Plane, as an index into
    FONT_SCRIPTS: the table the compiled font choice reads (built from the same ranges)."""
    table = np.zeros(0x10000, dtype=np.uint8)
    for low, high, script in _SCRIPT_RANGES:
        if low < 0x10000:
            table[low : high + 1] = FONT_SCRIPTS.index(script)
    for low, high in _HANGUL_RANGES:
        table[low : high + 1] = FONT_SCRIPTS.index("hangul")
    unclassed = np.flatnonzero(table[0x231A:] == 0) + 0x231A
    candidates = "".join(map(chr, unclassed.tolist()))
    emoji = [unclassed[match.start()] for match in _EMOJI_PRESENTATION.finditer(candidates)]
    table[emoji] = FONT_SCRIPTS.index("emoji")
    return table


def emoji_sequences(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, as_emoji) of each emoji sequence in text: as_emoji is False for a lone
    text-presentation character or one followed by U+FE0E, which a text face draws."""
    found: list[tuple[int, int, bool]] = []
    for match in _EMOJI_SEQUENCE.finditer(text):
        start, end = match.span()
        sequence = match.group()
        if end < len(text) and text[end] == _TEXT_PRESENTATION:
            found.append((start, end + 1, False))
        elif end - start > 1:  # with U+FE0F, a modifier, ZWJ, a keycap mark, tags, or a flag
            found.append((start, end, True))
        else:
            found.append((start, end, bool(_EMOJI_PRESENTATION.match(sequence[0]))))
    return found


def needs_glyph(char: str, category: str | None = None) -> bool:
    """Whether a character must leave a glyph: controls and format characters (ZWJ, ZWNJ, marks of
    direction, variation selectors) shape to nothing, so a font lacking them is not 'missing' them.
    `category` is the character's general category, where the caller has it already."""
    category = category or unicodedata.category(char)
    if category in ("Cc", "Cf", "Zl", "Zp"):
        return False
    cp = ord(char)
    return not (0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF)


@dataclass(eq=False)
class Font:
    """A loaded font face: HarfBuzz for shaping and coverage, FreeType for rasterising."""

    path: Path
    family: str
    index: int = 0
    hb_face: hb.Face = field(repr=False, default=None)  # type: ignore[assignment]
    hb_font: hb.Font = field(repr=False, default=None)  # type: ignore[assignment]
    coverage: frozenset[int] = field(repr=False, default=frozenset())
    upem: int = 1000
    ascender: float = 0.8  # in em
    descender: float = 0.2  # in em, positive below the baseline
    #: Where the font came from: "bundled" (pixtok/fonts), "file" (a path the user gave),
    #: "system" (an installed family the user named) or "system fallback" (found by fontconfig
    #: for a character no other font of the chain has).
    origin: str = "file"

    @property
    def sha256(self) -> str:
        return _sha256(str(self.path))

    def describe(self) -> dict[str, str | int]:
        return {
            "family": self.family,
            "path": str(self.path),
            "index": self.index,
            "sha256": self.sha256,
            "origin": self.origin,
        }

    def freetype_face(self) -> freetype.Face:
        """A fresh FreeType face (each rasteriser keeps its own, sized as it needs)."""
        return freetype.Face(str(self.path), self.index)


@functools.lru_cache(maxsize=64)
def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_SFNT_VERSIONS = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"typ1")


def _check_font_file(path: Path) -> None:
    """Refuse, with a FontError that says why, what cannot be a font file: a missing path, a
    folder, a FIFO or device (reading one could block or never end), an empty file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FontError(f"{path}: font file not found") from None
    except OSError as exc:
        raise FontError(f"{path}: cannot read the font file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(info.st_mode):
        raise FontError(f"{path}: is a folder, not a font file")
    if not stat.S_ISREG(info.st_mode):
        raise FontError(f"{path}: not a regular file (a FIFO, device or socket cannot be a font)")
    if info.st_size == 0:
        raise FontError(f"{path}: the font file is empty")
    if not os.access(path, os.R_OK):
        raise FontError(f"{path}: cannot read the font file (permission denied)")


def _check_table_directory(path: Path, index: int) -> None:
    """A truncated OpenType/TrueType file opens in FreeType and HarfBuzz and then draws nothing
    for the glyphs past the cut: refuse it when a table of the face ends beyond the file."""
    size = path.stat().st_size
    with open(path, "rb") as stream:
        head = stream.read(12)
        offset = 0
        if head[:4] == b"ttcf" and len(head) >= 12:
            count = struct.unpack(">I", head[8:12])[0]
            if index >= count:
                raise FontError(f"{path}: the collection has {count} faces, no face {index}")
            stream.seek(12 + 4 * index)
            entry = stream.read(4)
            if len(entry) < 4:
                raise FontError(f"{path}: the font file is truncated (in the collection header)")
            offset = struct.unpack(">I", entry)[0]
            stream.seek(offset)
            head = stream.read(12)
        if head[:4] not in _SFNT_VERSIONS:
            return  # WOFF, Type 1 ...: FreeType and HarfBuzz judge these on their own
        if len(head) < 12:
            raise FontError(f"{path}: the font file is truncated (in the table directory)")
        tables = struct.unpack(">H", head[4:6])[0]
        directory = stream.read(16 * tables)
    if len(directory) < 16 * tables:
        raise FontError(f"{path}: the font file is truncated (in the table directory)")
    for k in range(tables):
        tag, _, start, length = struct.unpack(">4sIII", directory[16 * k : 16 * k + 16])
        if start + length > size:
            name = tag.decode("latin-1").strip()
            raise FontError(
                f"{path}: the font file is truncated (table '{name}' ends at byte {start + length:,}, "
                f"the file has {size:,})"
            )


@functools.lru_cache(maxsize=64)
def load_font(path: str, index: int = 0, family: str | None = None, origin: str = "file") -> Font:
    """Load a font file once per process; what cannot be a font (a folder, a FIFO, an empty,
    truncated or corrupt file, one with no glyphs) is a FontError."""
    p = Path(path)
    _check_font_file(p)
    _check_table_directory(p, index)
    try:
        ft_face = freetype.Face(str(p), index)
    except freetype.FT_Exception as exc:
        raise FontError(f"{p}: not a usable font file ({str(exc).strip()})") from None
    blob = hb.Blob.from_file_path(str(p))
    face = hb.Face(blob, index)
    coverage = frozenset(face.unicodes)
    if face.glyph_count <= 1 or not coverage:
        raise FontError(f"{p}: the font has no usable glyphs")
    font = hb.Font(face)  # scale = upem: shaping is done once in font units
    extents = font.get_font_extents("ltr")
    upem = face.upem
    name = family or (ft_face.family_name or b"").decode("utf-8", "replace") or p.stem
    return Font(
        path=p,
        family=name,
        index=index,
        hb_face=face,
        hb_font=font,
        coverage=coverage,
        upem=upem,
        ascender=extents.ascender / upem,
        descender=-extents.descender / upem,
        origin=origin,
    )


@functools.lru_cache(maxsize=8)
def _without_spaces(font: Font) -> Font:
    """The same face, with no white space in the coverage the fallback chain chooses by."""
    spaces = {cp for cp in font.coverage if chr(cp).isspace()}
    return dataclasses.replace(font, coverage=font.coverage - spaces)


def bundled_font(family: str) -> BundledFont | None:
    """The bundled font with this family name or alias (case-insensitive), if any."""
    key = family.strip().lower()
    for entry in BUNDLED:
        if key == entry.family.lower() or key in entry.aliases:
            return entry
    return None


def list_bundled() -> list[BundledFont]:
    """Bundled fonts whose files are present."""
    return [f for f in BUNDLED if f.path.is_file()]


def fontconfig_pattern(family: str) -> str:
    """A fontconfig pattern naming exactly this family: the characters that fontconfig's name
    syntax reads as size, property or list separators are escaped, so `Sans-Bold:style=x` stays
    a family name, and the pattern never starts with '-' (fc-match would read it as an option)."""
    return "".join("\\" + c if c in "\\-:,=" else c for c in family)


def _fontconfig(arguments: list[str], what: str) -> str:
    """Run an fc-* tool; every user string must come after '--' (see fontconfig_pattern)."""
    try:
        return subprocess.run(
            arguments,
            capture_output=True,
            encoding="utf-8",
            errors="surrogateescape",  # file names are bytes; keep them as the file system has them
            timeout=60,
            check=True,
            stdin=subprocess.DEVNULL,
        ).stdout
    except (subprocess.SubprocessError, OSError) as exc:
        raise FontError(f"{what}: fontconfig failed ({exc})") from None


def find_system_font(family: str) -> tuple[str, int]:
    """Ask fontconfig for a family; an approximate match (fontconfig always offers one) is refused."""
    if shutil.which("fc-match") is None:
        raise FontError(f"font {family!r} is not bundled and fontconfig (fc-match) is not installed")
    out = _fontconfig(
        ["fc-match", "--format=%{file}\n%{index}\n%{family}", "--", fontconfig_pattern(family)],
        f"looking up font {family!r}",
    )
    lines = out.split("\n")
    if len(lines) < 3 or not lines[0] or not lines[1].isdigit():
        raise FontError(f"font {family!r} not found")
    path, index, families = lines[0], int(lines[1]), lines[2]
    offered = [f.strip().lower() for f in families.split(",")]
    if family.strip().lower() not in offered:
        raise FontError(
            f"font family {family!r} not found (fontconfig offers {families.split(',')[0]!r}); "
            "give a bundled family, a file path, or an installed family"
        )
    return path, index


@dataclass(frozen=True)
class SystemFace:
    """An installed face in fontconfig's fallback order, with the code point ranges it covers."""

    path: str
    index: int
    family: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def has(self, codepoint: int) -> bool:
        k = bisect.bisect_right(self.starts, codepoint) - 1
        return k >= 0 and codepoint <= self.ends[k]


def _parse_charset(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """fontconfig's charset notation ('20-7e a0 ...', hex) as sorted range starts and ends."""
    starts: list[int] = []
    ends: list[int] = []
    for item in text.split():
        low, _, high = item.partition("-")
        starts.append(int(low, 16))
        ends.append(int(high or low, 16))
    return tuple(starts), tuple(ends)


#: The family whose fallback order the system lookup follows (as Pango does for sans text).
SYSTEM_FALLBACK_PATTERN = "sans-serif"


@functools.lru_cache(maxsize=1)
def system_fallback_faces() -> tuple[SystemFace, ...]:
    """Installed outline faces in fontconfig's fallback order for sans-serif, with their
    character sets; empty when fontconfig is absent or fails. One `fc-match --sort` call per
    process, whatever the number of characters looked up later. Colour and bitmap-only faces
    are left out: pixtok rasterises outlines."""
    if shutil.which("fc-match") is None:
        return ()
    fields = "%{file}\t%{index}\t%{family[0]}\t%{fontformat}\t%{color}\t%{outline}\t%{charset}\n"
    try:
        out = _fontconfig(
            ["fc-match", "--sort", f"--format={fields}", "--", SYSTEM_FALLBACK_PATTERN], "system fallback"
        )
    except FontError:
        return ()
    faces: list[SystemFace] = []
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) != 7 or not parts[1].isdigit():
            continue
        path, index, family, kind, color, outline, charset = parts
        if kind not in ("TrueType", "CFF") or color == "True" or outline == "False":
            continue
        starts, ends = _parse_charset(charset)
        faces.append(SystemFace(path, int(index), family, starts, ends))
    return tuple(faces)


_SYSTEM_CHOICE: dict[int, Font | None] = {}
# One Font per installed face, so the chain never holds the same face twice.
_SYSTEM_FONTS: dict[tuple[str, int], Font] = {}


def system_font_for(codepoint: int) -> Font | None:
    """The first installed face in fontconfig's fallback order that draws this code point
    (cached per process), or None."""
    if codepoint in _SYSTEM_CHOICE:
        return _SYSTEM_CHOICE[codepoint]
    found: Font | None = None
    for face in system_fallback_faces():
        if not face.has(codepoint):
            continue
        font = _SYSTEM_FONTS.get((face.path, face.index))
        if font is None:
            try:
                font = load_font(face.path, face.index, face.family, "system fallback")
            except FontError:
                continue
            _SYSTEM_FONTS[face.path, face.index] = font
        if codepoint in font.coverage:
            found = font
            break
    _SYSTEM_CHOICE[codepoint] = found
    return found


def resolve_font(spec: str) -> Font:
    """A font from a file path, a bundled family or alias, or an installed family (fontconfig)."""
    text = spec.strip()
    if not text:
        raise FontError("empty font name")
    looks_like_path = "/" in text or text.lower().endswith(
        (".ttf", ".otf", ".ttc", ".otc", ".woff", ".woff2")
    )
    if looks_like_path or os.path.isfile(text) or os.path.islink(text):
        try:
            path = user_path(text).resolve()
        except (RuntimeError, OSError) as exc:  # a symbolic link loop, an unreadable folder
            raise FontError(f"{text}: cannot resolve the font path ({_reason(exc)})") from None
        return load_font(str(path))
    entry = bundled_font(text)
    if entry is not None:
        if not entry.path.is_file():
            raise FontError(f"bundled font {entry.family!r} is missing from {FONT_DIR}; reinstall pixtok")
        return load_font(str(entry.path), 0, entry.family, "bundled")
    try:
        path, index = find_system_font(text)
    except FontError:
        if os.path.lexists(text):  # a folder or pipe under that name: say what it is
            return load_font(str(user_path(text)))
        raise
    return load_font(path, index, None, "system")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        return "a symbolic link loop"
    return getattr(exc, "strerror", None) or str(exc)


class FontChain:
    """An ordered list of fonts and the rule that picks one for each character.

    The user's fonts come first, then (with `fallback`) the bundled fonts, the script's own
    bundled font ahead of the others. With `system_fonts` too, a character that none of these
    has is looked up through fontconfig, and the font found is appended to the chain.
    """

    def __init__(
        self,
        fonts: Sequence[Font],
        preferred: dict[str, int] | None = None,
        user_count: int = 0,
        system_fonts: bool = False,
    ) -> None:
        if not fonts:
            raise FontError("no fonts to render with")
        self.fonts: list[Font] = list(fonts)
        self.user_count = user_count
        self.system_fonts = system_fonts
        self._preferred = preferred or {}
        self._choice: dict[str, int] = {}

    @classmethod
    def from_specs(cls, specs: Iterable[str], fallback: bool = True, system_fonts: bool = True) -> FontChain:
        """The user's fonts first, then (with `fallback`) the bundled chain, then (with
        `fallback` and `system_fonts`) installed fonts for characters none of those has."""
        fonts: list[Font] = []
        for spec in specs:
            font = resolve_font(spec)
            if font not in fonts:
                fonts.append(font)
        user_count = len(fonts)
        preferred: dict[str, int] = {}
        if fallback or not fonts:
            for entry in BUNDLED:
                if entry.family not in DEFAULT_FALLBACK or not entry.path.is_file():
                    continue
                font = load_font(str(entry.path), 0, entry.family, "bundled")
                if not entry.draws_spaces:
                    font = _without_spaces(font)
                if font not in fonts:
                    fonts.append(font)
                for script in entry.scripts:
                    preferred.setdefault(script, fonts.index(font))
        if not fonts:
            raise FontError("no fonts found: the bundled fonts are missing; reinstall pixtok")
        return cls(fonts, preferred, user_count, system_fonts=fallback and system_fonts)

    def font_index(self, char: str) -> int:
        """Index of the font that draws `char`, or -1 when no font in the chain has it (nor,
        with `system_fonts`, any installed font)."""
        found = self._choice.get(char)
        if found is not None:
            return found
        cp = ord(char)
        order: list[int] = list(range(self.user_count))
        script = font_script(cp)
        if script is not None and script in self._preferred:
            order.append(self._preferred[script])
        order.extend(range(len(self.fonts)))
        found = next((i for i in order if cp in self.fonts[i].coverage), -1)
        if found < 0 and self.system_fonts and needs_glyph(char) and not char.isspace():
            font = system_font_for(cp)
            if font is not None:
                if font not in self.fonts:
                    self.fonts.append(font)
                found = self.fonts.index(font)
        self._choice[char] = found
        return found

    def preferred_by_script(self) -> np.ndarray:
        """For each class of FONT_SCRIPTS, the index of the bundled font `font_index` tries
        after the user's fonts for a code point of that class (-1: none): with
        `bmp_font_scripts`, the chain's preference over the whole Basic Multilingual Plane."""
        return np.array([self._preferred.get(s, -1) if s else -1 for s in FONT_SCRIPTS], dtype=np.int32)

    def font_indices(self, text: str) -> list[int]:
        """Index of the font that draws each character of `text` (-1: none has it).

        As `font_index`, except that each emoji sequence goes to one font as a whole (the first
        of the user's fonts and then the emoji face that has its first character), so that
        HarfBuzz can form ZWJ sequences, modifiers, keycaps and flags into one glyph; and that a
        character followed by U+FE0E (text presentation) is drawn by a font other than the
        emoji face when one has it.
        """
        choice = self._choice
        for char in set(text).difference(choice):  # each distinct character is resolved once
            self.font_index(char)
        chosen = list(map(choice.__getitem__, text))
        emoji = self._preferred.get("emoji")
        if emoji is None:
            return chosen
        for start, end, as_emoji in emoji_sequences(text):
            cp = ord(text[start])
            if as_emoji:
                order = [*range(self.user_count), emoji]
            else:
                order = [i for i in range(len(self.fonts)) if i != emoji]
            found = next((i for i in order if cp in self.fonts[i].coverage), -1)
            if found >= 0:
                chosen[start:end] = [found] * (end - start)
        return chosen

    def coverage_report(self, text: str) -> dict[str, object]:
        """Which font draws how many characters of `text`, and which characters none can draw."""
        chosen = self.font_indices(text)  # first: system fallback may add fonts
        per_font = [0] * len(self.fonts)
        missing: dict[str, int] = {}
        for char, index in zip(text, chosen, strict=True):
            if not needs_glyph(char) or char.isspace():
                continue
            if index < 0:
                missing[char] = missing.get(char, 0) + 1
            else:
                per_font[index] += 1
        return {
            "fonts": [
                {**font.describe(), "chars": count} for font, count in zip(self.fonts, per_font, strict=True)
            ],
            "missing": {f"U+{ord(c):04X}": n for c, n in sorted(missing.items())},
            "missing_glyphs": sum(missing.values()),
        }
