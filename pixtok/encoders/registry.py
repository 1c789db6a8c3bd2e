"""The registry of vision-encoder presets, filled lazily from the `pixtok.encoders` entry points.

Plugins: a package declares, in its pyproject.toml,

    [project.entry-points."pixtok.encoders"]
    mymodels = "mypackage.presets:encoders"

where `encoders()` returns an iterable of `Encoder` objects (instances of GridEncoder, of one of
pixtok's preset classes, or of the package's own Encoder subclass). pixtok's built-ins are the
entry point "builtin" = "pixtok.encoders.builtin:encoders", loaded by the same function as every
plugin (and found even when pixtok runs from a source tree without installed metadata).

User definition files: the environment variable `PIXTOK_ENCODERS` names files or folders
(separated like PATH, with os.pathsep); each .toml/.json file, and each such file directly inside a
named folder (in name order), is loaded after the plugins. A shell profile line such as
`export PIXTOK_ENCODERS=~/.config/pixtok/encoders` gives every command a user's own presets.
"""

from __future__ import annotations

import difflib
import os
import threading
from collections.abc import Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

from pixtok.encoders.base import Encoder
from pixtok.encoders.spec import encoder_from_spec, encoders_from_file
from pixtok.errors import PixtokError, UsageError, show
from pixtok.io import check_path, shorten, user_path
from pixtok.limits import printable

ENTRY_POINT_GROUP = "pixtok.encoders"
USER_ENCODERS_VARIABLE = "PIXTOK_ENCODERS"
ENCODER_FILE_SUFFIXES = (".toml", ".json")
BUILTIN_ENTRY_POINT = EntryPoint(
    name="builtin", value="pixtok.encoders.builtin:encoders", group=ENTRY_POINT_GROUP
)


class Registry:
    """Encoders by name; plugins are loaded on first use."""

    def __init__(self, *, discover: bool = True) -> None:
        self._encoders: dict[str, Encoder] = {}
        self._discover = discover
        self._loaded = not discover
        self._lock = threading.RLock()

    def _ensure_loaded(self) -> None:
        with self._lock:
            if self._loaded:
                return
            found: dict[str, Encoder] = {}
            for entry_point in plugin_entry_points():
                for encoder in _encoders_of(entry_point):
                    if encoder.name in found:
                        raise PixtokError(
                            f"encoder plugin {entry_point.name!r} defines {encoder.name!r}, already taken"
                        )
                    found[encoder.name] = encoder
            for path in user_encoder_files():
                for encoder in encoders_from_file(path):
                    taken = found.get(encoder.name)
                    if taken is not None and taken != encoder:
                        raise UsageError(
                            f"{path} (from ${USER_ENCODERS_VARIABLE}) defines {encoder.name!r}, already taken"
                        )
                    found[encoder.name] = encoder
            self._encoders = {**found, **self._encoders}
            self._loaded = True

    def register(self, spec: Encoder | Mapping[str, Any], *, replace: bool = False) -> Encoder:
        """Add a preset (an Encoder, or a declarative table).

        Registering an equal preset again is a no-op; a different preset under a taken name needs
        replace=True.
        """
        _check_replace(replace)
        encoder = spec if isinstance(spec, Encoder) else encoder_from_spec(spec)
        with self._lock:
            if self._discover:
                self._ensure_loaded()
            taken = self._encoders.get(encoder.name)
            if taken is not None and not replace:
                if taken == encoder:  # the same preset again (a file loaded twice): nothing to do
                    return taken
                raise UsageError(f"an encoder named {encoder.name!r} is already registered")
            self._encoders[encoder.name] = encoder
        return encoder

    def get(self, name: str) -> Encoder:
        """The preset called `name`; an unknown name lists the valid ones and the nearest match."""
        self._ensure_loaded()
        key = name.strip().lower() if isinstance(name, str) else name
        if isinstance(key, str) and key not in self._encoders and looks_like_file(key):
            raise UsageError(
                f"{name!r} looks like a file, not an encoder name: load definition files with "
                f"--encoders {name} (load_encoders() in Python), then name their presets with -e"
            )
        try:
            return self._encoders[key]
        except (KeyError, TypeError):
            names = self.names()
            near = difflib.get_close_matches(str(key), names, n=1, cutoff=0.5)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise UsageError(f"unknown encoder {name!r}{hint} (valid: {', '.join(names)})") from None

    def names(self) -> list[str]:
        """Registered names in registration order (built-ins first)."""
        self._ensure_loaded()
        return list(self._encoders)

    def load_file(self, path: str | os.PathLike[str], *, replace: bool = False) -> list[Encoder]:
        """Register every preset declared in a TOML/JSON file; returns them."""
        _check_replace(replace)
        _check_path(path)
        built = encoders_from_file(path)
        name = shorten(printable(os.fspath(path)))
        seen: dict[str, Encoder] = {}
        for encoder in built:  # two presets of one name in the file itself
            if seen.setdefault(encoder.name, encoder) != encoder:
                raise UsageError(f"{name} defines {encoder.name!r} twice, differently; give one another name")
        with self._lock:  # checked and registered as one step: a file loads whole or not at all
            self._ensure_loaded()
            for encoder in built:
                taken = self._encoders.get(encoder.name)
                if not replace and taken is not None and taken != encoder:
                    raise UsageError(
                        f"{name} defines {encoder.name!r}, already taken by another preset; "
                        "give it another name"
                    )
            for encoder in built:
                self.register(encoder, replace=replace)
        return built


