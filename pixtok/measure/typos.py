"""Typos on purpose: corrupt a text deterministically, then measure what one typo costs in tokens and patches.

`corrupt(text, rate=..., kind=..., seed=...)` visits every letter and, with probability `rate`,
makes one edit there. Only letters are corrupted (and only letters are inserted): whitespace,
digits and punctuation stay, so the text keeps its lines and words. The kinds:

- `keyboard`: the letter becomes a character on a neighbouring key of the layout, on the same
  layer (Shift held or not); letters the layout has no key for are left alone.
- `substitute`: the letter becomes another letter of the same script and case taken from the
  text's own letters (so a Russian text gets Cyrillic substitutes without any table).
- `swap`: the letter trades places with the next character, when that is a different letter.
- `drop`: the letter is deleted.
- `insert`: a letter of the same script and case (from the text's letters) is typed before it.

Randomness comes from numpy's `Generator(PCG64(seed))`, drawn in a fixed order, so one seed
always gives the same edits.

`measure_edits` applies each edit on its own to the original and counts, per tokenizer, the
tokens that change (`TokenDistance`) and, per patch grid, the patches whose pixels change: the
page grid (`patch` px from the page's top-left corner) and, for each vision encoder asked for,
the page resized to the encoder's input size and cut with the encoder's patch size.
"""

from __future__ import annotations

import statistics
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pixtok.errors import UsageError
from pixtok.limits import check_unicode
from pixtok.measure.distance import (
    TokenDistance,
    background_pixel,
    differing_patches,
    encoder_grid_difference,
    encoder_view,
    pad_pair,
    render_pages,
    token_distance_ids,
)
from pixtok.measure.keyboards import Keyboard, get_layout
from pixtok.render.config import RenderConfig

KINDS: tuple[str, ...] = ("keyboard", "substitute", "swap", "drop", "insert")


@dataclass(frozen=True)
class Edit:
    """One typo: at `position` in the original text, `before` was replaced by `after`.

    keyboard/substitute: one letter for another; swap: two characters reversed; drop: `after` is
    empty; insert: `before` is empty (the new letter goes in front of position).
    """

    kind: str
    position: int
    before: str
    after: str

    @property
    def end(self) -> int:
        """Offset just past the original characters this edit replaces."""
        return self.position + len(self.before)

    def apply(self, text: str) -> str:
        """The text with this edit alone."""
        if text[self.position : self.end] != self.before:
            raise UsageError(f"edit at {self.position} does not match the text ({self.before!r})")
        return text[: self.position] + self.after + text[self.end :]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "position": self.position, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Corruption:
    """A corrupted copy of a text and the edits that made it (sorted, non-overlapping)."""

    original: str
    text: str
    edits: tuple[Edit, ...]
    kind: str
    rate: float
    seed: int
    layout: str | None
    eligible: int


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits (positions in `text`) all at once."""
    out: list[str] = []
    cursor = 0
    for edit in sorted(edits, key=lambda e: (e.position, e.end)):
        if edit.position < cursor:
            raise UsageError(f"edits overlap at offset {edit.position}")
        if text[edit.position : edit.end] != edit.before:
            raise UsageError(f"edit at {edit.position} does not match the text ({edit.before!r})")
        out.append(text[cursor : edit.position])
        out.append(edit.after)
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out)


def _script(char: str) -> str:
    """The script word of a character's Unicode name (LATIN, CYRILLIC, CJK, HANGUL, ...)."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def _case(char: str) -> int:
    return 1 if char.isupper() else 2 if char.islower() else 0


class _LetterPools:
    """The text's own letters grouped by (script, case), each group sorted for determinism."""

    def __init__(self, text: str) -> None:
        groups: dict[tuple[str, int], set[str]] = {}
        for char in set(text):
            if char.isalpha():
                groups.setdefault((_script(char), _case(char)), set()).add(char)
        self.groups = {key: sorted(chars) for key, chars in groups.items()}

    def like(self, char: str, *, exclude: bool) -> list[str]:
        pool = self.groups.get((_script(char), _case(char)), [])
        return [c for c in pool if c != char] if exclude else pool


