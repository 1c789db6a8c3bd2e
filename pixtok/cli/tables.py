"""Terminal tables that fit the terminal without breaking a word.

rich shrinks a table that is too wide by folding its columns at any character, which cuts
headers and names mid-word (`patche s`, `mistra l-spm`). Here the column widths are chosen
first, trying in turn: a boxed table at natural widths; the same with headers wrapped at spaces
and after hyphens (never narrower than the longest piece that cannot be broken); a compact table
without borders (two spaces between columns), natural then wrapped; and, when even that is too
wide, the columns split over several compact tables that each repeat the first column (the row
names). rich then draws each table at exactly those widths.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text


@dataclass(frozen=True)
class _Style:
    """How a table is drawn, and what that costs in width beyond its cells."""

    boxed: bool

    def overhead(self, columns: int) -> int:
        # Boxed: a border and a space of padding on each side of every cell, and the left edge.
        # Compact: two spaces between columns.
        return 3 * columns + 1 if self.boxed else 2 * (columns - 1)

    def table(self, title: str | None, show_header: bool) -> Table:
        if self.boxed:
            return Table(title=title, show_header=show_header)
        return Table(
            title=title,
            show_header=show_header,
            box=box.SIMPLE_HEAD,
            show_edge=False,
            padding=(0, 1, 0, 0),
            pad_edge=False,
        )


BOXED, COMPACT = _Style(boxed=True), _Style(boxed=False)
#: The row names (first column) may fold down to this width when nothing else fits: a long
#: path then takes two lines rather than pushing the counts off the screen.
NAME_FOLD_WIDTH = 20
#: ... and down to this width on a terminal too narrow for anything else.
NAME_MIN_WIDTH = 8
_NUMBER = re.compile(r"^-?[0-9][0-9,]*(\.[0-9]+)?%?$|^-$")


def pieces(header: str) -> list[list[str]]:
    """A header's words (split at spaces), each cut after its hyphens: the places it may wrap.

    >>> pieces("non-blank patches")
    [['non-', 'blank'], ['patches']]
    """
    return [re.findall(r"[^-]*-|[^-]+", word) for word in header.split()]


def wrap_header(header: str, width: int) -> str:
    """The header wrapped to lines of at most `width` characters at spaces and after hyphens
    (a piece longer than `width` stays whole on its own line)."""
    lines: list[str] = []
    line = ""
    for word in pieces(header):
        for index, piece in enumerate(word):
            joiner = "" if index or not line else " "
            if line and len(line) + len(joiner) + len(piece) > width:
                lines.append(line)
                line, joiner = "", ""
            line += joiner + piece
    if line:
        lines.append(line)
    return "\n".join(lines)


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


@dataclass(frozen=True)
class _Column:
    header: str
    cells: tuple[str, ...]
    wraps: bool  # whether the cells may wrap at spaces (prose), or stay on one line (values)
    folds: bool = False  # whether the cells may fold anywhere (the row names)

    @property
    def natural(self) -> int:
        return max([len(self.header), *(len(c) for c in self.cells)])

    @property
    def least(self) -> int:
        header = max((len(p) for word in pieces(self.header) for p in word), default=0)
        if self.wraps:
            cells = max((_longest_word(c) for c in self.cells), default=0)
        else:
            cells = max((len(c) for c in self.cells), default=0)
        if self.folds:
            cells = min(cells, NAME_FOLD_WIDTH)
        return max(header, cells, 1)

    @property
    def numeric(self) -> bool:
        return bool(self.cells) and all(_NUMBER.match(c) for c in self.cells)


def _widths(columns: Sequence[_Column], available: int, style: _Style) -> list[int] | None:
    """Column widths that fit `available` characters, or None when no widths fit."""
    room = available - style.overhead(len(columns))
    natural = [c.natural for c in columns]
    if sum(natural) <= room:
        return natural
    widths = [c.least for c in columns]
    excess = sum(widths) - room
    for i, column in enumerate(columns):  # the row names give way first, down to NAME_MIN_WIDTH
        if excess > 0 and column.folds:
            given = min(excess, max(widths[i] - NAME_MIN_WIDTH, 0))
            widths[i] -= given
            excess -= given
    if excess > 0:
        return None
    # Hand the spare characters out one at a time: first to the values' columns, each time to the
    # one that has the smallest share of its natural width (so long prose columns grow together
    # and the headers that wrap most unwrap first), then to the row names.
    spare = room - sum(widths)
    for folding in (False, True):
        while spare > 0:
            short = [
                (widths[i] / natural[i], i)
                for i, column in enumerate(columns)
                if widths[i] < natural[i] and column.folds == folding
            ]
            if not short:
                break
            _, index = min(short)
            widths[index] += 1
            spare -= 1
    return widths


def _split(columns: Sequence[_Column], available: int) -> list[list[int]]:
    """Indices of the columns of each table: the first column, the row names, repeats in each."""
    groups: list[list[int]] = []
    current = [0]
    for index in range(1, len(columns)):
        trial = [*current, index]
        if _widths([columns[i] for i in trial], available, COMPACT) is not None or len(current) == 1:
            current = trial
        else:
            groups.append(current)
            current = [0, index]
    groups.append(current)
    return groups


def print_rows(
    console: Console,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    show_header: bool = True,
    wrapping: Sequence[bool] | None = None,
) -> None:
    """Print rows of already formatted cells under `header`, fitted to the console's width.

    `wrapping[i]` says whether column i holds prose that may wrap at spaces; other cells stay
    on one line.
    """
    wraps = list(wrapping) if wrapping is not None else [False] * len(header)
    columns = [
        _Column(name, tuple(row[i] for row in rows), wraps[i], folds=i == 0 and len(header) > 2)
        for i, name in enumerate(header)
    ]
    available = console.width
    style, groups = BOXED, [list(range(len(columns)))]
    if _widths(columns, available, BOXED) is None:
        style = COMPACT
        if _widths(columns, available, COMPACT) is None and len(columns) > 2:
            groups = _split(columns, available)
    for number, group in enumerate(groups):
        chosen = [columns[i] for i in group]
        widths = _widths(chosen, available, style) or [None] * len(chosen)
        caption = title if number == 0 else f"{title or 'table'}, continued"
        table = style.table(caption, show_header)
        for column, width in zip(chosen, widths, strict=True):
            heading = wrap_header(column.header, width) if width is not None else column.header
            table.add_column(
                Text(heading),
                width=width,
                no_wrap=not (column.wraps or column.folds) and width is not None,
                overflow="fold",
                justify="right" if column.numeric else "left",
            )
        for row in rows:
            table.add_row(*(Text(row[i]) for i in group))
        console.print(table)
        if not style.boxed:
            console.print()  # a borderless table ends with a blank line, so the next one stands apart
