"""Render configuration: one frozen dataclass, named presets, and unit parsing.

Lengths are kept as the user wrote them ("9pt", "16px", "a4") and resolved to pixels against
`dpi` only when rendering, so changing the dpi of a preset scales the whole page the way it
scales a printed page. A bare number is pixels, except for `line_height`, where a bare number
is a multiple of the font size (as in CSS).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from pixtok.errors import InputError, UsageError, show
from pixtok.io import check_path, load_json, load_toml, read_bytes
from pixtok.limits import check_page_pixels
from pixtok.render.language import normalize_language

Layout = Literal["page", "strip", "fit", "crop"]
Align = Literal["start", "left", "right", "center", "justify"]
ColorMode = Literal["L", "RGB", "1"]
Newlines = Literal["keep", "marker", "space"]

LAYOUTS: tuple[str, ...] = ("page", "strip", "fit", "crop")
ALIGNS: tuple[str, ...] = ("start", "left", "right", "center", "justify")
COLOR_MODES: tuple[str, ...] = ("L", "RGB", "1")
NEWLINE_MODES: tuple[str, ...] = ("keep", "marker", "space")

#: The largest page allocated by default (pixels, about 8192 x 8192): the `page-pixels` limit of
#: `pixtok.limits`, which `pixtok --limit page-pixels=N` raises.
MAX_PAGE_PIXELS = 1 << 26
#: Font sizes outside this range (pixels) are refused as mistakes.
MIN_FONT_PX, MAX_FONT_PX = 1.0, 2048.0
#: Line heights (the distance between baselines, in pixels) outside this range are refused: lines
#: less than a pixel apart draw over one another's rows (and a vanishing pitch would put
#: billions of lines on a page), and lines further apart than four of the largest fonts are a
#: mistake in the unit.
MIN_LINE_PX, MAX_LINE_PX = 1.0, 4 * MAX_FONT_PX
#: The longest side a page may have (pixels), whatever the `page-pixels` limit: a larger one is a
#: mistake in the unit (`1e9px`), not a page.
MAX_PAGE_SIDE = 1 << 24
#: The longest newline marker (characters): every newline of a text becomes one, so a long
#: marker multiplies the text (a 100,000-character marker on 10,000 newlines is a billion).
MAX_MARKER_CHARS = 64
#: Whole numbers beyond this magnitude are refused in any option: no option takes one (the
#: largest ranges are a few million), and Python cannot print one of more than 4300 digits.
_MAX_INT = 1 << 63

#: Paper sizes in PostScript points (1/72 inch), ISO 216 and US sizes.
PAPER_SIZES_PT: dict[str, tuple[float, float]] = {
    "a3": (842, 1191),
    "a4": (595, 842),
    "a5": (420, 595),
    "b4": (709, 1001),
    "b5": (499, 709),
    "letter": (612, 792),
    "legal": (612, 1008),
}

# A sign is read here and ranges are checked by Geometry.check: letter spacing may be negative
# (down to minus the font size), margins, sizes and indents may not. The number is any decimal
# that Python's float() reads, exponent included (`1e1`, `2.5E-1pt`), but not `inf` or `nan`.
_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?"
_LENGTH = re.compile(rf"^\s*({_NUMBER})\s*(px|pt|in|mm|cm)?\s*$", re.IGNORECASE)
_UNIT_TO_PT = {"pt": 1.0, "in": 72.0, "mm": 72.0 / 25.4, "cm": 72.0 / 2.54}


def length_to_px(value: float | int | str, dpi: float, what: str = "length") -> float:
    """Convert a length (`12`, `"12px"`, `"9pt"`, `"5mm"`, `"0.5in"`) to pixels at `dpi`."""
    if isinstance(value, (bool, np.bool_)):
        raise UsageError(f"{what}: expected a length such as 12px or 9pt, got {show(value)}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        number, unit = _float(value), "px"
    else:
        match = _LENGTH.match(str(value))
        if not match:
            raise UsageError(f"{what}: expected a length such as 12px, 9pt or 1e1, got {show(value)}")
        number, unit = float(match.group(1)), (match.group(2) or "px").lower()
    pixels = number if unit == "px" else number * _UNIT_TO_PT[unit] * dpi / 72.0
    if not math.isfinite(pixels):
        raise UsageError(f"{what}: {show(value)} is too large a length to be used")
    return pixels


def _float(value: Any) -> float:
    """`value` as a float; infinity when it is a whole number too large for one (a range check
    then refuses it, instead of an OverflowError)."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)


