"""Options shared by every command that renders: declared once here, used by render, compare,
ocr, sweep and the corpus commands, so a flag means the same thing everywhere."""

from __future__ import annotations

import contextlib
import functools
import glob
import inspect
import os
import re
import shlex
import sys
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from pixtok.compare import DEFAULT_TOKENIZERS
from pixtok.corpus.inputs import LITERAL_TEXT_ID, Input, TextInput
from pixtok.errors import InputError, UsageError
from pixtok.io import STDIO as STDIN
from pixtok.io import note_input, shorten, unreachable
from pixtok.limits import check_text, first_surrogate, printable
from pixtok.measure.ocr import ENGINE_NAMES
from pixtok.measure.vlm import (
    DEFAULT_API_KEY_ENV,
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_TOKENS,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    ServerOptions,
    default_cache_dir,
)
from pixtok.render.config import RenderConfig, read_config_file

RENDER = "Render options"
OUTPUT = "Output"

Preset = Annotated[
    str | None,
    typer.Option(
        "--preset", help="Start from a named set-up (see `pixtok presets`).", rich_help_panel=RENDER
    ),
]
ConfigFile = Annotated[
    Path | None, typer.Option("--config", help="TOML or JSON file of render options.", rich_help_panel=RENDER)
]
Layout = Annotated[
    str | None, typer.Option("--layout", help="page, strip, fit or crop.", rich_help_panel=RENDER)
]
Font = Annotated[
    list[str] | None,
    typer.Option(
        "--font", help="Family, file or installed font; repeat for a fallback chain.", rich_help_panel=RENDER
    ),
]
Size = Annotated[
    str | None, typer.Option("--size", help="Font size: px, or with a unit (9pt).", rich_help_panel=RENDER)
]
Dpi = Annotated[
    float | None,
    typer.Option("--dpi", help="Resolution for pt/mm/in lengths and paper sizes.", rich_help_panel=RENDER),
]
Page = Annotated[
    str | None,
    typer.Option(
        "--page", help="WxH in px, a square size, or a paper name (a4, letter...).", rich_help_panel=RENDER
    ),
]
Margin = Annotated[
    str | None,
    typer.Option(
        "--margin", help="One, two or four lengths (top,right,bottom,left).", rich_help_panel=RENDER
    ),
]
LineHeight = Annotated[
    str | None,
    typer.Option(
        "--line-height", help="A multiple of the size (1.2) or a length (10pt).", rich_help_panel=RENDER
    ),
]
Align = Annotated[
    str | None, typer.Option("--align", help="start, left, right, center or justify.", rich_help_panel=RENDER)
]
Indent = Annotated[
    str | None, typer.Option("--indent", help="First-line indent (a length).", rich_help_panel=RENDER)
]
LetterSpacing = Annotated[
    str | None,
    typer.Option("--letter-spacing", help="Extra space after each character.", rich_help_panel=RENDER),
]
HScale = Annotated[
    float | None,
    typer.Option("--hscale", help="Horizontal scale of glyphs (0.75 narrows).", rich_help_panel=RENDER),
]
Foreground = Annotated[
    str | None,
    typer.Option("--foreground", help="Text colour: grey 0-255 or #rrggbb.", rich_help_panel=RENDER),
]
Background = Annotated[
    str | None,
    typer.Option("--background", help="Page colour: grey 0-255 or #rrggbb.", rich_help_panel=RENDER),
]
ColorMode = Annotated[
    str | None, typer.Option("--color-mode", help="L (8-bit grey), RGB or 1 (1-bit).", rich_help_panel=RENDER)
]
Newlines = Annotated[
    str | None,
    typer.Option("--newlines", help="keep, space, or marker (a visible mark).", rich_help_panel=RENDER),
]
Lang = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of the text (BCP 47: ja, zh-Hans, zh-Hant, ko, th); inferred when absent.",
        rich_help_panel=RENDER,
    ),
]
TabSize = Annotated[
    str | None,
    typer.Option(
        "--tab-size", help="Tab stops every N spaces (4) or every length (48px).", rich_help_panel=RENDER
    ),
]
NoFallback = Annotated[
    bool, typer.Option("--no-fallback", help="Use only the fonts given with --font.", rich_help_panel=RENDER)
]
NoSystemFonts = Annotated[
    bool,
    typer.Option(
        "--no-system-fonts",
        help="Never ask fontconfig for an installed font when no bundled font has a character.",
        rich_help_panel=RENDER,
    ),
]
ERROR_MODES = ("strict", "replace")


