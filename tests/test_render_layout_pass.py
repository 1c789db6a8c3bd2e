"""The compiled layout loops (`pixtok.render._layout`) against the rules they implement, each
restated here as plain Python: the facts per character of a text, greedy line breaking over
random break opportunities and advances, and where placement puts the glyphs of real text.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pixtok import RenderConfig, Renderer
from pixtok.render import _layout
from pixtok.render.harfbuzz import UNSAFE_TO_BREAK
from pixtok.render.layout import PlacedGlyphs, advances_px, lines_per_page, place
from pixtok.render.shaping import INVISIBLE
from pixtok.render.text import HANGING_SPACES, prepare

CORPUS_DIR = Path(__file__).resolve().parents[1] / "corpus"
EPS = 1e-6
HANGS = np.zeros(max(map(ord, HANGING_SPACES)) + 2, dtype=np.uint8)
HANGS[[ord(c) for c in HANGING_SPACES] + [10]] = 1
NO_INTS = np.zeros(0, dtype=np.int64)


# -- facts per character ---------------------------------------------------------------------

# Characters that matter to the facts: letters, hanging spaces, a no-break space, tab, newline.
FACT_CHARS = "ab\u4e00 \u3000\u00a0\t\n"


@st.composite
def clustered_texts(draw) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """A text, the cluster of each of its glyphs (non-decreasing, some characters with no glyph
    or several), and its runs."""
    text = draw(st.text(alphabet=FACT_CHARS, max_size=40))
    cluster: list[int] = []
    for offset in range(len(text)):
        cluster += [offset] * draw(st.integers(0, 2))
    cuts = sorted(
        draw(st.sets(st.integers(1, max(len(text) - 1, 1)), max_size=3)) if len(text) > 1 else set()
    )
    edges = [0, *cuts, len(text)]
    return text, np.asarray(cluster, dtype=np.int64), np.asarray(edges[:-1]), np.asarray(edges[1:])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(clustered_texts())
def test_text_facts_follow_their_definitions(sample: tuple[str, np.ndarray, np.ndarray, np.ndarray]) -> None:
    text, cluster, run_start, run_end = sample
    cps = np.asarray([ord(c) for c in text], dtype=np.uint32)
    char_glyph, content_end, boundary, tab = _layout.text_facts(cps, cluster, run_start, run_end, HANGS)
    n = len(text)
    for i in range(n + 1):
        assert char_glyph[i] == next((g for g, c in enumerate(cluster) if c >= i), len(cluster))
        kept = [k for k in range(i) if text[k] not in HANGING_SPACES + "\n"]
        assert content_end[i] == (kept[-1] + 1 if kept else 0)
        starts = set(cluster) | set(run_start) | set(run_end) | {n}
        starts |= {k for k in range(n) if text[k] == "\n"} | {k + 1 for k in range(n) if text[k] == "\n"}
        assert boundary[i] == (i in starts)
    assert tab.tolist() == [k for k, c in enumerate(text) if c == "\t"]


def test_text_facts_refuse_glyphs_out_of_logical_order() -> None:
    cps = np.asarray([97, 98, 99], dtype=np.uint32)
    cluster = np.asarray([0, 2, 1], dtype=np.int64)
    assert _layout.text_facts(cps, cluster, np.asarray([0]), np.asarray([3]), HANGS) is None


# -- greedy line breaking --------------------------------------------------------------------


@st.composite
def breaking_problems(draw) -> dict:
    """Characters with one glyph each and non-negative advances, random soft breaks (some not at
    a cluster boundary), forced breaks ending with the end of the text, hanging spaces, and a
    width and indent."""
    n = draw(st.integers(0, 50))
    advance = draw(st.lists(st.sampled_from([0.0, 0.5, 1.25, 3.0, 7.75, 12.0]), min_size=n, max_size=n))
    hanging = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    soft = sorted(draw(st.sets(st.integers(1, max(n, 1)), max_size=n))) if n else []
    forced = sorted((draw(st.sets(st.integers(1, n), max_size=max(n // 8, 1))) if n else set()) | {n})
    boundary = [True] * (n + 1)
    for offset in draw(st.sets(st.integers(1, max(n - 1, 1)), max_size=n // 4)) if n > 1 else ():
        if offset not in forced:
            boundary[offset] = False
    return {
        "advance": np.asarray(advance, dtype=np.float64),
        "hanging": hanging,
        "soft": np.asarray(soft, dtype=np.int64),
        "forced": np.asarray(forced, dtype=np.int64),
        "boundary": np.asarray(boundary, dtype=bool),
        "width": draw(st.sampled_from([6.0, 10.0, 24.5, 60.0])),
        "indent": draw(st.sampled_from([0.0, 0.0, 2.5])),
    }


def reference_lines(problem: dict) -> list[tuple[int, int, int, bool, bool]]:
    """Greedy breaking stated plainly: from `s`, take the last candidate up to the next forced
    break whose content (hanging spaces trimmed) ends no further than the room past the pen at
    `s`; where none fits, cut the word after its first character (what `cut_after_one` does)."""
    advance, hanging = problem["advance"], problem["hanging"]
    n = len(advance)
    position = [0.0]
    for a in advance:
        position.append(a if len(position) == 1 else position[-1] + a)
    content_end = [0]
    for k in range(n):
        content_end.append(content_end[-1] if hanging[k] else k + 1)
    forced = set(problem["forced"].tolist())
    cands = sorted({int(s) for s in problem["soft"] if problem["boundary"][s]} | forced)
    lines = []
    s, first, j = 0, True, 0
    while j < len(cands):
        stop = next(k for k in range(j, len(cands)) if cands[k] in forced)
        room = problem["width"] - (problem["indent"] if first else 0.0)
        fits = [
            k
            for k in range(j, stop + 1)
            if position[max(content_end[cands[k]], s)] <= position[s] + room + EPS
        ]
        if fits:
            k = fits[-1]
            lines.append((s, max(content_end[cands[k]], s), cands[k], first, k == stop))
            s, first, j = cands[k], k == stop, k + 1
            continue
        cut = min(s + 1, cands[j])
        if cut == cands[j]:
            lines.append((s, max(content_end[cut], s), cut, first, j == stop))
            s, first, j = cut, j == stop, j + 1
        else:
            lines.append((s, cut, cut, first, False))
            s, first = cut, False
    return lines


def cut_after_one(positions: np.ndarray, s: int, c: int, available: float) -> int:
    return min(s + 1, c)


def no_tabs(s: int, stop: int, indent: float) -> np.ndarray:
    raise AssertionError("a text without tabs has no line with a tab")


@settings(max_examples=400, deadline=None, derandomize=True)
@given(breaking_problems())
def test_greedy_lines_match_greedy_breaking_stated_plainly(problem: dict) -> None:
    n = len(problem["advance"])
    cps = np.asarray([32 if h else 97 for h in problem["hanging"]], dtype=np.uint32)
    cluster = np.arange(n, dtype=np.int64)
    char_glyph, content_end, _, tab = _layout.text_facts(cps, cluster, NO_INTS, NO_INTS, HANGS)
    start, end, next_start, first, last, level, available = _layout.greedy_lines(
        problem["advance"],
        char_glyph,
        content_end,
        problem["boundary"].view(np.uint8),
        tab,
        problem["soft"],
        problem["forced"],
        np.ones(n, dtype=np.int8),
        problem["width"],
        problem["indent"],
        EPS,
        no_tabs,
        cut_after_one,
    )
    got = list(
        zip(start.tolist(), end.tolist(), next_start.tolist(), first.tolist(), last.tolist(), strict=True)
    )
    assert got == reference_lines(problem)
    # Lines tile the text, and know their paragraph level and room.
    assert start[0] == 0 and next_start[-1] == n
    assert np.array_equal(start[1:], next_start[:-1])
    assert np.all(level == (1 if n else 0))
    assert np.array_equal(available, problem["width"] - np.where(first, problem["indent"], 0.0))


@pytest.mark.parametrize(
    ("soft", "forced", "message"),
    [([3], [1], "the end of the text"), ([2, 1], [3], "ascending"), ([4], [3], "outside the text")],
)
def test_greedy_lines_refuse_breaks_they_cannot_follow(
    soft: list[int], forced: list[int], message: str
) -> None:
    advance = np.ones(3)
    char_glyph = np.arange(4, dtype=np.int64)
    with pytest.raises(ValueError, match=message):
        _layout.greedy_lines(
            advance, char_glyph, char_glyph, np.ones(4, dtype=np.uint8), NO_INTS,
            np.asarray(soft), np.asarray(forced), np.zeros(3, dtype=np.int8), 10.0, 0.0, EPS,
            no_tabs, cut_after_one,
        )  # fmt: skip


# -- placement of real text ------------------------------------------------------------------


@cache
def corpus(name: str) -> str:
    return (CORPUS_DIR / name).read_text(encoding="utf-8")


def laid_out(text: str, **options: object) -> tuple:
    """Shaped glyphs, advances, lines and facts of `text` as the renderer breaks it, and its
    geometry and line box."""
    renderer = Renderer(RenderConfig(**options))
    config = renderer.config
    shaped = renderer.shaper.shape(prepare(text, config.newlines), config.lang)
    breaks = renderer._breaks(prepare(text, config.newlines), shaped)
    geometry = renderer.geometry
    box = renderer.line_box(shaped).scaled(geometry.size)
    shaped, advance, lines, facts = renderer._lines(shaped, breaks, geometry)
    return renderer, shaped, advance, lines, facts, geometry, box


TEXTS = {
    "latin": ("en_prose_debian-reference.txt", 0, 1500),
    "chinese": ("zh-cn_prose_debian-reference.txt", 0, 700),
    "arabic": ("ar_msgstr_gtk20-properties.txt", 0, 1500),
    "hindi": ("hi_prose_libreoffice-help.txt", 0, 900),
}


@pytest.mark.parametrize("align", ["left", "right", "center", "justify", "start"])
@pytest.mark.parametrize("script", sorted(TEXTS))
def test_placement_puts_each_glyph_once_where_its_line_says(script: str, align: str) -> None:
    name, start, length = TEXTS[script]
    renderer, shaped, advance, lines, facts, geometry, box = laid_out(
        corpus(name)[start : start + length],
        page="360x160",
        align=align,
        indent="9px",
        letter_spacing="0.5px",
    )
    text = shaped.text
    upem = renderer.upem()
    placed = place(shaped, advance, lines, geometry, align, 1.0, box, upem, facts)
    assert isinstance(placed, PlacedGlyphs)
    n_lines = len(lines)
    per_page = lines_per_page(geometry, box)

    # Every visible glyph of every line, once, on that line and its page.
    expected_line = {}
    for line in range(n_lines):
        g0 = int(facts.char_glyph[lines.start[line]])
        g1 = max(int(facts.char_glyph[lines.end[line]]), g0)
        for g in range(g0, g1):
            if shaped.gid[g] != INVISIBLE:
                expected_line[g] = line
    assert sorted(placed.index.tolist()) == sorted(expected_line)
    assert [expected_line[g] for g in placed.index.tolist()] == placed.line.tolist()
    assert np.array_equal(placed.page, placed.line // per_page)
    assert np.all(np.diff(placed.line) >= 0)

    # Each line's pen runs through its advances from where its alignment puts it; with
    # justification every line but a paragraph's last fills its room when it can stretch.
    left, width = geometry.margins[3], geometry.text_width
    scale = geometry.size / upem[shaped.font[placed.index]]
    pen = placed.x - shaped.x_offset[placed.index] * scale
    baseline = placed.baseline + shaped.y_offset[placed.index] * scale
    rtl = lines.base_level % 2 == 1
    assert placed.page.max() >= 1
    for line in np.unique(placed.line).tolist():
        on = placed.line == line
        x, adv = pen[on], placed.advance[on]  # in visual order
        assert np.allclose(x[1:], (x + adv)[:-1], atol=1e-6)
        line_left, line_right = x[0], x[-1] + adv[-1]
        indent = geometry.indent if lines.paragraph_start[line] else 0.0
        at_right = rtl[line] if align in ("start", "justify") else align == "right"
        if align == "center":
            assert (line_left + line_right) / 2 == pytest.approx(left + width / 2, abs=1e-6)
        elif at_right:
            assert line_right == pytest.approx(left + width - (indent if rtl[line] else 0.0), abs=1e-6)
        else:
            assert line_left == pytest.approx(left + (0.0 if rtl[line] else indent), abs=1e-6)
        if (
            align == "justify"
            and not lines.paragraph_end[line]
            and line_right - line_left < lines.available[line]
        ):
            # A line left short holds no separator or CJK character to stretch between.
            assert line_right - line_left == pytest.approx(lines.available[line], abs=1e-6) or not any(
                c in " \u3000" or "\u4e00" <= c <= "\u9fff" for c in text[lines.start[line] : lines.end[line]]
            )
        assert baseline[on] == pytest.approx(
            box.baseline(np.asarray([line % per_page]), geometry)[0], abs=1e-6
        )
    assert placed.overflow_clusters == 0


def test_placement_counts_clusters_past_the_text_area() -> None:
    text = "iii WWW ii W i"  # at 48 px a W is wider than the 40 px line
    renderer, shaped, advance, lines, facts, geometry, box = laid_out(
        text, page="50x900", margin="5px", size="48px"
    )
    placed = place(shaped, advance, lines, geometry, "left", 1.0, box, renderer.upem(), facts)
    right = geometry.margins[3] + geometry.text_width
    past = {
        int(shaped.cluster[g])
        for g, x, a in zip(placed.index, placed.x, placed.advance, strict=True)
        if x + a > right + 0.5
    }
    assert past == {k for k, c in enumerate(text) if c == "W"}
    assert placed.overflow_clusters == len(past)


def test_advances_scale_font_units_and_space_clusters() -> None:
    text = "Ve\u0301 wa"  # a mark after e takes no letter spacing of its own
    renderer, shaped, *_ = laid_out(text, letter_spacing="1.5px", hscale=0.8)
    geometry = renderer.geometry
    upem = renderer.upem()
    advance = advances_px(shaped, upem, geometry, 0.8)
    plain = advances_px(shaped, upem, replace(geometry, letter_spacing=0.0), 0.8)
    for g in range(len(shaped.gid)):
        assert plain[g] == pytest.approx(shaped.advance[g] * geometry.size * 0.8 / upem[shaped.font[g]])
        last_of_cluster = g == len(shaped.gid) - 1 or shaped.cluster[g + 1] != shaped.cluster[g]
        before_mark = g + 1 < len(shaped.gid) and text[shaped.cluster[g + 1]] == "\u0301"
        spaced = last_of_cluster and not before_mark and shaped.gid[g] != INVISIBLE
        assert advance[g] - plain[g] == pytest.approx(1.5 if spaced else 0.0)


# -- the edges of unsafe breaks -------------------------------------------------------------


def edge_pieces_stated_plainly(
    unsafe, line_of_break, run_start, run_end, line_start, line_end, starts, safe, edge
):
    """The pieces around unsafe breaks, one break at a time with numpy's searches."""
    pieces: list[tuple[int, int]] = []
    for b, line in zip(unsafe.tolist(), line_of_break.tolist(), strict=True):
        r = int(np.searchsorted(run_start, b, side="right")) - 1
        r = r if r >= 0 and b < run_end[r] else -1
        lo = max(int(run_start[r]), int(line_start[line]))
        hi = min(int(run_end[r]), int(line_end[line + 1]) if line + 1 < len(line_start) else int(run_end[r]))
        first, last = np.searchsorted(starts, [lo, b])
        first = max(int(first), int(last) - edge)
        ok = np.flatnonzero(safe[first:last])
        a = int(starts[first + ok[-1]]) if len(ok) else lo
        first, last = np.searchsorted(starts, b, side="right"), np.searchsorted(starts, hi)
        last = min(int(last), int(first) + edge)
        ok = np.flatnonzero(safe[first:last])
        c = int(starts[first + ok[0]]) if len(ok) else hi
        a = max(a, pieces[-1][1]) if pieces else a
        run = r % len(run_start)
        pieces += [(a, b, run)] if a < b else []
        pieces += [(b, c, run)] if b < c else []
    return np.asarray(pieces, dtype=np.int64).reshape(-1, 3)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_edge_pieces_follow_the_rules_stated_plainly(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 120))
    cuts = np.unique(rng.integers(1, n, int(rng.integers(0, 6))))
    run_start, run_end = np.concatenate(([0], cuts)), np.concatenate((cuts, [n]))
    line_cuts = np.unique(rng.integers(1, n, int(rng.integers(1, 12))))
    line_start, line_end = np.concatenate(([0], line_cuts)), np.concatenate((line_cuts, [n]))
    starts = np.unique(rng.integers(1, n, int(rng.integers(1, n))))
    safe = rng.random(len(starts)) < rng.random()
    inside = line_cuts[~np.isin(line_cuts, run_start)]  # breaks inside runs, as the layout asks
    unsafe = np.sort(rng.choice(inside, int(rng.integers(0, len(inside) + 1)), replace=False))
    line_of_break = np.searchsorted(line_end, unsafe)
    edge = int(rng.integers(1, 6))
    columns = (unsafe, line_of_break, run_start, run_end, line_start, line_end, starts)
    expected = edge_pieces_stated_plainly(*columns, safe, edge)
    # The pass reads where lines may start from a flag per character, and whether each is safe
    # from the glyph of that character: one glyph per character here, some of them flagged.
    boundary = np.zeros(n + 1, dtype=np.uint8)
    boundary[starts] = 1
    boundary[n] = rng.integers(0, 2)  # the end of the text is no place a line starts
    flags = rng.integers(0, 256, n).astype(np.uint8) & ~np.uint8(UNSAFE_TO_BREAK)
    flags[starts[~safe]] |= UNSAFE_TO_BREAK
    char_glyph = np.arange(n + 1, dtype=np.int64)
    lines = (line_end, run_start, run_end, line_start, line_end)  # a line starts where the last ended
    ours = _layout.edge_pieces(
        unsafe.astype(np.int64), *(c.astype(np.int64) for c in lines), boundary, char_glyph, flags,
        UNSAFE_TO_BREAK, edge,
    )  # fmt: skip
    assert np.array_equal(ours, expected)