def parse_page(value: str, dpi: float) -> tuple[int, int]:
    """Page size in pixels from `WxH`, a single number (a square), or a paper name at `dpi`."""
    text = str(value).strip().lower()
    if text in PAPER_SIZES_PT:
        w_pt, h_pt = PAPER_SIZES_PT[text]
        return round(w_pt * dpi / 72.0), round(h_pt * dpi / 72.0)
    parts = re.split(r"\s*[x×,]\s*", text)
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2:
        raise UsageError(
            f"--page: expected WxH, a number or one of {', '.join(PAPER_SIZES_PT)}; got {show(value)}"
        )
    w, h = (length_to_px(p, dpi, "--page") for p in parts)
    if max(abs(w), abs(h)) > MAX_PAGE_SIDE:
        raise UsageError(
            f"--page: each side must be at most {MAX_PAGE_SIDE:,} px, got {w:g}x{h:g} px from {show(value)}"
        )
    return round(w), round(h)


NEGATIVE_MARGIN = "--margin: margins cannot be negative"


def parse_margin(value: str | float | int | tuple[Any, ...], dpi: float) -> tuple[float, float, float, float]:
    """Margins (top, right, bottom, left) in pixels from one, two or four values, CSS order."""
    if isinstance(value, (tuple, list)):
        parts = list(value)
    else:
        parts = [p for p in re.split(r"[,\s]+", str(value).strip()) if p]
    if len(parts) == 1:
        parts = parts * 4
    elif len(parts) == 2:
        parts = [parts[0], parts[1], parts[0], parts[1]]
    if len(parts) != 4:
        raise UsageError(
            f"--margin: give one, two or four lengths (top,right,bottom,left); got {show(value)}"
        )
    values = tuple(length_to_px(p, dpi, "--margin") for p in parts)
    if min(values) < 0:
        raise UsageError(NEGATIVE_MARGIN)
    return values  # type: ignore[return-value]


def parse_color(value: str | int | tuple[int, ...]) -> tuple[int, int, int]:
    """A colour from a grey level (0-255), `#rgb`, `#rrggbb`, or a few names."""
    names = {"black": (0, 0, 0), "white": (255, 255, 255), "red": (255, 0, 0), "blue": (0, 0, 255)}
    if isinstance(value, int) and not isinstance(value, bool):
        grey = value
    elif isinstance(value, (tuple, list)) and len(value) == 3:
        rgb = tuple(c if isinstance(c, int) and not isinstance(c, bool) else -1 for c in value)
        if all(0 <= c <= 255 for c in rgb):
            return rgb  # type: ignore[return-value]
        raise UsageError(f"colour {show(value)}: components must be 0-255")
    else:
        text = str(value).strip().lower()
        if text in names:
            return names[text]
        if re.fullmatch(r"#[0-9a-f]{6}", text):
            return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))
        if re.fullmatch(r"#[0-9a-f]{3}", text):
            return tuple(int(c * 2, 16) for c in text[1:])  # type: ignore[return-value]
        if not text.isdigit():
            raise UsageError(f"colour {show(value)}: use a grey level 0-255, #rrggbb or black/white")
        grey = int(text)
    if not 0 <= grey <= 255:
        raise UsageError(f"colour {show(value)}: grey level must be 0-255")
    return (grey, grey, grey)