def _check_rate(rate: float) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
        raise UsageError(f"--rate is a probability per letter, between 0 and 1; got {rate!r}")
    return float(rate)


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"--seed must be a non-negative whole number, got {seed!r}")
    return int(seed)


def eligible_positions(text: str, kind: str, keyboard: Keyboard | None = None) -> np.ndarray:
    """Offsets of the characters `kind` may corrupt (letters; for keyboard, letters with neighbours)."""
    if kind not in KINDS:
        raise UsageError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if kind == "keyboard":
        if keyboard is None:
            raise UsageError("keyboard typos need a layout")
        positions = [i for i, c in enumerate(text) if c.isalpha() and keyboard.neighbours(c)]
    elif kind == "swap":
        positions = [
            i
            for i in range(len(text) - 1)
            if text[i].isalpha() and text[i + 1].isalpha() and text[i] != text[i + 1]
        ]
    else:
        positions = [i for i, c in enumerate(text) if c.isalpha()]
    return np.asarray(positions, dtype=np.int64)


def corrupt(
    text: str,
    *,
    rate: float,
    kind: str = "keyboard",
    layout: Keyboard | str = "qwerty",
    seed: int = 0,
) -> Corruption:
    """Corrupt each eligible letter with probability `rate` (see the module doc for the kinds).

    Text that is not valid Unicode (a lone surrogate) is refused with `InputError`: no output
    or tokenizer could take the corrupted copy.
    """
    check_unicode(text)
    rate, seed = _check_rate(rate), _check_seed(seed)
    keyboard = None
    if kind == "keyboard":
        keyboard = layout if isinstance(layout, Keyboard) else get_layout(layout)
    positions = eligible_positions(text, kind, keyboard)
    rng = np.random.Generator(np.random.PCG64(seed))
    hits = positions[rng.random(len(positions)) < rate]
    pools = _LetterPools(text) if kind in ("substitute", "insert") else None
    edits: list[Edit] = []
    last_end = -1
    for position in (int(p) for p in hits):
        char = text[position]
        if kind == "swap":
            if position < last_end:  # the previous swap took this letter already
                continue
            edit = Edit(kind, position, text[position : position + 2], text[position + 1] + char)
        elif kind == "drop":
            edit = Edit(kind, position, char, "")
        else:
            if kind == "keyboard":
                choices = keyboard.neighbours(char)  # type: ignore[union-attr]
            else:
                choices = pools.like(char, exclude=kind == "substitute")  # type: ignore[union-attr]
            if not choices:
                continue
            pick = choices[int(rng.integers(len(choices)))]
            edit = Edit(kind, position, "", pick) if kind == "insert" else Edit(kind, position, char, pick)
        edits.append(edit)
        last_end = edit.end
    return Corruption(
        original=text,
        text=apply_edits(text, edits),
        edits=tuple(edits),
        kind=kind,
        rate=rate,
        seed=seed,
        layout=keyboard.name if keyboard is not None else None,
        eligible=len(positions),
    )


# -- measuring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EditEffect:
    """What one edit, applied alone, changes: tokens per tokenizer, patches per grid."""

    edit: Edit
    tokens: dict[str, TokenDistance]
    patches: dict[str, int]


@dataclass(frozen=True)
class GridInfo:
    """A patch grid measured by the report: the page grid or an encoder's view."""

    name: str
    patch: int
    patches: int
    resized: tuple[int, int] | None = None