def replaced_spans(rng: np.random.Generator, glyphs: int, most: int) -> tuple[np.ndarray, np.ndarray]:
    """[start, end) spans of fewer than `most` pieces of a text of `glyphs` glyphs, ascending and
    apart (some empty), as line edges shaped again replace them."""
    bounds = np.sort(rng.integers(0, glyphs + 1, 2 * int(rng.integers(0, most))))
    return bounds[0::2].copy(), bounds[1::2].copy()


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_a_splice_keeps_the_glyphs_between_pieces_and_puts_each_piece_s_in_place(seed: int) -> None:
    rng = np.random.default_rng(seed)
    glyphs = int(rng.integers(0, 60))
    replaced_start, replaced_end = replaced_spans(rng, glyphs, 8)
    count = rng.integers(0, 6, len(replaced_start))
    column = np.arange(100, 100 + glyphs)
    fresh = np.arange(1000, 1000 + int(count.sum()))
    parts, g, f = [], 0, 0
    for a, b, k in zip(replaced_start.tolist(), replaced_end.tolist(), count.tolist(), strict=True):
        parts += [column[g:a], fresh[f : f + k]]
        g, f = b, f + k
    expected = np.concatenate([*parts, column[g:]])
    index = _layout.splice_index(replaced_start, replaced_end, count.astype(np.int64), glyphs)
    assert np.array_equal(np.concatenate((column, fresh))[index], expected)