@dataclass(frozen=True)
class RenderConfig:
    """Everything that decides how text becomes pixels. Frozen: derive variants with `replace`.

    The defaults are the `glyph` preset's values (Glyph, arXiv 2510.17800: A4 at 72 dpi, 9 pt
    text on 10 pt lines, 10 pt margins, left aligned, cropped), the one set-up every command
    renders with unless told otherwise, so `RenderConfig()` draws the pages `pixtok render`,
    `pixtok compare` and `pixtok ocr` draw by default.
    """

    layout: Layout = "crop"
    page: str = "a4"
    dpi: float = 72.0
    size: str = "9pt"
    line_height: str = "10pt"
    margin: str = "10pt"
    align: Align = "left"
    indent: str = "0px"
    letter_spacing: str = "0px"
    hscale: float = 1.0
    fonts: tuple[str, ...] = ()
    fallback: bool = True
    system_fonts: bool = True
    foreground: str = "#000000"
    background: str = "#ffffff"
    color_mode: ColorMode = "L"
    newlines: Newlines = "keep"
    newline_marker: str = "↵"
    tab_size: int | str = 4
    lang: str | None = None
    strip_height: int = 16
    strip_patches: int = 529
    patch_size: int = 16
    fit_min_size: str = "4px"
    preset: str | None = field(default=None, compare=False)

    def __new__(cls, *args: Any, **kwargs: Any) -> RenderConfig:
        """Refuse an unknown option name (`RenderConfig(bogus=1)`, `render(text, bogus=1)`,
        `config.replace(bogus=1)`) with the UsageError `from_dict` gives, naming the valid ones,
        rather than the TypeError the generated `__init__` would raise."""
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(kwargs) - set(names))
        if unknown:
            raise UsageError(
                f"unknown render option(s) {', '.join(unknown)}; valid: {', '.join(sorted(names))}"
            )
        if len(args) > len(names):
            raise UsageError(f"RenderConfig takes at most {len(names)} options, got {len(args)} positional")
        twice = sorted(name for name in names[: len(args)] if name in kwargs)
        if twice:
            raise UsageError(f"render option(s) {', '.join(twice)} given twice")
        return super().__new__(cls)

    def __post_init__(self) -> None:
        # Normalise the types that files and flags may give loosely, then validate early.
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if isinstance(value, np.generic):  # numpy scalars count as the Python numbers they hold
                object.__setattr__(self, item.name, value.item())
        _check_types(self)
        if isinstance(self.fonts, (str, list)):
            object.__setattr__(
                self, "fonts", (self.fonts,) if isinstance(self.fonts, str) else tuple(self.fonts)
            )
        for name in ("size", "line_height", "margin", "indent", "letter_spacing", "page", "fit_min_size"):
            value = getattr(self, name)
            if isinstance(value, (list, tuple)):
                object.__setattr__(self, name, ",".join(str(v) for v in value))
            elif not isinstance(value, str):
                object.__setattr__(self, name, str(value))
        for name in ("foreground", "background"):
            value = getattr(self, name)
            if not isinstance(value, str):
                object.__setattr__(self, name, str(value))
        if isinstance(self.tab_size, str) and self.tab_size.strip().isdigit():
            digits = self.tab_size.strip().lstrip("0") or "0"
            if len(digits) > 18:  # out of range, and maybe more digits than int() reads
                raise UsageError(f"--tab-size must be between 1 and 64 spaces, got {len(digits)} digits")
            object.__setattr__(self, "tab_size", int(digits))
        if self.lang is not None:
            object.__setattr__(
                self, "lang", normalize_language(self.lang) if str(self.lang).strip() else None
            )
        self.validate()

    # -- validation -------------------------------------------------------------------------

    def validate(self) -> None:
        """Raise UsageError for values that cannot make a page."""
        _choice("layout", self.layout, LAYOUTS)
        _choice("align", self.align, ALIGNS)
        _choice("color_mode", self.color_mode, COLOR_MODES)
        _choice("newlines", self.newlines, NEWLINE_MODES)
        # Comparisons only: a whole number too large for a float is refused, not an OverflowError.
        if not (isinstance(self.dpi, (int, float)) and 1 <= self.dpi <= 2400):
            raise UsageError(f"--dpi must be between 1 and 2400, got {show(self.dpi)}")
        if not 0.1 <= self.hscale <= 10:
            raise UsageError(
                f"--hscale: horizontal scale must be between 0.1 and 10, got {show(self.hscale)}"
            )
        if isinstance(self.tab_size, bool) or not isinstance(self.tab_size, (int, str)):
            raise UsageError(f"tab size must be a number of spaces or a length, got {show(self.tab_size)}")
        if isinstance(self.tab_size, int) and not 1 <= self.tab_size <= 64:
            raise UsageError(f"--tab-size must be between 1 and 64 spaces, got {show(self.tab_size)}")
        if isinstance(self.tab_size, str) and not length_to_px(self.tab_size, 72.0, "--tab-size") > 0:
            raise UsageError(f"--tab-size must be a positive length, got {show(self.tab_size)}")
        if not self.newline_marker:
            raise UsageError("the newline marker cannot be empty")
        if len(self.newline_marker) > MAX_MARKER_CHARS:
            raise UsageError(
                f"the newline marker must be at most {MAX_MARKER_CHARS} characters, "
                f"not {len(self.newline_marker):,}"
            )
        for font in self.fonts:
            check_path(font, "--font")  # names go to fontconfig, paths to the file system
        if not 1 <= self.strip_height <= 1024 or not 1 <= self.strip_patches <= 100_000:
            raise UsageError(
                "strip height must be 1-1024 px and strip patches 1-100000, got "
                f"{show(self.strip_height)} and {show(self.strip_patches)}"
            )
        if not 1 <= self.patch_size <= 1024:
            raise UsageError(f"patch size must be 1-1024 px, got {show(self.patch_size)}")
        parse_color(self.foreground)
        parse_color(self.background)
        geometry = self.geometry()
        geometry.check()

    def geometry(self) -> Geometry:
        """Resolve every length to pixels at this config's dpi."""
        dpi = float(self.dpi)
        size = length_to_px(self.size, dpi, "--size")
        margins = parse_margin(self.margin, dpi)  # checked in every layout, as every option is
        if self.layout == "strip":
            width, height = self.strip_patches * self.patch_size, self.strip_height
            margins = (0.0, 0.0, 0.0, 0.0)  # a strip is text edge to edge
        else:
            width, height = parse_page(self.page, dpi)
        line_height = _line_height_px(self.line_height, size, dpi)
        if self.layout == "strip":
            line_height = float(self.strip_height)
        return Geometry(
            width=width,
            height=height,
            size=size,
            line_height=line_height,
            margins=margins,
            indent=length_to_px(self.indent, dpi, "--indent"),
            tab_px=None if isinstance(self.tab_size, int) else length_to_px(self.tab_size, dpi, "--tab-size"),
            letter_spacing=length_to_px(self.letter_spacing, dpi, "--letter-spacing"),
            fit_min_size=length_to_px(self.fit_min_size, dpi, "fit minimum size"),
        )

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> RenderConfig:
        """A named published set-up (see `PRESETS`), with optional overrides."""
        if not isinstance(name, str):
            raise UsageError(
                f"a render preset is named by text, one of {', '.join(PRESETS)}; got {show(name)}"
            )
        key = name.strip().lower()
        if key not in PRESETS:
            raise UsageError(f"unknown render preset {show(name)}; choose one of: {', '.join(PRESETS)}")
        values = {**PRESETS[key].values, **overrides, "preset": key}
        return cls.from_dict(values)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> RenderConfig:
        """Build from a mapping (TOML/JSON); unknown keys are an error naming the valid ones.

        A `preset` key starts from that preset, and the other keys override it.
        """
        if not isinstance(values, Mapping):
            raise UsageError(
                f"render options must be a mapping of option names to values, not {show(values)}"
            )
        known = {f.name for f in dataclasses.fields(cls)}
        names = [k for k in values if not isinstance(k, str)]
        if names:
            raise UsageError(f"render option names must be text, not {show(names[0])}")
        data = {k.replace("-", "_"): v for k, v in values.items()}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                f"unknown render option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
            )
        preset = data.get("preset")
        if preset:
            if not isinstance(preset, str):
                raise UsageError(f"render option preset must be text, not {show(preset)}")
            key = preset.strip().lower()
            if key not in PRESETS:
                raise UsageError(f"unknown render preset {show(preset)}; choose one of: {', '.join(PRESETS)}")
            data = {**PRESETS[key].values, **data, "preset": key}
        try:
            return cls(**data)
        except TypeError as exc:
            raise UsageError(f"invalid render options: {exc}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> RenderConfig:
        """Load a TOML or JSON file (a `[render]` table in TOML is accepted too)."""
        return cls.from_dict(read_config_file(path))

    def replace(self, **changes: Any) -> RenderConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Every option, JSON-ready, in field order."""
        data = dataclasses.asdict(self)
        data["fonts"] = list(self.fonts)
        return data


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The options a TOML or JSON config file sets, as written (no defaults filled in), checked
    against the known option names."""
    p = Path(path)
    raw = read_bytes(p)
    kind = "JSON" if p.suffix.lower() == ".json" else "TOML"
    try:
        data = load_json(raw, str(p)) if kind == "JSON" else load_toml(raw.decode("utf-8"), str(p))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid {kind}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("render"), dict):
        data = data["render"]
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a table of render options")
    values = {str(k).replace("-", "_"): v for k, v in data.items()}
    known = {f.name for f in dataclasses.fields(RenderConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise UsageError(
            f"{p}: unknown render option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}"
        )
    return values


@dataclass(frozen=True)
class Geometry:
    """A config's lengths resolved to pixels."""

    width: int
    height: int
    size: float
    line_height: float
    margins: tuple[float, float, float, float]
    indent: float
    letter_spacing: float
    fit_min_size: float
    tab_px: float | None = None  # tab stops every this many px (None: every `tab_size` spaces)

    def __hash__(self) -> int:
        """Made once: the layout's caches (`layout.page_rows`) look a geometry up for every text."""
        known = self.__dict__.get("_hash")
        if known is None:
            known = hash(tuple(getattr(self, f.name) for f in dataclasses.fields(self)))
            object.__setattr__(self, "_hash", known)
        return known

    @property
    def text_width(self) -> float:
        return self.width - self.margins[1] - self.margins[3]

    @property
    def text_height(self) -> float:
        return self.height - self.margins[0] - self.margins[2]

    def check(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise UsageError(f"--page: page size must be positive, got {self.width}x{self.height} px")
        check_page_pixels(self.width, self.height)
        if not MIN_FONT_PX <= self.size <= MAX_FONT_PX:
            raise UsageError(
                f"--size: font size must be between {MIN_FONT_PX:g} and {MAX_FONT_PX:g} px, got {self.size:g}"
            )
        if not MIN_LINE_PX <= self.line_height <= MAX_LINE_PX:
            raise UsageError(
                f"--line-height: lines must be {MIN_LINE_PX:g} to {MAX_LINE_PX:g} px apart, got "
                f"{self.line_height:g} px (a bare number is a multiple of the {self.size:g} px size)"
            )
        if min(self.margins) < 0:
            raise UsageError(NEGATIVE_MARGIN)
        if self.text_width <= 0 or self.text_height <= 0:
            raise UsageError(
                f"margins {tuple(round(m, 1) for m in self.margins)} leave no room on a "
                f"{self.width}x{self.height} px page"
            )
        if self.letter_spacing < -self.size or self.letter_spacing > 4 * self.size:
            raise UsageError(
                f"--letter-spacing: {self.letter_spacing:g} px is out of range for size {self.size:g} px "
                "(from minus the size to four times it)"
            )
        if self.indent < 0 or self.indent >= self.text_width:
            raise UsageError("--indent: the indent must be non-negative and narrower than the text area")
        if self.fit_min_size < MIN_FONT_PX:
            raise UsageError("the smallest size fit may try must be at least 1 px")


#: The types each annotation accepts from a file or a mapping, and how to name them; a union
#: (`int | str`) accepts each of its members, and any other annotation (a Literal choice) text.
_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "int": ((int,), "a whole number"),
    "float": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "str": ((str,), "text"),
    "None": ((type(None),), "nothing"),
    "tuple[str, ...]": ((str, list, tuple), "a font name or a list of them"),
}
#: Lengths and colours may also be written as numbers or lists (`margin = [10, 20]`).
_LOOSE = ((str, int, float, list, tuple), "text, a number or a list")
_LOOSE_FIELDS = ("size", "line_height", "margin", "indent", "letter_spacing", "page", "fit_min_size")


def _accepted(annotation: str) -> tuple[tuple[type, ...], str]:
    members = [_TYPES.get(part.strip(), _TYPES["str"]) for part in annotation.split(" | ")]
    names = [name for _, name in members if name != "nothing"]
    return tuple(t for types, _ in members for t in types), " or ".join(names) or "nothing"


def _check_types(config: RenderConfig) -> None:
    """Refuse a value of the wrong type (`tab_size = "four"`, `fonts = 5`) with a UsageError
    naming the option, before any arithmetic meets it."""
    for item in dataclasses.fields(config):
        value = getattr(config, item.name)
        loose = item.name in _LOOSE_FIELDS or item.name in ("foreground", "background")
        types, wanted = _LOOSE if loose else _accepted(str(item.type))
        ok = isinstance(value, types) and (bool in types or not isinstance(value, bool))
        if ok and item.name == "fonts" and not isinstance(value, str):
            ok = all(isinstance(font, str) for font in value)
        if ok and isinstance(value, float) and not math.isfinite(value):
            ok, wanted = False, "a finite number"
        if ok and isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _MAX_INT:
            ok, wanted = False, _RANGES.get(item.name, "a number below 2**63")
        if not ok:
            raise UsageError(f"render option {item.name} must be {wanted}, not {show(value)}")


#: The accepted range of each numeric option, as the message for a far larger number states it.
_RANGES = {
    "dpi": "between 1 and 2400",
    "hscale": "between 0.1 and 10",
    "size": f"a font size between {MIN_FONT_PX:g} and {MAX_FONT_PX:g} px",
    "line_height": f"a line height of {MIN_LINE_PX:g} to {MAX_LINE_PX:g} px",
    "tab_size": "between 1 and 64 spaces",
    "strip_height": "between 1 and 1024 px",
    "strip_patches": "between 1 and 100000",
    "patch_size": "between 1 and 1024 px",
}


def _line_height_px(value: str, size: float, dpi: float) -> float:
    text = str(value).strip()
    try:
        factor = float(text)
    except ValueError:
        return length_to_px(text, dpi, "--line-height")
    if not math.isfinite(factor) or factor <= 0:
        raise UsageError(f"--line-height must be positive, got {show(value)}")
    return factor * size  # its range is Geometry.check's


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UsageError(f"{name} must be one of {', '.join(allowed)}; got {show(value)}")


@dataclass(frozen=True)
class Preset:
    """A named render set-up and where its numbers come from."""

    name: str
    description: str
    source: str
    values: Mapping[str, Any]


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            name="glyph",
            description="A4 at 72 dpi, 9 pt sans, 10 pt lines, 10 pt margins, left aligned, auto-cropped",
            source="Glyph (arXiv 2510.17800): the best rendering configuration its search reports",
            values={
                "layout": "crop",
                "page": "a4",
                "dpi": 72.0,
                "size": "9pt",
                "line_height": "10pt",
                "margin": "10pt",
                "align": "left",
            },
        ),
        Preset(
            name="pixel",
            description="PIXEL strips: 16 px high, 529 patches of 16 px, 8 pt at 120 dpi, black end patch",
            source="PIXEL (Rust et al., ICLR 2023, arXiv 2207.06991): its text renderer settings",
            values={
                "layout": "strip",
                "dpi": 120.0,
                "size": "8pt",
                "strip_height": 16,
                "strip_patches": 529,
                "patch_size": 16,
                "newlines": "space",
                "align": "left",
            },
        ),
        Preset(
            name="page-1024",
            description="1024 x 1024 px pages, 16 px text, 1.2 line height, 16 px margins",
            source="DeepSeek-OCR (arXiv 2510.18234): the Base mode input of 1024 x 1024 px",
            values={
                "layout": "page",
                "page": "1024x1024",
                "dpi": 72.0,
                "size": "16px",
                "line_height": "1.2",
                "margin": "16px",
                "align": "start",
            },
        ),
    )
}