class EditMeter:
    """The original text rendered and tokenized once; measures texts that differ from it by a few edits.

    `config` is the render config; `patch` the page grid; `encoders` are looked up by name (or
    given as objects) and each adds its own view (resized page, its own patch).
    """

    PAGE = "page"

    def __init__(
        self,
        text: str,
        *,
        tokenizers: Iterable[Any] = (),
        config: RenderConfig | None = None,
        patch: int = 16,
        encoders: Iterable[Any] = (),
    ) -> None:
        from pixtok.encoders import get_encoder
        from pixtok.render import render
        from pixtok.tokenizers import get_tokenizer

        if isinstance(patch, bool) or not isinstance(patch, int) or patch < 1:
            raise UsageError(f"--patch must be a positive whole number of pixels, not {patch!r}")
        self.text = text
        self.config = config or RenderConfig()
        self.patch = patch
        self.tokenizers = [get_tokenizer(t) if isinstance(t, str) else t for t in tokenizers]
        self.encoders = [get_encoder(e) if isinstance(e, str) else e for e in encoders]
        self.ids = {tok.name: tok.encode(text) for tok in self.tokenizers}
        self.background = background_pixel(self.config)
        self.pages = render(text, self.config).pages
        self._views: dict[tuple[int, str], np.ndarray] = {}
        self.grids = self._grids()

    def _grids(self) -> list[GridInfo]:
        from pixtok.patches import grid_shape

        total = 0
        for page in self.pages:
            rows, cols = grid_shape(page.shape[0], page.shape[1], self.patch)
            total += rows * cols
        grids = [GridInfo(self.PAGE, self.patch, total)]
        for encoder in self.encoders:
            views = [encoder_grid_difference(page, page, encoder) for page in self.pages]
            grids.append(
                GridInfo(
                    encoder.name,
                    views[0].patch,
                    sum(v.patches for v in views),
                    (views[0].width, views[0].height),
                )
            )
        return grids

    def measure(self, changed: str) -> tuple[dict[str, TokenDistance], dict[str, int]]:
        """Token distances and changed-patch counts between the original and `changed`."""
        tokens = {
            tok.name: token_distance_ids(self.ids[tok.name], tok.encode(changed), tok.name)
            for tok in self.tokenizers
        }
        pages = render_pages(changed, self.config)
        patches = {grid.name: 0 for grid in self.grids}
        for i in range(max(len(pages), len(self.pages))):
            before = self.pages[i] if i < len(self.pages) else None
            after = pages[i] if i < len(pages) else None
            if before is not None and after is not None and np.array_equal(before, after):
                continue
            a, b = pad_pair(before, after, self.background)
            patches[self.PAGE] += differing_patches(a, b, self.patch)[0]
            same_size = before is not None and before.shape == a.shape
            for encoder in self.encoders:
                view = self._original_view(i, encoder) if same_size else None
                patches[encoder.name] += encoder_grid_difference(a, b, encoder, view_a=view).differ
        return tokens, patches

    def _original_view(self, page: int, encoder: Any) -> np.ndarray:
        key = (page, encoder.name)
        if key not in self._views:
            self._views[key] = encoder_view(self.pages[page], encoder)[0]
        return self._views[key]

    def measure_edit(self, edit: Edit) -> EditEffect:
        """The effect of one edit applied alone to the original text."""
        tokens, patches = self.measure(edit.apply(self.text))
        return EditEffect(edit, tokens, patches)


def pick_edits(edits: Sequence[Edit], limit: int | None) -> list[Edit]:
    """At most `limit` edits, evenly spread over the text (all of them when `limit` is None)."""
    if limit is not None and (isinstance(limit, bool) or limit < 1):
        raise UsageError(f"--max-edits must be a positive whole number, got {limit!r}")
    if limit is None or len(edits) <= limit:
        return list(edits)
    chosen = np.unique(np.linspace(0, len(edits) - 1, limit).round().astype(int))
    return [edits[i] for i in chosen]


