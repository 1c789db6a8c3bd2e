"""Totals over a stream of result records, overall and per group, in bounded memory.

`Totals(summarize, group_by="lang")` takes records one at a time. A command's `summarize(records,
name)` (e.g. `pixtok.compare.summarize`) adds counts and derives ratios from the sums; folding
batches through it — `summarize([total so far, *next batch])` — gives the same totals as one call
over every record, because a total has the same counts as the records it sums. Only one batch per
group is ever held, so memory does not grow with the corpus. Failed records (with an `error`) are
counted, with the first message kept for the run's one-line failure summary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Summarize = Callable[[Sequence[Mapping[str, Any]], str], dict[str, Any]]

#: Records held per group before they are folded into its running total.
FOLD_EVERY = 256
#: The key of a total that counts the records in it (compare's totals call it `inputs`).
COUNT_KEY = "inputs"


class Totals:
    """Running totals of successful records, overall and by the value of one field."""

    def __init__(
        self,
        summarize: Summarize,
        group_by: str | None = None,
        *,
        id_key: str = "input",
        fold_every: int = FOLD_EVERY,
    ) -> None:
        self.summarize = summarize
        self.group_by = group_by
        self.id_key = id_key
        self.fold_every = fold_every
        self.records = 0
        self.failed = 0
        self.first_failure: tuple[str, str] | None = None
        self._total = _Running(summarize, "total", fold_every)
        self._groups: dict[Any, _Running] = {}

    def add(self, record: Mapping[str, Any]) -> None:
        """Count one result record (a failed one only in the failure count)."""
        self.records += 1
        if "error" in record:
            self.failed += 1
            if self.first_failure is None:
                self.first_failure = (str(record.get(self.id_key)), str(record["error"]))
            return
        self._total.add(record)
        if self.group_by is not None:
            value = record.get(self.group_by)
            key = _group_key(value)
            if key not in self._groups:
                name = _group_name(self.group_by, value)
                self._groups[key] = _Running(self.summarize, name, self.fold_every, {self.group_by: value})
            self._groups[key].add(record)

    @property
    def succeeded(self) -> int:
        return self.records - self.failed

    def total(self) -> dict[str, Any] | None:
        """The total over successful records, or None when there are none."""
        return self._total.result()

    def groups(self) -> list[dict[str, Any]]:
        """One total per value of the group-by field, in sorted order of the values (null last)."""
        out = []
        for key in sorted(self._groups, key=lambda k: (k[0], k[1])):
            result = self._groups[key].result()
            if result is not None:
                out.append(result)
        return out

    def failure_summary(self) -> str | None:
        """One line saying how many records failed and the first reason, or None if none did."""
        if not self.failed:
            return None
        assert self.first_failure is not None
        record_id, message = self.first_failure
        return (
            f"{self.failed} of {self.records} records failed (first: {record_id}: {message}); "
            "each failed record is written with an error field"
        )


def _group_key(value: Any) -> tuple[int, str]:
    """A sort key that orders values of mixed types stably: text by value, null last."""
    if value is None:
        return (1, "")
    return (0, str(value))


def _group_name(field: str, value: Any) -> str:
    return f"{field}={'null' if value is None else value}"


class _Running:
    """One running total: a folded result plus a batch of records not yet folded in."""

    def __init__(
        self, summarize: Summarize, name: str, fold_every: int, label: dict[str, Any] | None = None
    ) -> None:
        self.summarize = summarize
        self.name = name
        self.label = label or {}
        self.fold_every = fold_every
        self.count = 0
        self.folded: dict[str, Any] | None = None
        self.pending: list[Mapping[str, Any]] = []

    def add(self, record: Mapping[str, Any]) -> None:
        self.pending.append(record)
        self.count += 1
        if len(self.pending) >= self.fold_every:
            self._fold()

    def _fold(self) -> None:
        batch = ([self.folded] if self.folded is not None else []) + self.pending
        self.folded = self.summarize(batch, self.name)
        self.pending = []

    def result(self) -> dict[str, Any] | None:
        if not self.count:
            return None
        if self.pending:
            self._fold()
        assert self.folded is not None
        if COUNT_KEY in self.folded:
            self.folded[COUNT_KEY] = self.count
        items = list(self.folded.items())
        # The group's value follows the row name, so JSON readers get it with its own type.
        return dict(items[:1] + list(self.label.items()) + items[1:])
