"""Tokenizers by name: built-ins, plugins and user files, each loaded once, on first use.

Names come from three places:

- the entry-point group `pixtok.tokenizers`: each entry point names a function that receives
  `register_tokenizer` and registers any number of names (pixtok's own built-ins are the entry
  point `builtin`; when pixtok runs from a source checkout without installed metadata they are
  registered directly, by the same function);
- `register_tokenizer(...)` calls at run time;
- file prefixes: `spm:PATH`, `tiktoken:PATH` and `hf:PATH` load a user's model file.

Registering stores a factory and what can be said without loading (kind, declared vocabulary
size, an availability check); the model is loaded by `get_tokenizer` and kept for the process.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import importlib.util
import os
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pixtok.errors import (
    InputError,
    MissingDependencyError,
    PixtokError,
    UsageError,
    first_line,
    is_rust_panic,
)
from pixtok.io import check_path, user_path
from pixtok.tokenizers.base import Tokenizer

ENTRY_POINT_GROUP = "pixtok.tokenizers"
BUILTIN_ENTRY_POINT = "pixtok.tokenizers.builtin:register"

Factory = Callable[[], Tokenizer]
Check = Callable[[], "str | None"]
FileLoad = Callable[[str, Path], Tokenizer]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


@dataclass(frozen=True)
class TokenizerInfo:
    """What is known about a tokenizer without loading it."""

    name: str
    kind: str
    vocab_size: int | None
    description: str
    available: bool
    reason: str | None
    origin: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Registration:
    name: str
    factory: Factory
    kind: str
    vocab_size: int | None
    description: str
    check: Check | None
    origin: str


@dataclass(frozen=True)
class _FileLoader:
    prefix: str
    load: FileLoad
    kind: str
    description: str
    check: Check | None


def _run_check(check: Check | None) -> str | None:
    if check is None:
        return None
    try:
        return check()
    except Exception as exc:  # a plugin's check must not break listing
        return f"availability check failed: {first_line(exc)}"


def _load_spm(name: str, path: Path) -> Tokenizer:
    from pixtok.tokenizers.spm import SentencePieceTokenizer

    return SentencePieceTokenizer.from_file(name, path)


def _load_tiktoken(name: str, path: Path) -> Tokenizer:
    from pixtok.tokenizers.tiktoken_bpe import load_tiktoken_file

    return load_tiktoken_file(name, path)


def _load_hf(name: str, path: Path) -> Tokenizer:
    from pixtok.tokenizers.hf import HuggingFaceTokenizer

    return HuggingFaceTokenizer.from_file(name, path)


def _hf_check() -> str | None:
    if importlib.util.find_spec("tokenizers") is None:
        from pixtok.tokenizers.hf import INSTALL_HINT

        return f"needs the Hugging Face 'tokenizers' library: {INSTALL_HINT}"
    return None


FILE_LOADERS: tuple[_FileLoader, ...] = (
    _FileLoader("spm", _load_spm, "sentencepiece", "a SentencePiece .model file", None),
    _FileLoader(
        "tiktoken",
        _load_tiktoken,
        "tiktoken",
        "a .tiktoken rank file, split with the cl100k pattern",
        None,
    ),
    _FileLoader("hf", _load_hf, "huggingface", "a Hugging Face tokenizer.json", _hf_check),
)


class TokenizerRegistry:
    """Names to tokenizer factories, with the loaded tokenizers cached per name."""

    def __init__(self, *, discover: bool = True) -> None:
        self._registrations: dict[str, _Registration] = {}
        self._broken_plugins: dict[str, tuple[str, str]] = {}
        self._loaders = {loader.prefix: loader for loader in FILE_LOADERS}
        self._cache: dict[Any, Tokenizer] = {}
        self._lock = threading.RLock()
        self._origin = "run time"
        self._discovered = False
        if discover:
            self.discover()

    # -- registering ---------------------------------------------------------------------------

    def register(
        self,
        name: str,
        factory: Factory,
        *,
        kind: str,
        vocab_size: int | None = None,
        description: str = "",
        check: Check | None = None,
        replace: bool = False,
    ) -> None:
        """Make `name` resolve to `factory()`, called once on first use.

        `vocab_size` is the declared size shown by listings (the loaded tokenizer's own value
        is authoritative); `check` returns None when the tokenizer can be loaded, else a short
        reason shown as "unavailable" (for instance a missing optional library).
        """
        if not _NAME.match(name):
            raise UsageError(
                f"invalid tokenizer name {name!r}: use letters, digits and . _ + - (':' marks a file prefix)"
            )
        if not callable(factory):
            raise UsageError(f"tokenizer {name!r}: the factory must be callable")
        with self._lock:
            if name in self._registrations and not replace:
                existing = self._registrations[name].origin
                raise UsageError(f"tokenizer {name!r} is already registered (by {existing})")
            self._registrations[name] = _Registration(
                name, factory, kind, vocab_size, description, check, self._origin
            )
            self._cache.pop(name, None)

    def discover(self) -> None:
        """Register the built-ins, then every plugin of the `pixtok.tokenizers` entry-point group.

        A plugin that fails to import or to register is remembered with its error and listed as
        unavailable; it never stops the others. Calling it again does nothing.
        """
        with self._lock:
            if self._discovered:
                return
            self._discovered = True
        points = sorted(
            importlib.metadata.entry_points(group=ENTRY_POINT_GROUP),
            key=lambda point: (point.value != BUILTIN_ENTRY_POINT, _distribution(point), point.name),
        )
        if not any(point.value == BUILTIN_ENTRY_POINT for point in points):
            from pixtok.tokenizers import builtin

            self._run_plugin("pixtok", builtin.register)
        done: set[str] = set()
        for point in points:
            if point.value in done:
                continue
            done.add(point.value)
            origin = (
                "pixtok" if point.value == BUILTIN_ENTRY_POINT else f"{_distribution(point)}:{point.name}"
            )
            try:
                plugin = point.load()
            except Exception as exc:
                self._broken_plugins[point.name] = (origin, f"plugin failed to import: {first_line(exc)}")
                continue
            self._run_plugin(origin, plugin, point.name)

    def _run_plugin(self, origin: str, plugin: Callable[..., Any], label: str = "builtin") -> None:
        with self._lock:
            previous, self._origin = self._origin, origin
            try:
                plugin(self.register)
            except Exception as exc:
                self._broken_plugins[label] = (origin, f"plugin failed to register: {first_line(exc)}")
            finally:
                self._origin = previous

    # -- listing -------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Registered names, built-ins first, in registration order."""
        return list(self._registrations)

    def list_tokenizers(self) -> list[TokenizerInfo]:
        """Every registered name with its availability; broken plugins are listed as unavailable."""
        infos = []
        for entry in self._registrations.values():
            reason = _run_check(entry.check)
            infos.append(
                TokenizerInfo(
                    entry.name,
                    entry.kind,
                    entry.vocab_size,
                    entry.description,
                    reason is None,
                    reason,
                    entry.origin,
                )
            )
        for label, (origin, reason) in sorted(self._broken_plugins.items()):
            infos.append(TokenizerInfo(label, "plugin", None, "", False, reason, origin))
        return infos

    def list_file_loaders(self) -> list[TokenizerInfo]:
        """The `PREFIX:PATH` forms, listed as `spm:PATH` etc., with their availability."""
        infos = []
        for loader in self._loaders.values():
            reason = _run_check(loader.check)
            infos.append(
                TokenizerInfo(
                    f"{loader.prefix}:PATH",
                    loader.kind,
                    None,
                    loader.description,
                    reason is None,
                    reason,
                    "pixtok",
                )
            )
        return infos

    # -- loading -------------------------------------------------------------------------------

    def get(self, name: str) -> Tokenizer:
        """The tokenizer called `name` (or `PREFIX:PATH`), loaded on first use and then cached."""
        if not isinstance(name, str):
            raise UsageError(
                f"a tokenizer needs a name (a str), not {'None' if name is None else type(name).__name__}; "
                + self._valid_names()
            )
        if not name.strip():
            raise UsageError("empty tokenizer name; " + self._valid_names())
        prefix, sep, rest = name.partition(":")
        if sep:
            return self._get_file(name, prefix, rest)
        with self._lock:
            cached = self._cache.get(name)
            if cached is not None:
                return cached
            entry = self._registrations.get(name)
            if entry is None:
                broken = self._broken_plugins.get(name)
                if broken is not None:
                    raise MissingDependencyError(f"tokenizer {name!r} is unavailable: {broken[1]}")
                raise UsageError(self._unknown(name))
            reason = _run_check(entry.check)
            if reason is not None:
                raise MissingDependencyError(f"tokenizer {name!r} is unavailable: {reason}")
            tokenizer = _call(name, entry.factory)
            self._cache[name] = tokenizer
            return tokenizer

    def _get_file(self, name: str, prefix: str, raw_path: str) -> Tokenizer:
        loader = self._loaders.get(prefix)
        if loader is None:
            prefixes = ", ".join(f"{p}:PATH" for p in self._loaders)
            raise UsageError(
                f"unknown tokenizer prefix {prefix + ':'!r} in {name!r}; file prefixes are {prefixes}"
            )
        if not raw_path:
            raise UsageError(f"{name!r}: give a file path after '{prefix}:'")
        check_path(raw_path, f"the file path of {prefix}:")  # os.stat would raise a ValueError
        reason = _run_check(loader.check)
        if reason is not None:
            raise MissingDependencyError(f"{prefix}: tokenizers are unavailable: {reason}")
        path = user_path(raw_path)
        try:
            stat = os.stat(path)
            key: Any = (name, str(path.resolve()), stat.st_mtime_ns, stat.st_size)
        except OSError:
            key = None  # the loader reports the missing or unreadable file
        with self._lock:
            if key is not None and key in self._cache:
                return self._cache[key]
            tokenizer = _call(name, lambda: loader.load(name, path))
            if key is not None:
                self._cache[key] = tokenizer
            return tokenizer

    def _valid_names(self) -> str:
        prefixes = ", ".join(f"{p}:PATH" for p in self._loaders)
        return f"valid names: {', '.join(self.names())}, or {prefixes}"

    def _unknown(self, name: str) -> str:
        names = self.names()
        lowered = {n.lower(): n for n in names}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        hint = f" (did you mean {lowered[close[0]]!r}?)" if close else ""
        return f"unknown tokenizer {name!r}{hint}; {self._valid_names()}"