@dataclass
class TypoReport:
    """Per-edit effects of a corruption, averaged: tokens changed per tokenizer, patches per grid."""

    corruption: Corruption
    effects: list[EditEffect]
    grids: list[GridInfo]
    tokens_original: dict[str, int]
    combined: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One row per measure: `tokens` rows per tokenizer, `patches` rows per grid.

        Columns: `mean` (changed per edit, averaged over the measured edits), `median`, `max`,
        `combined_per_edit` (all edits applied together, divided by the number of edits) and, for
        tokens, `mean_edit` (the Levenshtein distance over ids, averaged).
        """
        n_edits = len(self.corruption.edits)

        def row(measure: str, name: str, unit: str, total: int, changed: list[int]) -> dict[str, Any]:
            combined = self.combined.get(measure, {}).get(name)
            return {
                "measure": measure,
                "name": name,
                "unit": unit,
                "total": total,
                **_summary(changed),
                "mean_edit": None,
                "combined_per_edit": round(combined / n_edits, 4) if combined is not None else None,
            }

        out: list[dict[str, Any]] = []
        for name, count in self.tokens_original.items():
            record = row("tokens", name, "token", count, [e.tokens[name].changed for e in self.effects])
            record["mean_edit"] = _mean([e.tokens[name].edit for e in self.effects])
            out.append(record)
        for grid in self.grids:
            changed = [e.patches[grid.name] for e in self.effects]
            out.append(row("patches", grid.name, f"{grid.patch}px patch", grid.patches, changed))
        return out

    def header(self) -> dict[str, Any]:
        """What was corrupted and how: the fields `pixtok typos --report --json` puts first."""
        c = self.corruption
        return {
            "chars": len(c.original),
            "kind": c.kind,
            "layout": c.layout,
            "rate": c.rate,
            "seed": c.seed,
            "eligible": c.eligible,
            "edits": len(c.edits),
            "measured": len(self.effects),
        }


def _mean(values: Sequence[int]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def _summary(values: Sequence[int]) -> dict[str, Any]:
    if not values:
        return {"mean": None, "median": None, "max": None}
    return {"mean": _mean(values), "median": float(statistics.median(values)), "max": int(max(values))}


def report_steps(corruption: Corruption, max_edits: int | None = None) -> int:
    """How many texts `typo_report` renders and tokenizes: the original, each measured edit, and
    all edits together (when there are any). Each costs about as much as the original alone."""
    measured = len(pick_edits(corruption.edits, max_edits))
    return 1 + measured + (1 if corruption.edits else 0)


def typo_report(
    corruption: Corruption,
    *,
    tokenizers: Iterable[Any] = (),
    config: RenderConfig | None = None,
    patch: int = 16,
    encoders: Iterable[Any] = (),
    max_edits: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TypoReport:
    """Measure each edit of `corruption` alone (at most `max_edits`, evenly spread) and all together.

    Every measured text is rendered and tokenized whole, so a long text takes a while per edit:
    `progress(done, total)` is called after each of the `report_steps` texts (for a progress bar).
    """
    chosen = pick_edits(corruption.edits, max_edits)
    total = report_steps(corruption, max_edits)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    meter = EditMeter(
        corruption.original, tokenizers=tokenizers, config=config, patch=patch, encoders=encoders
    )
    step()
    effects = []
    for edit in chosen:
        effects.append(meter.measure_edit(edit))
        step()
    combined: dict[str, Any] = {}
    if corruption.edits:
        tokens, patches = meter.measure(corruption.text)
        combined = {"tokens": {k: v.changed for k, v in tokens.items()}, "patches": patches}
        step()
    return TypoReport(
        corruption=corruption,
        effects=effects,
        grids=meter.grids,
        tokens_original={name: len(ids) for name, ids in meter.ids.items()},
        combined=combined,
    )


__all__ = [
    "KINDS",
    "Corruption",
    "Edit",
    "EditEffect",
    "EditMeter",
    "GridInfo",
    "TypoReport",
    "apply_edits",
    "corrupt",
    "eligible_positions",
    "pick_edits",
    "report_steps",
    "typo_report",
]
