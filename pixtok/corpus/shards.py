"""WebDataset shards: tar files of samples, each shard written under a temporary name and renamed
into place only when complete.

A sample is a key plus files named `KEY.EXT` (`000000012_0001.png`, `000000012_0001.json`), the
layout the `webdataset` library reads: it groups consecutive members by the part of the name
before the first dot. Keys therefore hold no dots. Shards are `shard-000000.tar`,
`shard-000001.tar`, ... and close at record boundaries: a shard takes the pages of whole records
until the next record would take it past `shard_size` samples (a single record with more pages
than that makes one larger shard), so a run can resume shard by shard.

Tar headers carry no time, owner or user name, so the same samples give byte-identical shards.
An operating-system error while writing (a full disk) is one `OutputError` line naming the shard.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pixtok.errors import UsageError
from pixtok.io import os_errors

SHARD_PATTERN = "shard-{index:06d}.tar"
_SHARD_NAME = re.compile(r"^shard-(\d{6,})\.tar$")
_PART_SUFFIX = ".part"


@dataclass(frozen=True)
class Sample:
    """One WebDataset sample: a key (no dots) and its files by extension (`png`, `json`, ...)."""

    key: str
    files: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if not self.key or "." in self.key or "/" in self.key:
            raise ValueError(f"sample key {self.key!r} must be non-empty, without '.' or '/'")


def shard_name(index: int) -> str:
    return SHARD_PATTERN.format(index=index)


def shard_index(name: str) -> int | None:
    """The index of a shard file name, or None for any other name."""
    match = _SHARD_NAME.match(Path(name).name)
    return int(match.group(1)) if match else None


def existing_shards(folder: Path) -> list[Path]:
    """Complete shards in `folder`, in index order."""
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if shard_index(p.name) is not None), key=lambda p: p.name)


class ShardWriter:
    """Writes samples into numbered tar shards in `folder`, record by record.

    `add(samples)` adds one record's samples and returns the name of the shard they went to;
    `completed` lists the shards closed so far (renamed into place). `close()` finishes the last
    shard; `abort()` removes the unfinished one, leaving only complete shards behind.
    """

    def __init__(self, folder: str | os.PathLike[str], shard_size: int, *, start_index: int = 0) -> None:
        if shard_size < 1:
            raise UsageError(f"--shard-size must be at least 1, got {shard_size}")
        self.folder = Path(folder)
        self.shard_size = shard_size
        self.index = start_index
        self.completed: list[str] = []
        self.samples_written = 0
        self._tar: tarfile.TarFile | None = None
        self._file: io.BufferedWriter | None = None
        self._count = 0
        with os_errors(str(self.folder), "write"):
            self.folder.mkdir(parents=True, exist_ok=True)
            for stale in self.folder.glob(f".shard-*.tar{_PART_SUFFIX}"):
                stale.unlink()

    @property
    def current(self) -> str:
        return shard_name(self.index)

    def _part_path(self) -> Path:
        return self.folder / f".{self.current}{_PART_SUFFIX}"

    def add(self, samples: Sequence[Sample]) -> str:
        """Add one record's samples (never split across shards); return the shard's name."""
        with os_errors(str(self.folder / self.current), "write"):
            return self._add(samples)

    def _add(self, samples: Sequence[Sample]) -> str:
        if self._count and self._count + len(samples) > self.shard_size:
            self._finish()
        if self._tar is None:
            # Both stay open across calls: closed in _finish, or dropped by abort.
            self._file = open(self._part_path(), "wb")  # noqa: SIM115
            self._tar = tarfile.open(fileobj=self._file, mode="w", format=tarfile.USTAR_FORMAT)  # noqa: SIM115
        name = self.current
        for sample in samples:
            for ext, data in sample.files.items():
                info = tarfile.TarInfo(f"{sample.key}.{ext}")
                info.size = len(data)
                info.mode = 0o644
                info.mtime = 0
                self._tar.addfile(info, io.BytesIO(data))
            self._count += 1
            self.samples_written += 1
        if self._count >= self.shard_size:
            self._finish()
        return name

    def _finish(self) -> None:
        """Close the open shard, make it durable, and rename it into place."""
        if self._tar is None or self._file is None:
            return
        self._tar.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.chmod(self._part_path(), 0o644)
        os.replace(self._part_path(), self.folder / self.current)
        self.completed.append(self.current)
        self._tar = self._file = None
        self._count = 0
        self.index += 1

    def close(self) -> None:
        """Finish the last shard (if it holds anything)."""
        with os_errors(str(self.folder / self.current), "write"):
            self._finish()

    def abort(self) -> None:
        """Drop the unfinished shard; complete shards stay."""
        if self._file is not None:
            with contextlib.suppress(Exception):
                self._file.close()
            with contextlib.suppress(FileNotFoundError):
                self._part_path().unlink()
        self._tar = self._file = None
        self._count = 0