def _check_errors(value: str) -> str:
    if value not in ERROR_MODES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(ERROR_MODES)}")
    return value


Errors = Annotated[
    str,
    typer.Option(
        "--errors",
        help="strict: invalid UTF-8 is an error; replace: use U+FFFD.",
        rich_help_panel=RENDER,
        callback=_check_errors,
    ),
]

Tokenizers = Annotated[
    list[str] | None,
    typer.Option(
        "--tokenizer", "-t", help=f"Comma list of tokenizers (default: {','.join(DEFAULT_TOKENIZERS)})."
    ),
]

EncoderFiles = Annotated[
    list[Path] | None,
    typer.Option(
        "--encoders",
        help="TOML/JSON file of encoder definitions, loaded before -e is read (docs/encoders.md); "
        "repeatable.",
    ),
]


def load_encoder_files(files: list[Path] | None) -> None:
    """Register the presets of every --encoders file, so that -e can name them.

    Every command that takes -e calls this before it resolves encoder names. Files named by
    $PIXTOK_ENCODERS are read by the registry itself.
    """
    from pixtok.encoders import load_encoders

    for path in files or []:
        load_encoders(path)


OCR = "OCR"
OcrEngine = Annotated[
    str,
    typer.Option(
        "--ocr-engine",
        help=f"{', '.join(ENGINE_NAMES)}: auto uses RapidOCR for Latin and Chinese, Tesseract otherwise; "
        "openai asks the model at --ocr-url.",
        rich_help_panel=OCR,
    ),
]
OcrLang = Annotated[
    str | None,
    typer.Option(
        "--ocr-lang",
        help="Script (latin, han, japanese, cyrillic, persian...) or Tesseract codes (rus+eng); "
        "from --lang, else detected from the text, when absent.",
        rich_help_panel=OCR,
    ),
]
OcrUrl = Annotated[
    str | None,
    typer.Option(
        "--ocr-url",
        help="Base URL of an OpenAI-compatible server (http://gpu-box:8000/v1): read pages with its "
        "vision-language model (implies --ocr-engine openai).",
        rich_help_panel=OCR,
    ),
]
OcrModel = Annotated[
    str | None,
    typer.Option(
        "--ocr-model",
        help="The model's name on the server (deepseek-ai/DeepSeek-OCR...).",
        rich_help_panel=OCR,
    ),
]
OcrPrompt = Annotated[
    str | None,
    typer.Option(
        "--ocr-prompt",
        help="Text sent with each page (default: the model family's own OCR prompt).",
        rich_help_panel=OCR,
    ),
]
OcrApiKeyEnv = Annotated[
    str,
    typer.Option(
        "--ocr-api-key-env",
        help="Environment variable holding the server's API key (never printed or written).",
        rich_help_panel=OCR,
    ),
]
OcrConcurrency = Annotated[
    int, typer.Option("--ocr-concurrency", help="Requests in flight at once.", rich_help_panel=OCR)
]
OcrTimeout = Annotated[
    float, typer.Option("--ocr-timeout", help="Seconds to wait for one answer.", rich_help_panel=OCR)
]
OcrRetries = Annotated[
    int,
    typer.Option(
        "--ocr-retries",
        help="Retries on 429, 5xx, timeouts and dropped connections (backoff, Retry-After honoured).",
        rich_help_panel=OCR,
    ),
]
OcrMaxTokens = Annotated[
    int, typer.Option("--ocr-max-tokens", help="Longest answer the model may give.", rich_help_panel=OCR)
]
OcrEncoder = Annotated[
    str | None,
    typer.Option(
        "--ocr-encoder",
        help="Vision preset checked against the server's prompt_tokens (default: from the model name).",
        rich_help_panel=OCR,
    ),
]
OcrCache = Annotated[
    Path | None,
    typer.Option(
        "--ocr-cache",
        help="Folder of cached answers (default: $XDG_CACHE_HOME/pixtok/ocr).",
        rich_help_panel=OCR,
        show_default=False,
    ),
]
NoOcrCache = Annotated[
    bool, typer.Option("--no-ocr-cache", help="Neither read nor write cached answers.", rich_help_panel=OCR)
]
OcrMaxPages = Annotated[
    int | None,
    typer.Option(
        "--max-pages", help="Read only the first N pages (totals cover those).", rich_help_panel=OCR
    ),
]

