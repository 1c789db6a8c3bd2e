"""Resumable JSON Lines output: a journal that becomes the output file only when the run completes.

The guarantee, exactly:

* While a run works, records go to a hidden journal next to the output, `.NAME.partial`, one JSON
  line each, appended in **input order** (the engines yield results in input order), flushed and
  fsynced every `batch` records or `interval` seconds. The output file itself is not touched.
* When the run completes, the journal is fsynced and renamed over the output (`os.replace`, then
  the folder is fsynced): the output appears whole or not at all. An interrupted run — Ctrl-C, a
  crash, a power cut — never leaves a corrupt output; at worst it leaves the journal.
* `resume=True` reads the journal (or, if there is none, a complete output from an earlier run),
  drops a torn last line, checks that the saved ids are the first ids of the input in the same
  order, and skips those records; the rest are appended. Since records are deterministic, the
  resumed run ends with exactly the bytes a clean run writes.
* A sidecar `.NAME.partial.json` holds a signature of the options; resuming with other options is
  refused, as is resuming against an input whose first ids differ from the saved ones.
* A complete output keeps the signature as an extended attribute (`user.pixtok.signature`, set
  on the journal and so carried by its rename), which a resume of it checks as it checks the
  sidecar. Saved records that neither vouches for (a copy of the output that lost the
  attribute, a file system without them, a journal whose sidecar is gone) are checked by
  measuring the last of them again (`verify=True`): records are deterministic, so a record that
  comes out different was made with other options or by another command, and the resume is
  refused.
* `resume=False` starts a new journal (an old one is discarded); the old output stays in place
  until the new run completes and replaces it.
* One run at a time: a lock beside the output (`.NAME.lock`, see `pixtok.io.OutputLock`) makes a
  second run on the same output fail at once, before it touches the journal.
* A symbolic link as the output stays a link (the journal and the file it points to are
  replaced); a character device or FIFO (`/dev/null`, a named pipe) is written through, record by
  record, with no journal, so it cannot be resumed.
* A record that cannot be written as UTF-8 (a lone surrogate the input let through) is written
  with a JSON `\\uXXXX` escape instead of stopping the run.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from pixtok.corpus.inputs import Record
from pixtok.errors import OutputError, UsageError
from pixtok.io import OutputLock, OutputTarget, check_not_an_input, load_json, os_errors, output_target


def journal_path(output: str | os.PathLike[str]) -> Path:
    """Where the journal of `output` lives while a run is incomplete."""
    target = Path(output)
    return target.with_name(f".{target.name}.partial")


def record_line(record: dict[str, Any]) -> bytes:
    """The one JSON line a record is written as (the same bytes in the journal and the output).

    A lone surrogate, which UTF-8 cannot hold, becomes the JSON escape `\\udXXX` (the escape
    `backslashreplace` writes is exactly JSON's), so the line is valid UTF-8 and valid JSON.
    """
    return json.dumps(record, ensure_ascii=False).encode("utf-8", "backslashreplace") + b"\n"


class RunLog:
    """The journal behind one output file (see the module docstring for what it guarantees).

    >>> log = RunLog("records.jsonl", resume=True)        # doctest: +SKIP
    >>> records = log.skip_done(records, on_done=totals.add)  # doctest: +SKIP
    >>> for result in run_records(records, ...): log.append(result)  # doctest: +SKIP
    >>> log.commit()                                     # doctest: +SKIP
    """

    def __init__(
        self,
        output: str | os.PathLike[str],
        *,
        resume: bool = False,
        id_key: str = "id",
        signature: str | None = None,
        verify: bool = False,
        batch: int = 64,
        interval: float = 2.0,
    ) -> None:
        self.target: OutputTarget = output_target(output)
        self.output = self.target.path
        self.journal = journal_path(self.output)
        self.meta = self.journal.with_name(self.journal.name + ".json")
        self.id_key = id_key
        self.batch = batch
        self.interval = interval
        self.resumed = 0
        #: The journal was made by this run, a copy of a complete output: dropped if it is refused.
        self._copied = False
        self._verify = verify
        self._signature = signature
        #: The saved records are not vouched for by a sidecar of the same options.
        self._unvouched = False
        #: The line the first record measured must be: the last saved record, measured again.
        self._expected: bytes | None = None
        self._expected_index = 0
        self._refused = False
        self._unsynced = 0
        self._synced_at = time.monotonic()
        self._lock = OutputLock(self.target)
        if self.target.stream:
            if resume:
                raise UsageError(
                    f"{self.target.name}: --resume continues a file, and this is a device or FIFO"
                )
            self._stream: IO[bytes] = self.target.open_stream()
            return
        self._lock.acquire()
        try:
            with os_errors(self.target.name, "write"):
                self._prepare(resume, signature)
                self._stream = open(self.journal, "ab")  # noqa: SIM115 - closed by commit/close
        except BaseException:
            self._lock.release()
            raise

    def _prepare(self, resume: bool, signature: str | None) -> None:
        if resume and self.journal.exists():
            saved = self._saved_signature()
            self._check_signature(saved)
            self._unvouched = signature is not None and saved is None
            _truncate_torn_tail(self.journal, self.target.name)
        elif resume and self.output.is_file():
            # A completed earlier run: continue from its records (the input may have grown).
            saved = _signature_attribute(self.output)
            self._check_signature(saved)
            self._copied = True
            self._unvouched = signature is not None and saved is None
            with open(self.output, "rb") as source, open(self.journal, "wb") as journal:
                while block := source.read(1 << 20):
                    journal.write(block)
            _truncate_torn_tail(self.journal, self.target.name)
        else:
            with open(self.journal, "wb"):
                pass
        if not self._unvouched:
            self._vouch()

    def _check_signature(self, saved: str | None) -> None:
        if self._signature is not None and saved is not None and saved != self._signature:
            raise UsageError(
                f"{self.target.name}: the saved records were made with other options; "
                "run without --resume to start over"
            )

    def _vouch(self) -> None:
        """Write the sidecar: the saved records are known to be of these options."""
        self._unvouched = False
        if self._signature is not None:
            self.meta.write_text(json.dumps({"signature": self._signature}) + "\n", encoding="utf-8")

    def _saved_signature(self) -> str | None:
        try:
            return json.loads(self.meta.read_text(encoding="utf-8")).get("signature")
        except (OSError, ValueError, AttributeError):
            return None

    def done(self) -> Iterator[dict[str, Any]]:
        """The records saved by earlier runs, in order (streamed from the journal)."""
        if self.target.stream:
            return
        with open(self.journal, "rb") as stream:
            for number, line in enumerate(stream, 1):
                yield load_json(line, f"{self.target.name}: saved record {number}")

    def skip_done(
        self, records: Iterable[Record], on_done: Callable[[dict[str, Any]], None] | None = None
    ) -> Iterator[Record]:
        """Skip the input records already saved, checking them against the input; return the rest.

        The saved part is checked at once (reading as many input records as were saved), so
        `resumed` is known on return. `on_done(saved_record)` sees every saved record, so that
        totals include them.

        Saved records no sidecar vouches for are refused, unless the log `verify`s them: then the
        last one is not skipped but handed back first, to be measured again; `append` compares
        what it gives with what was saved (and `resumed`, and `on_done`, leave it out).
        """
        if self._unvouched and not self._verify:
            self._refused = self._copied
            raise UsageError(
                f"{self.target.name}: the options of the saved records are not known; "
                "run without --resume to start over"
            )
        stream = iter(records)
        held: tuple[dict[str, Any], Record] | None = None
        for index, saved in enumerate(self.done()):
            record = next(stream, None)
            problem = None
            if not isinstance(saved, dict):
                problem = f"is {type(saved).__name__}, not a record (a JSON object)"
            elif self.id_key not in saved:
                problem = f"has no {self.id_key!r}"
            elif record is None or record.id != saved[self.id_key]:
                found = "the input ends there" if record is None else f"the input has {record.id!r}"
                problem = f"is {saved[self.id_key]!r} but {found}; the input changed"
            if problem is not None:
                # A journal copied from the output for this resume holds nothing the output does
                # not: `close` removes it, so a refused resume leaves the folder as it found it.
                self._refused = self._copied
                raise UsageError(
                    f"{self.target.name}: saved record {index + 1} {problem}, "
                    "so run without --resume to start over"
                )
            assert record is not None
            if held is not None:
                self.resumed += 1
                if on_done is not None:
                    on_done(held[0])
            held = (saved, record)
        if held is None:
            if self._unvouched:
                self._vouch()  # nothing saved: nothing to vouch for but the options of this run
            return stream
        if self._unvouched:
            self._expected, self._expected_index = record_line(held[0]), self.resumed + 1
            return itertools.chain([held[1]], stream)
        self.resumed += 1
        if on_done is not None:
            on_done(held[0])
        return stream

    def append(self, record: dict[str, Any]) -> None:
        """Add one record; every `batch` records or `interval` seconds the journal is fsynced.

        The first record of a resume whose saved records are being verified is not added but
        compared with the saved record it measured again (see `skip_done`)."""
        if self._expected is not None:
            if record_line(record) != self._expected:
                self._refused = self._copied
                raise UsageError(
                    f"{self.target.name}: saved record {self._expected_index} is not what these "
                    "options make of it (it was made with other options, or by another command); "
                    "run without --resume to start over"
                )
            self._expected = None
            with os_errors(self.target.name, "write"):
                self._vouch()
            return
        with os_errors(self.target.name, "write"):
            self._stream.write(record_line(record))
        self._unsynced += 1
        if self._unsynced >= self.batch or time.monotonic() - self._synced_at >= self.interval:
            self.sync()

    def sync(self) -> None:
        """Make every appended record durable (on a device or FIFO: hand them over)."""
        with os_errors(self.target.name, "write"):
            self._stream.flush()
            if not self.target.stream:
                os.fsync(self._stream.fileno())
        self._unsynced = 0
        self._synced_at = time.monotonic()

    def commit(self) -> None:
        """The run is complete: the journal becomes the output, atomically."""
        try:
            self.sync()
            self._stream.close()
            if self.target.stream:
                return
            try:
                check_not_an_input(self.output, self.target.name)
            except UsageError:  # no run could ever be put there: nothing to resume
                for path in (self.journal, self.meta):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                raise
            with os_errors(self.target.name, "write"):
                os.chmod(self.journal, 0o644)
                if self._signature is not None:
                    _set_signature_attribute(self.journal, self._signature)
                os.replace(self.journal, self.output)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.meta)
            _fsync_folder(self.output.parent)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Stop without completing: what was appended stays in the journal, for --resume (an
        empty journal, of a run that failed before its first record, is removed, as is one copied
        from a complete output for a resume that the input then refused)."""
        try:
            if self._stream.closed:
                return
            # Best effort: the run is already failing or interrupted, and a torn last record is
            # cut off by --resume.
            with contextlib.suppress(OutputError):
                self.sync()
            with contextlib.suppress(OSError):
                self._stream.close()
            if not self.target.stream and (self._refused or self.journal.stat().st_size == 0):
                for path in (self.journal, self.meta):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
        finally:
            self._lock.release()

    def __enter__(self) -> RunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: The extended attribute that holds the signature of a complete output's options.
_SIGNATURE_ATTRIBUTE = b"user.pixtok.signature"


def _signature_attribute(path: Path) -> str | None:
    """The signature a complete output keeps, or None (none kept, or no extended attributes
    here: then its records are verified by measuring one again)."""
    try:
        return os.getxattr(path, _SIGNATURE_ATTRIBUTE).decode("utf-8", "replace")
    except (OSError, AttributeError):  # AttributeError: an OS without os.getxattr
        return None


def _set_signature_attribute(path: Path, signature: str) -> None:
    with contextlib.suppress(OSError, AttributeError):  # a file system without them: verified instead
        os.setxattr(path, _SIGNATURE_ATTRIBUTE, signature.encode("utf-8"))


def _truncate_torn_tail(path: Path, name: str) -> None:
    """Cut a journal back to its last complete, valid JSON line (a crash may tear the last one);
    a whole line nested past the json-depth limit is refused, naming the output `name`."""
    good = 0
    with open(path, "rb") as stream:
        for number, line in enumerate(stream, 1):
            if not line.endswith(b"\n"):
                break
            try:
                load_json(line, f"{name}: saved record {number}")
            except ValueError:
                break
            good += len(line)
    if good != path.stat().st_size:
        with open(path, "r+b") as stream:
            stream.truncate(good)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