def _check_replace(replace: object) -> None:
    """`replace` is a flag: a string such as "no" would be true, and replace a preset."""
    if not isinstance(replace, bool):
        raise UsageError(f"replace must be True or False, not {show(replace)}")


def _check_path(path: object) -> None:
    """Refuse what cannot name a definition file (None, a number, bytes, a path no file can
    have) with a UsageError, before the file system raises a TypeError or ValueError."""
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(text, str):
        raise UsageError(f"an encoder file is named by a str or a path, not {type(path).__name__}")
    check_path(text, "an encoder file path")


def looks_like_file(name: str) -> bool:
    """Whether an encoder name is really a path (a folder separator or a definition-file suffix)."""
    return "/" in name or "\\" in name or name.endswith(ENCODER_FILE_SUFFIXES)


def user_encoder_files(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The definition files that `PIXTOK_ENCODERS` names, in order; a missing entry is an error."""
    value = (os.environ if environ is None else environ).get(USER_ENCODERS_VARIABLE, "")
    files: list[Path] = []
    for entry in (part for part in value.split(os.pathsep) if part.strip()):
        path = user_path(entry)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix.lower() in ENCODER_FILE_SUFFIXES))
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(
                f"${USER_ENCODERS_VARIABLE} names {entry!r}, which is neither a file nor a folder"
            )
    return files


def _encoders_of(entry_point: EntryPoint) -> list[Encoder]:
    """Call a plugin's hook; a failing or ill-typed plugin is named in the error."""
    try:
        provided = list(entry_point.load()())
    except PixtokError:
        raise
    except Exception as exc:
        raise PixtokError(f"encoder plugin {entry_point.name!r} ({entry_point.value}) failed: {exc}") from exc
    for encoder in provided:
        if not isinstance(encoder, Encoder):
            raise PixtokError(
                f"encoder plugin {entry_point.name!r} returned {type(encoder).__name__}, not an Encoder"
            )
    return provided


def plugin_entry_points() -> list[EntryPoint]:
    """The built-in entry point first, then installed plugins by name (the built-in once only)."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    return [BUILTIN_ENTRY_POINT, *(ep for ep in found if ep.value != BUILTIN_ENTRY_POINT.value)]


_default = Registry()


def get_encoder(name: str) -> Encoder:
    """The registered preset called `name` (UsageError listing valid names otherwise)."""
    return _default.get(name)


def list_encoders() -> list[str]:
    """Names of every registered preset, built-ins first."""
    return _default.names()


def register_encoder(spec: Encoder | Mapping[str, Any], *, replace: bool = False) -> Encoder:
    """Register a preset (an Encoder or a declarative table) under its name."""
    return _default.register(spec, replace=replace)


def load_encoders(path: str | os.PathLike[str], *, replace: bool = False) -> list[Encoder]:
    """Register the presets declared in a .toml/.json file and return them."""
    return _default.load_file(path, replace=replace)


def get_encoders(names: str | Iterable[str]) -> list[Encoder]:
    """Several presets from a comma-separated string or a list of names, in the order given."""
    if isinstance(names, str):
        names = [part for part in (piece.strip() for piece in names.split(",")) if part]
    chosen = [get_encoder(name) for name in names]
    if not chosen:
        raise UsageError("name at least one encoder (see `pixtok encoders`)")
    return chosen