OneInput = Annotated[
    str | None,
    typer.Argument(
        metavar="INPUT|TEXT|-",
        help="A text file, '-' for stdin, or literal text (an argument that is no path).",
        show_default=False,
    ),
]
Texts = Annotated[
    list[str] | None,
    typer.Option(
        "--text",
        help="Literal text to read, whatever it looks like (repeatable); INPUT arguments that are "
        "not paths are read as text too.",
        show_default=False,
    ),
]
Output = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        help="Write the records to FILE (format: the flag, else the extension .json/.jsonl/.csv, "
        "else JSON Lines); stdout then shows the total. '-' is stdout.",
        rich_help_panel=OUTPUT,
    ),
]

Json = Annotated[bool, typer.Option("--json", help="One JSON document.", rich_help_panel=OUTPUT)]
Jsonl = Annotated[
    bool,
    typer.Option("--jsonl", help="One JSON record per line (default when piped).", rich_help_panel=OUTPUT),
]
Csv = Annotated[bool, typer.Option("--csv", help="CSV with dotted column names.", rich_help_panel=OUTPUT)]

_FLAG_FIELDS = {
    "layout": "layout",
    "font": "fonts",
    "size": "size",
    "dpi": "dpi",
    "page": "page",
    "margin": "margin",
    "line_height": "line_height",
    "align": "align",
    "indent": "indent",
    "letter_spacing": "letter_spacing",
    "hscale": "hscale",
    "foreground": "foreground",
    "background": "background",
    "color_mode": "color_mode",
    "newlines": "newlines",
    "lang": "lang",
    "tab_size": "tab_size",
}


_RENDER_FLAGS: tuple[tuple[str, Any, Any], ...] = (
    ("preset", Preset, None),
    ("config", ConfigFile, None),
    ("layout", Layout, None),
    ("font", Font, None),
    ("size", Size, None),
    ("dpi", Dpi, None),
    ("page", Page, None),
    ("margin", Margin, None),
    ("line_height", LineHeight, None),
    ("align", Align, None),
    ("indent", Indent, None),
    ("letter_spacing", LetterSpacing, None),
    ("hscale", HScale, None),
    ("foreground", Foreground, None),
    ("background", Background, None),
    ("color_mode", ColorMode, None),
    ("newlines", Newlines, None),
    ("lang", Lang, None),
    ("tab_size", TabSize, None),
    ("no_fallback", NoFallback, False),
    ("no_system_fonts", NoSystemFonts, False),
)
_PREFIX = "render_flag_"


def _with_flags(
    command: Callable[..., Any],
    target: str,
    flags: tuple[tuple[str, Any, Any], ...],
    prefix: str,
    build: Callable[[dict[str, Any], dict[str, Any]], Any],
) -> Callable[..., Any]:
    """`command` with `flags` added to its signature (as `prefix + name`); the wrapper pops them
    and passes `build(flags, other_kwargs)` as the command's `target` parameter."""
    hints = typing.get_type_hints(command, include_extras=True)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(command).parameters.values()
        if p.name != target
    ]
    added = [
        inspect.Parameter(
            prefix + name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
        )
        for name, annotation, default in flags
    ]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(prefix + name) for name, _, _ in flags}
        kwargs[target] = build(values, kwargs)
        return command(*args, **kwargs)

    parameters = [*own, *added]
    wrapper.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


