"""Options shared by every command that renders: declared once here, used by render, compare,
ocr, sweep and the corpus commands, so a flag means the same thing everywhere."""

from __future__ import annotations

import functools
import inspect
import sys
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from pixtok.compare import DEFAULT_TOKENIZERS
from pixtok.errors import UsageError
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
Errors = Annotated[
    str,
    typer.Option(
        "--errors", help="strict: invalid UTF-8 is an error; replace: use U+FFFD.", rich_help_panel=RENDER
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


def render_options(
    default_preset: str | None = None, layout_flag: str = "--layout"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command every shared render flag; it receives them built into `render_config`.

    The flags keep their names and help in every command; `layout_flag` renames --layout where
    a command needs that name for something else (`pixtok typos --layout qwerty`).
    """
    flags = _RENDER_FLAGS
    if layout_flag != "--layout":
        renamed = Annotated[
            str | None, typer.Option(layout_flag, help="page, strip, fit or crop.", rich_help_panel=RENDER)
        ]
        flags = tuple((n, renamed if n == "layout" else a, d) for n, a, d in flags)

    def build(values: dict[str, Any], _: dict[str, Any]) -> RenderConfig:
        return build_config(
            values.pop("preset"),
            values.pop("config"),
            values.pop("no_fallback"),
            default_preset,
            no_system_fonts=values.pop("no_system_fonts"),
            **values,
        )

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        return _with_flags(command, "render_config", flags, _PREFIX, build)

    return decorate


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
    default_preset: str | None = None,
    no_system_fonts: bool = False,
    **flags: Any,
) -> RenderConfig:
    """A RenderConfig from, in rising priority: a preset (--preset, else the file's `preset`
    key, else the command's default), the options the --config file sets, then the flags."""
    file_values = read_config_file(config_file) if config_file is not None else {}
    values: dict[str, Any] = {}
    base = preset or file_values.pop("preset", None) or default_preset
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
    return RenderConfig.from_dict(values)


def read_input_or_stdin(path: str | None, errors: str, *, sample: str | None = None) -> tuple[str, str]:
    """The text of INPUT, of stdin when INPUT is absent and stdin is piped, or the sample text.

    Returns (name, text). With no INPUT, a piped stdin is read; when stdin is a terminal, or
    gives nothing at all (no stdin, as under cron or CI), the sample is used if the command has
    one. An explicit '-' with empty stdin is an empty input, and an error later.
    """
    from pixtok.io import decode_text, read_bytes

    if path is None:
        if not sys.stdin.isatty():
            data = read_bytes("-")
            if data or sample is None:
                return "-", decode_text(data, errors=errors, source="<stdin>")
        if sample is not None:
            return "sample", sample
        raise UsageError("give an input file, or '-' to read standard input")
    from pixtok.io import read_text

    return path, read_text(path, errors=errors)