def _distribution(point: importlib.metadata.EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return dist.name if dist is not None else point.module.split(".")[0]


def _call(name: str, factory: Callable[[], Any]) -> Tokenizer:
    """Run a factory; anything but a pixtok error becomes one line naming the tokenizer.

    A Rust panic in a library the factory calls (a BaseException, see `is_rust_panic`) counts as
    a failure too; KeyboardInterrupt and SystemExit pass through.
    """
    try:
        tokenizer = factory()
    except PixtokError:
        raise
    except Exception as exc:
        raise InputError(f"tokenizer {name!r} could not be loaded: {first_line(exc)}") from None
    except BaseException as exc:
        if not is_rust_panic(exc):
            raise
        raise InputError(f"tokenizer {name!r} could not be loaded: {first_line(exc)}") from None
    if not isinstance(tokenizer, Tokenizer):
        raise InputError(
            f"tokenizer {name!r}: its factory returned {type(tokenizer).__name__}, not a Tokenizer"
        )
    return tokenizer


_default: TokenizerRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> TokenizerRegistry:
    """The process-wide registry, created (and its plugins discovered) on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = TokenizerRegistry()
        return _default


def get_tokenizer(name: str) -> Tokenizer:
    """The tokenizer called `name` or `spm:PATH` / `tiktoken:PATH` / `hf:PATH`, loaded once.

    Raises UsageError for an unknown name (listing the valid ones), InputError for a missing or
    unusable file, MissingDependencyError when a library or model file is not installed.
    """
    return default_registry().get(name)


def list_tokenizers() -> list[TokenizerInfo]:
    """Every registered tokenizer with kind, declared vocabulary size and availability; loads nothing."""
    return default_registry().list_tokenizers()


def list_file_loaders() -> list[TokenizerInfo]:
    """The `spm:PATH`, `tiktoken:PATH` and `hf:PATH` forms, with availability."""
    return default_registry().list_file_loaders()


def register_tokenizer(
    name: str,
    factory: Factory,
    *,
    kind: str,
    vocab_size: int | None = None,
    description: str = "",
    check: Check | None = None,
    replace: bool = False,
) -> None:
    """Add a tokenizer to the process-wide registry (see `TokenizerRegistry.register`)."""
    default_registry().register(
        name, factory, kind=kind, vocab_size=vocab_size, description=description, check=check, replace=replace
    )