def render_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command every shared render flag; it receives them built into `render_config`.

    The flags keep their names and help in every command, and every command starts from the
    same set-up, `RenderConfig()` (the glyph preset's values), so one text makes the same pages
    whichever command renders it.
    """

    def build(values: dict[str, Any], _: dict[str, Any]) -> RenderConfig:
        return build_config(
            values.pop("preset"),
            values.pop("config"),
            values.pop("no_fallback"),
            no_system_fonts=values.pop("no_system_fonts"),
            **values,
        )

    return _with_flags(command, "render_config", _RENDER_FLAGS, _PREFIX, build)


_SERVER_FLAGS: tuple[tuple[str, Any, Any], ...] = (
    ("url", OcrUrl, None),
    ("model", OcrModel, None),
    ("prompt", OcrPrompt, None),
    ("api_key_env", OcrApiKeyEnv, DEFAULT_API_KEY_ENV),
    ("concurrency", OcrConcurrency, DEFAULT_CONCURRENCY),
    ("timeout", OcrTimeout, DEFAULT_TIMEOUT),
    ("retries", OcrRetries, DEFAULT_RETRIES),
    ("max_tokens", OcrMaxTokens, DEFAULT_MAX_TOKENS),
    ("encoder", OcrEncoder, None),
    ("cache", OcrCache, None),
    ("no_cache", NoOcrCache, False),
)


def ocr_server_options() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the flags of the `openai` OCR engine; it receives them as `ocr_server`
    (`ServerOptions`, or None when no server is named), and its `ocr_engine` argument resolved:
    `--ocr-url` implies `--ocr-engine openai`, which in turn needs `--ocr-url` and `--ocr-model`.
    """

    def build(values: dict[str, Any], kwargs: dict[str, Any]) -> Any:
        server = server_options(**values)
        kwargs["ocr_engine"] = ocr_engine_for(kwargs.get("ocr_engine", "auto"), server)
        return server

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        return _with_flags(command, "ocr_server", _SERVER_FLAGS, "ocr_server_flag_", build)

    return decorate


def server_options(
    url: str | None,
    model: str | None,
    prompt: str | None = None,
    api_key_env: str = DEFAULT_API_KEY_ENV,
    concurrency: int = DEFAULT_CONCURRENCY,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    encoder: str | None = None,
    cache: Path | None = None,
    no_cache: bool = False,
) -> ServerOptions | None:
    """The `openai` engine's options from its flags, or None when neither --ocr-url nor
    --ocr-model is given (the other server flags then have nothing to apply to)."""
    if url is None and model is None:
        return None
    if url is None:
        raise UsageError("--ocr-model names a model on a server: add --ocr-url (http://host:8000/v1)")
    if model is None:
        raise UsageError("--ocr-url needs --ocr-model, the name the server serves the model under")
    if no_cache and cache is not None:
        raise UsageError("give --ocr-cache DIR or --no-ocr-cache, not both")
    return ServerOptions(
        url=url,
        model=model,
        prompt=prompt,
        api_key_env=api_key_env,
        concurrency=concurrency,
        timeout=timeout,
        retries=retries,
        max_tokens=max_tokens,
        encoder=encoder,
        cache=not no_cache,
        cache_dir=str(cache) if cache is not None else str(default_cache_dir()),
    )


def ocr_engine_for(engine: str, server: ServerOptions | None) -> str:
    """The engine a command runs: `--ocr-url` implies `openai`; `openai` needs a server."""
    name = (engine or "auto").strip().lower()
    if server is None:
        if name == "openai":
            raise UsageError("--ocr-engine openai needs --ocr-url and --ocr-model")
        return name
    if name not in ("auto", "openai"):
        raise UsageError(f"--ocr-url is for --ocr-engine openai, not {engine}")
    return "openai"


def build_config(
    preset: str | None = None,
    config_file: Path | None = None,
    no_fallback: bool = False,
    no_system_fonts: bool = False,
    **flags: Any,
) -> RenderConfig:
    """A RenderConfig from, in rising priority: the default set-up, a preset (--preset, else the
    file's `preset` key), the options the --config file sets, then the flags."""
    file_values = read_config_file(config_file) if config_file is not None else {}
    values: dict[str, Any] = {}
    base = preset or file_values.pop("preset", None)
    file_values.pop("preset", None)
    if base:
        values["preset"] = base
    values.update(file_values)
    for flag, value in flags.items():
        if flag not in _FLAG_FIELDS:
            raise TypeError(f"unknown render flag {flag}")
        if value is None or value == []:
            continue
        values[_FLAG_FIELDS[flag]] = tuple(value) if flag == "font" else value
    if no_fallback:
        values["fallback"] = False
    if no_system_fonts:
        values["system_fonts"] = False
    config = RenderConfig.from_dict(values)
    _warn_overlapping_lines(config)
    return config


def _warn_overlapping_lines(config: RenderConfig) -> None:
    """Say so when lines are set closer than the font size: the default set-up's lines are a
    fixed 10 pt apart (Glyph's), so a larger --size alone makes lines overlap."""
    geometry = config.geometry()
    if config.layout != "strip" and geometry.line_height < geometry.size:
        sys.stderr.write(
            f"pixtok: warning: lines {config.line_height} apart are closer than the {config.size} "
            "text, so neighbouring lines overlap; set --line-height (1.2 is 1.2 times the size)\n"
        )


#: An argument that names no path is still taken for one (and is an error, not text) when it holds
#: a `/` or ends in a file extension: `notes.txt`, `data/`, `*.jsonl` (docs/conventions.md).
_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")
_GLOB_CHARS = frozenset("*?[")


def looks_like_path(argument: str) -> bool:
    """Whether an argument reads as a path: one line holding a `/`, or ending in an extension."""
    if "\n" in argument:
        return False
    return "/" in argument or bool(_EXTENSION.search(argument.strip()))


def names_input(argument: str) -> bool:
    """Whether an argument names something to read: `-`, an existing path, a glob that matches."""
    if argument == STDIN or os.path.exists(argument):
        return True
    return bool(_GLOB_CHARS & set(argument)) and bool(glob.glob(argument, recursive=True))


def input_arguments(arguments: Sequence[str] | None, texts: Sequence[str] | None = None) -> list[Input]:
    """A command's INPUT arguments and --text values as inputs: paths, or texts given as they are.

    An argument is a path when it names one (`names_input`); an argument that does not but
    looks like a path is a mistake (`no such file`, exit 1); anything else is literal text.
    --text values are always text. Literal text is checked as a file's text is (`literal_text`).
    """
    inputs: list[Input] = []
    for argument in arguments or ():
        if names_input(argument):
            inputs.append(argument)
            # A file named here is an input from the start, so an output that would replace it
            # is refused before the run rather than when it ends (folders and globs are noted
            # as their files are read).
            with contextlib.suppress(OSError, ValueError):
                note_input(os.stat(argument))
        elif looks_like_path(argument):
            reason = unreachable(argument)
            if reason is not None:
                raise InputError(reason)
            shown = printable(argument)
            if shorten(shown) != shown:
                raise InputError(f"no such file: {shorten(shown)}")
            raise InputError(f"no such file: {shown} (--text {shlex.quote(shown)} reads it as text)")
        else:
            inputs.append(literal_text(argument))
    inputs.extend(literal_text(text) for text in texts or ())
    return inputs


def literal_text(text: str) -> TextInput:
    """Text given on the command line, checked as the text of a file is: an argument whose bytes
    are not UTF-8 reaches Python as lone surrogates, which no tokenizer, renderer or output can
    take, so every command refuses it here with one line (exit 1), as it refuses such a file; a
    line longer than the `line` limit is refused too.

    Under a locale whose encoding is not UTF-8 (`LC_ALL=C` with Python's UTF-8 mode off), Python
    decodes every argument in that encoding, and the bytes it cannot decode become lone
    surrogates too; the bytes are then read as UTF-8, which is what pixtok reads files and
    writes its outputs in, and the argument is refused only when they are not UTF-8 either."""
    if first_surrogate(text) is not None:
        with contextlib.suppress(UnicodeError):
            text = os.fsencode(text).decode("utf-8")
    check_text(text, LITERAL_TEXT_ID)
    return TextInput(text)


def read_input_or_stdin(
    path: str | None, errors: str, *, sample: str | None = None, texts: Sequence[str] | None = None
) -> tuple[str, str]:
    """The one text a command reads: INPUT (a file, `-`, or literal text) or --text; with
    neither, a piped stdin, else the sample.

    Returns (name, text), the name being the record's `input`: the path as given, `-` for
    standard input, `text` for literal text, `sample` for the sample. With no input, a piped
    stdin is read; when stdin is a terminal, or gives nothing at all (no stdin, as under cron or
    CI), the sample is used if the command has one. An explicit '-' with empty stdin is an empty
    input, and an error later.
    """
    from pixtok.io import decode_text, read_bytes, read_text

    given = input_arguments([path] if path is not None else [], texts)
    if len(given) > 1:
        raise UsageError("this command reads one text: give one INPUT or one --text")
    if not given:
        if sys.stdin is not None and not sys.stdin.isatty():
            data = read_bytes(STDIN)
            if data or sample is None:
                if not data:
                    raise UsageError("no input: give a text, a file, or pipe text on standard input")
                return STDIN, decode_text(data, errors=errors, source="<stdin>")
        if sample is not None:
            return "sample", sample
        raise UsageError("no input: give a text, a file, or pipe text on standard input")
    (chosen,) = given
    if isinstance(chosen, TextInput):
        return chosen.name, chosen.text
    name = os.fspath(chosen)
    if name != STDIN and os.path.isdir(name):
        raise UsageError(f"{name} is a folder; this command reads one text")
    if name != STDIN and not os.path.exists(name):
        raise UsageError(f"{name}: this command reads one file, not a glob")
    return name, read_text(name, errors=errors)