GLYPH_DTYPES = (np.int32,) * 5 + (np.int64, np.int8, np.uint8)  # gid ... y_offset, cluster, level, flags


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_spliced_glyph_columns_are_the_gather_or_none_when_nothing_but_flags_changed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    glyphs = int(rng.integers(0, 40))
    replaced_start, replaced_end = replaced_spans(rng, glyphs, 5)
    old = tuple(rng.integers(0, 3, glyphs).astype(dtype) for dtype in GLYPH_DTYPES)
    replaced = np.concatenate(
        [np.arange(a, b) for a, b in zip(replaced_start, replaced_end, strict=True)] or [[]]
    )
    if rng.random() < 0.5:  # shaped again as they were, flags aside, or one value changed
        count = replaced_end - replaced_start
        fresh = [column[replaced.astype(np.int64)].copy() for column in old]
        fresh[7] = rng.integers(0, 3, len(replaced)).astype(np.uint8)
        if len(replaced) and rng.random() < 0.5:
            column = int(rng.integers(0, 7))
            fresh[column][int(rng.integers(0, len(replaced)))] += 1
    else:
        count = rng.integers(0, 4, len(replaced_start))
        fresh = [rng.integers(0, 3, int(count.sum())).astype(dtype) for dtype in GLYPH_DTYPES]
    index = _layout.splice_index(replaced_start, replaced_end, count.astype(np.int64), glyphs)
    expected = [np.concatenate((o, f))[index] for o, f in zip(old, fresh, strict=True)]
    spliced = _layout.splice_glyphs(index, old, tuple(fresh))
    unchanged = len(index) == glyphs and all(
        np.array_equal(e, o) for e, o in zip(expected[:7], old[:7], strict=True)
    )
    if unchanged:
        assert spliced is None
    else:
        assert spliced is not None
        for ours, theirs, dtype in zip(spliced, expected, GLYPH_DTYPES, strict=True):
            assert ours.dtype == dtype and np.array_equal(ours, theirs)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_unsafe_breaks_follow_the_rules_stated_plainly(seed: int) -> None:
    """The breaks a line layout reshapes around: HarfBuzz flagged the glyph after the break
    unsafe to break, the break is inside the text, not past its last glyph, and not at a run's
    edge (the numpy statement the compiled walk replaced)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    glyphs = int(rng.integers(0, n + 3))
    flags = rng.integers(0, 8, glyphs).astype(np.uint8)
    char_glyph = np.sort(rng.integers(0, glyphs + 1, n + 1)).astype(np.int64)
    cuts = np.unique(rng.integers(1, n + 1, int(rng.integers(0, 5))))
    run_start, run_end = np.concatenate(([0], cuts)), np.concatenate((cuts, [n]))
    breaks = np.unique(rng.integers(1, n + 1, int(rng.integers(0, 12)))).astype(np.int64)

    inside = char_glyph[breaks] < len(flags)
    flagged = np.zeros(len(breaks), dtype=bool)
    flagged[inside] = (flags[char_glyph[breaks][inside]] & UNSAFE_TO_BREAK) != 0
    expected = breaks[flagged]
    run_edges = np.zeros(n + 1, dtype=bool)
    run_edges[run_start] = run_edges[run_end] = True
    expected = expected[~run_edges[expected] & (expected < n)]

    runs = run_start.astype(np.int64), run_end.astype(np.int64)
    ours = _layout.unsafe_breaks(breaks, char_glyph, flags, UNSAFE_TO_BREAK, *runs, n)
    assert ours.tolist() == expected.tolist()
