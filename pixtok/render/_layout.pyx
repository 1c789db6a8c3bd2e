# cython: language_level=3
"""The per-text loops of `layout`: glyph advances, facts per character, greedy line breaking
and pen positions, one compiled pass each.

`layout` states the rules; these functions run them. A window of some 800 characters makes
about 40 lines of 20 glyphs, and the numpy version of these stages spent its time on the fixed
cost of a few hundred small array calls, not on the characters. Every float here is computed
with the operations, and in the order, of the numpy expressions they replace (sums run left to
right, as np.cumsum and np.bincount add), so pages and layouts are the same to the bit.

Rare cases stay in Python and are called back: the pen positions of a line holding a tab, and
where a word wider than its line is cut between grapheme clusters.
"""

import numpy as np

from pixtok.render._bidi import visual_order_lines

cimport numpy as cnp
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint32_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memset

from pixtok.render._arrays cimport (
    new_array, new_matrix, new_zeros, read_flags, read_float64, read_int32, read_int64, read_int8,
    read_uint32, read_uint8, write_flags, write_float64, write_int32, write_int64, write_int8, write_uint8,
)

cnp.import_array()


cdef void* allocate(size_t size) except NULL:
    """`size` bytes from malloc (at least one), or MemoryError."""
    cdef void* block = malloc(size if size else 1)
    if block == NULL:
        raise MemoryError()
    return block


def glyph_advances(
    advance_array,
    font_array,
    upem_array,
    double scale,
    cluster_array,
    gid_array,
    is_mark_array,
    double letter_spacing,
    int32_t invisible,
):
    """Pen advance of every glyph in px: its advance in font units times `scale` (size and
    horizontal scale) over the units per em of its font, plus `letter_spacing` after the last
    glyph of a cluster that is not followed by a combining mark (`is_mark`, per character) and
    is not `invisible`. Zero `letter_spacing`: no spacing at all."""
    cdef Py_ssize_t advance_n, font_n, upem_n, cluster_n, gid_n, is_mark_n
    cdef const int32_t* advance = read_int32(advance_array, &advance_n)
    cdef const int32_t* font = read_int32(font_array, &font_n)
    cdef const double* upem = read_float64(upem_array, &upem_n)
    cdef const int64_t* cluster = read_int64(cluster_array, &cluster_n)
    cdef const int32_t* gid = read_int32(gid_array, &gid_n)
    cdef const uint8_t* is_mark = read_uint8(is_mark_array, &is_mark_n)
    cdef Py_ssize_t n = advance_n, g, f
    if not (font_n == cluster_n == gid_n == n):
        raise ValueError("the glyph columns differ in length")
    out = new_array(n, cnp.NPY_FLOAT64)
    cdef double* px = write_float64(out, NULL)
    cdef bint cluster_end, before_mark
    cdef double* px_per_unit = <double*>allocate(upem_n * sizeof(double))
    for f in range(upem_n):
        px_per_unit[f] = scale / upem[f]
    for g in range(n):
        px[g] = <double>advance[g] * px_per_unit[font[g]]
    free(px_per_unit)
    if letter_spacing != 0.0:
        for g in range(n):
            cluster_end = g == n - 1 or cluster[g + 1] != cluster[g]
            before_mark = g < n - 1 and is_mark[cluster[g + 1]]
            if cluster_end and not before_mark and gid[g] != invisible:
                px[g] = px[g] + letter_spacing
            else:
                px[g] = px[g] + 0.0
    return out


def text_facts(
    cps_array,
    cluster_array,
    run_start_array,
    run_end_array,
    hanging_array,
):
    """Facts per character boundary 0..n of a text of n characters whose glyphs belong to the
    characters `cluster` (non-decreasing):

    - char_glyph: the first glyph whose cluster is at or after the boundary;
    - content_end: the boundary just after the last character before it that is not a hanging
      space (`hanging`, indexed by code point, its last entry standing for every code point
      past the table);
    - boundary: where a line may start without splitting a cluster (cluster starts, run edges,
      both sides of a newline, the end);
    - tab: offsets of the tab characters.

    Returns None where `cluster` is not in order.
    """
    cdef Py_ssize_t cps_n, cluster_n, run_start_n, run_end_n, hanging_n
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef const int64_t* cluster = read_int64(cluster_array, &cluster_n)
    cdef const int64_t* run_start = read_int64(run_start_array, &run_start_n)
    cdef const int64_t* run_end = read_int64(run_end_array, &run_end_n)
    cdef const uint8_t* hanging = read_uint8(hanging_array, &hanging_n)
    cdef Py_ssize_t n = cps_n, n_glyphs = cluster_n, last_code = hanging_n - 1
    cdef Py_ssize_t i, g, r, tabs = 0
    cdef int64_t last_content = 0
    for g in range(1, n_glyphs):
        if cluster[g] < cluster[g - 1]:
            return None
    char_glyph_arr = new_array(n + 1, cnp.NPY_INT64)
    content_end_arr = new_array(n + 1, cnp.NPY_INT64)
    boundary_arr = new_zeros(n + 1, cnp.NPY_BOOL)
    cdef int64_t* char_glyph = write_int64(char_glyph_arr, NULL)
    cdef int64_t* content_end = write_int64(content_end_arr, NULL)
    cdef uint8_t* boundary = write_flags(boundary_arr, NULL)
    g = 0
    for i in range(n + 1):
        while g < n_glyphs and cluster[g] < i:
            g += 1
        char_glyph[i] = g
    content_end[0] = 0
    for i in range(n):
        if not hanging[min(<Py_ssize_t>cps[i], last_code)]:
            last_content = i + 1
        content_end[i + 1] = last_content
        if cps[i] == 9:
            tabs += 1
        elif cps[i] == 10:
            boundary[i] = 1
            boundary[i + 1] = 1
    for g in range(n_glyphs):
        boundary[cluster[g]] = 1
    for r in range(run_start_n):
        boundary[run_start[r]] = 1
    for r in range(run_end_n):
        boundary[run_end[r]] = 1
    boundary[n] = 1
    tab_arr = new_array(tabs, cnp.NPY_INT64)
    cdef int64_t* tab = write_int64(tab_arr, NULL)
    tabs = 0
    for i in range(n):
        if cps[i] == 9:
            tab[tabs] = i
            tabs += 1
    return char_glyph_arr, content_end_arr, boundary_arr, tab_arr


cdef struct LineRecord:
    int64_t start
    int64_t end
    int64_t next_start
    bint paragraph_start
    bint paragraph_end


cdef Py_ssize_t count_below(const int64_t* sorted_values, Py_ssize_t n, int64_t value) noexcept:
    """How many of the `n` `sorted_values` (ascending) are below `value` (np.searchsorted, left)."""
    cdef Py_ssize_t low = 0, high = n, middle
    while low < high:
        middle = (low + high) // 2
        if sorted_values[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


cdef Py_ssize_t furthest_fitting(
    const double* position,
    const int64_t* trim,
    Py_ssize_t j,
    Py_ssize_t last,
    int64_t s,
    double available,
    double eps,
) noexcept:
    """The last candidate in [j, last] whose line from `s`, its hanging spaces trimmed, fits in
    `available` px (j - 1: none does). A line's reach is the furthest any of its candidate ends
    gets, so a negative advance does not make a longer line fit."""
    cdef double limit = position[s] + available + eps, reach = 0.0, x
    cdef Py_ssize_t i
    for i in range(j, last + 1):
        x = position[max(trim[i], s)]
        if i == j or not (reach >= x):
            reach = x
        if reach > limit:
            return i - 1
    return last


cdef Py_ssize_t merge_candidates(
    const int64_t* soft,
    Py_ssize_t n_soft,
    const uint8_t* boundary,
    Py_ssize_t n_boundary,
    const int64_t* forced,
    Py_ssize_t n_forced,
    int64_t* candidate,
    uint8_t* is_forced,
) except -1:
    """The ascending distinct union of the soft breaks at a boundary and the forced breaks, into
    `candidate` (with `is_forced` set at the forced ones); returns how many there are."""
    cdef Py_ssize_t a = 0, b = 0, count = 0
    cdef Py_ssize_t end = n_boundary - 1
    cdef int64_t value
    cdef bint from_forced
    for a in range(n_soft):
        if not 0 <= soft[a] <= end:
            raise ValueError("a soft break lies outside the text")
    for b in range(n_forced):
        if not 0 <= forced[b] <= end:
            raise ValueError("a forced break lies outside the text")
    a = b = 0
    while a < n_soft or b < n_forced:
        if a < n_soft and not boundary[soft[a]]:
            a += 1
            continue
        from_forced = a >= n_soft or (b < n_forced and forced[b] <= soft[a])
        if from_forced:
            value = forced[b]
            b += 1
            if b < n_forced and forced[b] < value:
                raise ValueError("forced breaks must be ascending")
        else:
            value = soft[a]
            a += 1
            if a < n_soft and soft[a] < value:
                raise ValueError("soft breaks must be ascending")
        if count and candidate[count - 1] == value:
            is_forced[count - 1] |= from_forced
        else:
            candidate[count] = value
            is_forced[count] = from_forced
            count += 1
    return count


def greedy_lines(
    advance_array,
    char_glyph_array,
    content_end_array,
    boundary_array,
    tab_array,
    soft_array,
    forced_array,
    base_level_array,
    double width,
    double indent,
    double eps,
    with_tabs,
    inside_word,
):
    """Greedy line breaking of a text of n characters (`char_glyph` has n + 1 entries) whose
    glyphs advance `advance` px, at its soft and forced break opportunities.

    A line from `s` ends at the last candidate up to the next forced break whose content, its
    hanging spaces trimmed, fits the width (less `indent` on the first line of a paragraph).
    Lines are measured by pen positions from the start of the text; a line holding a tab takes
    its positions from `with_tabs(s, stop, indent)`, and a line where nothing fits is cut by
    `inside_word(positions, s, c, available)`, both Python.

    Returns the arrays of `Lines`: start, end, next_start, paragraph_start, paragraph_end,
    base_level and available.
    """
    cdef Py_ssize_t advance_n, char_glyph_n, content_end_n, boundary_n, tab_n, soft_n, forced_n
    cdef Py_ssize_t base_level_n
    cdef const double* advance = read_float64(advance_array, &advance_n)
    cdef const int64_t* char_glyph = read_int64(char_glyph_array, &char_glyph_n)
    cdef const int64_t* content_end = read_int64(content_end_array, &content_end_n)
    cdef const uint8_t* boundary = read_flags(boundary_array, &boundary_n)
    cdef const int64_t* tab = read_int64(tab_array, &tab_n)
    cdef const int64_t* soft = read_int64(soft_array, &soft_n)
    cdef const int64_t* forced = read_int64(forced_array, &forced_n)
    cdef const int8_t* base_level = read_int8(base_level_array, &base_level_n)
    cdef Py_ssize_t n = char_glyph_n - 1, n_glyphs = advance_n, most
    if n < 0 or content_end_n != n + 1 or boundary_n != n + 1:
        raise ValueError("char_glyph, content_end and boundary must have an entry per character and one more")
    cdef Py_ssize_t i, j, k, last, n_cand, n_lines = 0, capacity = 64
    cdef double total = 0.0, room, limit
    cdef int64_t s = 0, line_start, end, next_start
    cdef bint first = True, fast, broke_inside_word
    cdef double* cumulative = NULL
    cdef double* reach = NULL
    cdef int64_t* candidate = NULL
    cdef int64_t* trim = NULL
    cdef Py_ssize_t* next_forced = NULL
    cdef uint8_t* is_forced = NULL
    cdef LineRecord* records = NULL
    cdef LineRecord* grown
    cdef const double* tab_position
    cdef Py_ssize_t tab_position_n

    position_arr = new_array(n + 1, cnp.NPY_FLOAT64)
    cdef double* position = write_float64(position_arr, NULL)
    most = soft_n + forced_n
    try:
        # Pen position at every character boundary (summed as np.cumsum does), and the
        # furthest any boundary up to it reaches.
        cumulative = <double*>allocate((n_glyphs + 1) * sizeof(double))
        reach = <double*>allocate((n + 1) * sizeof(double))
        cumulative[0] = 0.0
        for i in range(n_glyphs):
            total = advance[i] if i == 0 else total + advance[i]
            cumulative[i + 1] = total
        for i in range(n + 1):
            position[i] = cumulative[char_glyph[i]]
            reach[i] = position[i] if i == 0 or not (reach[i - 1] >= position[i]) else reach[i - 1]

        # Candidates: where a line may end, with the end of their content and the next forced one.
        candidate = <int64_t*>allocate(most * sizeof(int64_t))
        trim = <int64_t*>allocate(most * sizeof(int64_t))
        next_forced = <Py_ssize_t*>allocate(most * sizeof(Py_ssize_t))
        is_forced = <uint8_t*>allocate(most * sizeof(uint8_t))
        n_cand = merge_candidates(soft, soft_n, boundary, boundary_n, forced, forced_n, candidate, is_forced)
        if n_cand and not is_forced[n_cand - 1]:
            raise ValueError("the end of the text must be a forced break")
        for j in range(n_cand):
            trim[j] = max(content_end[candidate[j]], 0)
        for j in range(n_cand - 1, -1, -1):
            next_forced[j] = j if is_forced[j] else next_forced[j + 1]

        records = <LineRecord*>allocate(capacity * sizeof(LineRecord))
        j = 0
        while j < n_cand:
            last = next_forced[j]
            line_start = candidate[j - 1] if j else 0
            # The common line starts where the previous candidate ended, at a paragraph start
            # exactly when that candidate was forced, holds no tab, and fits at least one word;
            # its reach is taken from the start of the text.
            fast = s == line_start and first == (j == 0 or is_forced[j - 1])
            if fast and tab_n:
                fast = count_below(tab, tab_n, candidate[last]) <= count_below(tab, tab_n, line_start)
            if fast:
                room = width - indent if (indent != 0.0 and first) else width
                limit = position[line_start] + room + eps
                fast = reach[trim[j]] <= limit
                k = j
                while fast and k < last and reach[trim[k + 1]] <= limit:
                    k += 1
            if fast:
                end, next_start = max(trim[k], s), candidate[k]
            else:
                room = width - (indent if first else 0.0)
                positions = position_arr
                if tab_n and count_below(tab, tab_n, candidate[last]) > count_below(tab, tab_n, line_start):
                    positions = with_tabs(s, candidate[last], indent if first else 0.0)
                tab_position = read_float64(positions, &tab_position_n)
                if tab_position_n != n + 1:
                    raise ValueError("with_tabs must give a position at every character boundary")
                k = furthest_fitting(tab_position, trim, j, last, s, room, eps)
                if k >= j:
                    end, next_start = max(trim[k], s), candidate[k]
                else:
                    next_start = inside_word(positions, s, candidate[j], room)
                    end = next_start
                    if next_start == candidate[j]:
                        k, end = j, max(trim[j], s)
            if n_lines == capacity:
                capacity *= 2
                grown = <LineRecord*>realloc(records, capacity * sizeof(LineRecord))
                if grown == NULL:
                    raise MemoryError()
                records = grown
            records[n_lines].start = s
            records[n_lines].end = end
            records[n_lines].next_start = next_start
            records[n_lines].paragraph_start = first
            broke_inside_word = k < j or next_start != candidate[k]
            records[n_lines].paragraph_end = not broke_inside_word and k == last
            n_lines += 1
            if broke_inside_word:
                s, first = next_start, False
            else:
                s, first, j = next_start, k == last, k + 1

        start_arr = new_array(n_lines, cnp.NPY_INT64)
        end_arr = new_array(n_lines, cnp.NPY_INT64)
        next_arr = new_array(n_lines, cnp.NPY_INT64)
        first_arr = new_array(n_lines, cnp.NPY_BOOL)
        last_arr = new_array(n_lines, cnp.NPY_BOOL)
        level_arr = new_zeros(n_lines, cnp.NPY_INT8)
        available_arr = new_array(n_lines, cnp.NPY_FLOAT64)
        fill_lines(
            records, n_lines, write_int64(start_arr, NULL), write_int64(end_arr, NULL),
            write_int64(next_arr, NULL), write_flags(first_arr, NULL),
            write_flags(last_arr, NULL), write_int8(level_arr, NULL),
            write_float64(available_arr, NULL), base_level, base_level_n, width, indent,
        )
    finally:
        free(cumulative)
        free(reach)
        free(candidate)
        free(trim)
        free(next_forced)
        free(is_forced)
        free(records)
    return start_arr, end_arr, next_arr, first_arr, last_arr, level_arr, available_arr


cdef void fill_lines(
    const LineRecord* records,
    Py_ssize_t n_lines,
    int64_t* start,
    int64_t* end,
    int64_t* next_start,
    uint8_t* paragraph_start,
    uint8_t* paragraph_end,
    int8_t* level,
    double* available,
    const int8_t* base_level,
    Py_ssize_t n,
    double width,
    double indent,
) noexcept:
    """The columns of `Lines` (`n_lines` long) from its records: a line's paragraph level is
    that of its first character (of the `n` of `base_level`; of the last, for a line at the
    end), its room the width less a first line's indent."""
    cdef Py_ssize_t i
    for i in range(n_lines):
        start[i] = records[i].start
        end[i] = records[i].end
        next_start[i] = records[i].next_start
        paragraph_start[i] = records[i].paragraph_start
        paragraph_end[i] = records[i].paragraph_end
        if n:
            level[i] = base_level[min(records[i].start, n - 1)]
        available[i] = width - (indent if records[i].paragraph_start else 0.0)


cdef enum Alignment:
    ALIGN_LEFT
    ALIGN_RIGHT
    ALIGN_CENTER
    ALIGN_JUSTIFY
    ALIGN_START


cdef inline bint in_ranges(uint32_t cp, const uint32_t* low, const uint32_t* high, Py_ssize_t n) noexcept:
    cdef Py_ssize_t r
    for r in range(n):
        if low[r] <= cp <= high[r]:
            return True
    return False


cdef inline bint in_sorted(uint32_t cp, const uint32_t* values, Py_ssize_t n) noexcept:
    cdef Py_ssize_t low = 0, high = n, middle
    while low < high:
        middle = (low + high) // 2
        if values[middle] < cp:
            low = middle + 1
        else:
            high = middle
    return low < n and values[low] == cp


cdef void justify(
    double* adv,
    const int64_t* glyph,
    const int64_t* glyph_line,
    Py_ssize_t n,
    const int64_t* cluster,
    const uint32_t* cps,
    const uint8_t* paragraph_end,
    const double* available,
    Py_ssize_t n_lines,
    const uint32_t* separators,
    Py_ssize_t n_separators,
    const uint32_t* cjk_low,
    const uint32_t* cjk_high,
    Py_ssize_t n_cjk,
    uint8_t* scratch,
    double* natural,
    double* count,
) noexcept:
    """Add to `adv` (line by line, logical order) the slack of every line that does not end its
    paragraph, shared equally among its justification opportunities: the end of a cluster of
    a word separator (`separators`, ascending), and on a line holding CJK text (`cps` within
    [`cjk_low`, `cjk_high`]) the end of any other cluster next to a CJK one; never the end of
    the line. Every glyph gets its share or 0.0 added. `scratch` holds 2 n + lines bytes,
    `natural` and `count` a double per line."""
    cdef Py_ssize_t i, line
    cdef uint8_t* is_cjk = scratch
    cdef uint8_t* opportunity = scratch + n
    cdef uint8_t* line_has_cjk = scratch + 2 * n
    cdef double share, slack
    memset(scratch, 0, 2 * n + n_lines)
    for line in range(n_lines):
        natural[line] = 0.0
        count[line] = 0.0
    for i in range(n):
        is_cjk[i] = in_ranges(cps[cluster[glyph[i]]], cjk_low, cjk_high, n_cjk)
        if is_cjk[i]:
            line_has_cjk[glyph_line[i]] = 1
        natural[glyph_line[i]] += adv[i]
    for i in range(n - 1):
        if glyph_line[i + 1] != glyph_line[i] or cluster[glyph[i + 1]] == cluster[glyph[i]]:
            continue  # not the end of a cluster inside the line
        if in_sorted(cps[cluster[glyph[i]]], separators, n_separators) or (
            line_has_cjk[glyph_line[i]] and (is_cjk[i] or is_cjk[i + 1])
        ):
            opportunity[i] = 1
            count[glyph_line[i]] += 1.0
    for i in range(n):
        line = glyph_line[i]
        share = 0.0
        if opportunity[i] and not paragraph_end[line] and count[line] > 0:
            slack = available[line] - natural[line]
            share = (slack if slack >= 0.0 else 0.0) / (count[line] if count[line] >= 1.0 else 1.0)
        adv[i] = adv[i] + share


def place_glyphs(
    line_start_array,
    line_end_array,
    paragraph_start_array,
    paragraph_end_array,
    base_level_array,
    available_array,
    char_glyph_array,
    advance_array,
    cluster_array,
    gid_array,
    level_array,
    font_array,
    x_offset_array,
    y_offset_array,
    cps_array,
    upem_array,
    tab_chars_array,
    tab_px_array,
    row_baseline_array,
    Py_ssize_t lines_per_page,
    str align,
    double left,
    double text_width,
    double indent,
    double size,
    double hscale,
    int32_t invisible,
    separators_array,
    cjk_low_array,
    cjk_high_array,
):
    """Where every glyph of the lines is drawn, in pixels.

    Lines (`line_start`..`paragraph_end`, `available`, as in `Lines`) take the glyphs of their
    characters; a visible tab advances as line breaking gave it (`tab_px` for the tab at
    character `tab_chars`, ascending); justified lines share out their slack (see `justify`)
    and each line starts at the x of its alignment. Where some glyph has a bidi level above 0
    the glyphs of each line go into visual order (`_bidi.visual_order_lines`). A
    pen x is its line's start plus the advances before it on the line, moved by the glyph's x
    offset (font units, scaled by `size` over its font's `upem`, and `hscale`); the baseline
    is its row's (`row_baseline`, the rows of a page of `lines_per_page`) less the y offset.
    Glyphs `invisible` are dropped.

    Returns index, x, baseline, page, line and advance of the glyphs kept, and how many
    clusters of lines wider than their room reach past the text area.
    """
    cdef Py_ssize_t line_start_n, line_end_n, paragraph_start_n, paragraph_end_n, base_level_n
    cdef Py_ssize_t available_n, char_glyph_n, advance_n, cluster_n, gid_n, level_n, font_n
    cdef Py_ssize_t x_offset_n, y_offset_n, cps_n, upem_n, tab_chars_n, tab_px_n, row_baseline_n
    cdef Py_ssize_t separators_n, cjk_low_n, cjk_high_n
    cdef const int64_t* line_start = read_int64(line_start_array, &line_start_n)
    cdef const int64_t* line_end = read_int64(line_end_array, &line_end_n)
    cdef const uint8_t* paragraph_start = read_flags(paragraph_start_array, &paragraph_start_n)
    cdef const uint8_t* paragraph_end = read_flags(paragraph_end_array, &paragraph_end_n)
    cdef const int8_t* base_level = read_int8(base_level_array, &base_level_n)
    cdef const double* available = read_float64(available_array, &available_n)
    cdef const int64_t* char_glyph = read_int64(char_glyph_array, &char_glyph_n)
    cdef const double* advance = read_float64(advance_array, &advance_n)
    cdef const int64_t* cluster = read_int64(cluster_array, &cluster_n)
    cdef const int32_t* gid = read_int32(gid_array, &gid_n)
    cdef const int8_t* level = read_int8(level_array, &level_n)
    cdef const int32_t* font = read_int32(font_array, &font_n)
    cdef const int32_t* x_offset = read_int32(x_offset_array, &x_offset_n)
    cdef const int32_t* y_offset = read_int32(y_offset_array, &y_offset_n)
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef const double* upem = read_float64(upem_array, &upem_n)
    cdef const int64_t* tab_chars = read_int64(tab_chars_array, &tab_chars_n)
    cdef const double* tab_px = read_float64(tab_px_array, &tab_px_n)
    cdef const double* row_baseline = read_float64(row_baseline_array, &row_baseline_n)
    cdef const uint32_t* separators = read_uint32(separators_array, &separators_n)
    cdef const uint32_t* cjk_low = read_uint32(cjk_low_array, &cjk_low_n)
    cdef const uint32_t* cjk_high = read_uint32(cjk_high_array, &cjk_high_n)
    cdef Py_ssize_t n_lines = line_start_n
    if not (line_end_n == paragraph_start_n == paragraph_end_n == base_level_n == available_n == n_lines):
        raise ValueError("the line columns differ in length")
    if not (advance_n == cluster_n == gid_n == level_n == font_n == x_offset_n == y_offset_n):
        raise ValueError("the glyph columns differ in length")
    if char_glyph_n != cps_n + 1:
        raise ValueError("char_glyph must have an entry per character and one more")
    if tab_px_n != tab_chars_n or cjk_high_n != cjk_low_n or row_baseline_n < min(n_lines, lines_per_page):
        raise ValueError("tabs, CJK ranges or row baselines do not match")
    cdef Py_ssize_t n = 0, i, f, line, spot, kept = 0, overflow = 0
    cdef int64_t g, first, stop, page = 0
    cdef double running = 0.0, origin = 0.0, pen, line_indent, line_baseline = 0.0
    cdef double right_limit = left + text_width + 0.5, left_limit = left - 0.5
    cdef bint any_rtl = False, any_over = False, line_over = False, bidi = False, rtl, right
    cdef Alignment alignment = (
        ALIGN_RIGHT if align == "right" else ALIGN_CENTER if align == "center"
        else ALIGN_JUSTIFY if align == "justify" else ALIGN_START if align == "start" else ALIGN_LEFT
    )
    cdef int64_t* glyph = NULL  # per glyph of the lines: its index among the shaped glyphs,
    cdef int64_t* glyph_line = NULL  # its line
    cdef double* adv = NULL  # and its advance
    cdef double* widths = NULL  # per line: the sum of its advances,
    cdef double* line_x = NULL  # where its pen starts,
    cdef double* natural = NULL  # and for justification, its width and opportunities
    cdef double* count = NULL
    cdef uint8_t* scratch = NULL
    cdef double* x_scale = NULL  # per font: px per font unit across,
    cdef double* y_scale = NULL  # and down
    cdef const int64_t[::1] order
    cdef int8_t[::1] levels_of
    cdef int64_t[::1] lines_of

    for line in range(n_lines):
        first = char_glyph[line_start[line]]
        n += max(char_glyph[line_end[line]], first) - first
    index_arr = new_array(n, cnp.NPY_INT64)
    x_arr = new_array(n, cnp.NPY_FLOAT64)
    baseline_arr = new_array(n, cnp.NPY_FLOAT64)
    page_arr = new_array(n, cnp.NPY_INT64)
    line_arr = new_array(n, cnp.NPY_INT64)
    advance_arr = new_array(n, cnp.NPY_FLOAT64)
    cdef int64_t* index_out = write_int64(index_arr, NULL)
    cdef double* x_out = write_float64(x_arr, NULL)
    cdef double* baseline_out = write_float64(baseline_arr, NULL)
    cdef int64_t* page_out = write_int64(page_arr, NULL)
    cdef int64_t* line_out = write_int64(line_arr, NULL)
    cdef double* advance_out = write_float64(advance_arr, NULL)
    try:
        glyph = <int64_t*>allocate(n * sizeof(int64_t))
        glyph_line = <int64_t*>allocate(n * sizeof(int64_t))
        adv = <double*>allocate(n * sizeof(double))
        widths = <double*>allocate(n_lines * sizeof(double))
        line_x = <double*>allocate(n_lines * sizeof(double))
        x_scale = <double*>allocate(upem_n * sizeof(double))
        y_scale = <double*>allocate(upem_n * sizeof(double))

        # The glyphs of each line in logical order, with their advances.
        i = 0
        for line in range(n_lines):
            first = char_glyph[line_start[line]]
            stop = max(char_glyph[line_end[line]], first)
            for g in range(first, stop):
                glyph[i] = g
                glyph_line[i] = line
                adv[i] = advance[g]
                if tab_chars_n and gid[g] != invisible:
                    spot = count_below(tab_chars, tab_chars_n, cluster[g])
                    if spot < tab_chars_n and tab_chars[spot] == cluster[g]:
                        adv[i] = tab_px[spot]
                bidi = bidi or level[g] > 0
                i += 1

        if alignment == ALIGN_JUSTIFY and n:
            for line in range(n_lines):
                if not paragraph_end[line]:
                    natural = <double*>allocate(n_lines * sizeof(double))
                    count = <double*>allocate(n_lines * sizeof(double))
                    scratch = <uint8_t*>allocate(2 * n + n_lines)
                    justify(
                        adv, glyph, glyph_line, n, cluster, cps, paragraph_end, available, n_lines,
                        separators, separators_n, cjk_low, cjk_high, cjk_low_n, scratch, natural, count,
                    )
                    break

        # Line widths and where each line starts: centred, or at the edge its alignment gives
        # (`start` and `justify` follow the paragraph's direction), a first line indented.
        for line in range(n_lines):
            widths[line] = 0.0
            any_rtl = any_rtl or (base_level[line] & 1)
        for i in range(n):
            widths[glyph_line[i]] += adv[i]
        for line in range(n_lines):
            rtl = base_level[line] & 1
            line_indent = indent if paragraph_start[line] else 0.0
            if alignment == ALIGN_CENTER:
                line_x[line] = left + (text_width - widths[line]) / 2
            elif alignment != ALIGN_RIGHT and not any_rtl:
                line_x[line] = left + line_indent if indent != 0.0 else left
            else:
                right = rtl if alignment in (ALIGN_START, ALIGN_JUSTIFY) else alignment == ALIGN_RIGHT
                if right:
                    line_x[line] = left + text_width - widths[line] - (line_indent if rtl else 0.0)
                else:
                    line_x[line] = left + (0.0 if rtl else line_indent)
            any_over = any_over or widths[line] > available[line] + 0.5

        if bidi:  # visual order (UAX #9 L2) within each line
            levels_arr = new_array(n, cnp.NPY_INT8)
            lines_arr = new_array(n, cnp.NPY_INT64)
            levels_of = levels_arr
            lines_of = lines_arr
            for i in range(n):
                levels_of[i] = level[glyph[i]]
                lines_of[i] = glyph_line[i]
            order = visual_order_lines(levels_arr, lines_arr)
            for i in range(n):  # the outputs hold the logical order while it is permuted
                index_out[i] = glyph[i]
                advance_out[i] = adv[i]
            for i in range(n):
                glyph[i] = index_out[order[i]]
                adv[i] = advance_out[order[i]]

        if any_over:
            free(scratch)
            scratch = <uint8_t*>allocate(cps_n + 1)  # which clusters were counted
            memset(scratch, 0, cps_n + 1)
        for f in range(upem_n):
            y_scale[f] = size / upem[f]
            x_scale[f] = y_scale[f] * hscale
        for i in range(n):
            g = glyph[i]
            running = adv[i] if i == 0 else running + adv[i]  # np.cumsum over all lines
            if glyph_line[i] != line or i == 0:
                line = glyph_line[i]
                origin = running - adv[i]
                page = line // lines_per_page
                line_baseline = row_baseline[line % lines_per_page]
                line_over = any_over and widths[line] > available[line] + 0.5
            pen = running - adv[i] - origin + line_x[line]
            if line_over and (pen + adv[i] > right_limit or pen < left_limit):  # off the text area
                if not scratch[cluster[g]]:
                    scratch[cluster[g]] = 1
                    overflow += 1
            if gid[g] == invisible:
                continue
            index_out[kept] = g
            x_out[kept] = pen + x_offset[g] * x_scale[font[g]]
            baseline_out[kept] = line_baseline - y_offset[g] * y_scale[font[g]]
            page_out[kept] = page
            line_out[kept] = line
            advance_out[kept] = adv[i]
            kept += 1
    finally:
        free(glyph)
        free(glyph_line)
        free(adv)
        free(widths)
        free(line_x)
        free(natural)
        free(count)
        free(scratch)
        free(x_scale)
        free(y_scale)
    if kept < n:
        return (index_arr[:kept], x_arr[:kept], baseline_arr[:kept], page_arr[:kept],
                line_arr[:kept], advance_arr[:kept], overflow)
    return index_arr, x_arr, baseline_arr, page_arr, line_arr, advance_arr, overflow


cdef Py_ssize_t count_at_most(const int64_t* sorted_values, Py_ssize_t n, int64_t value) noexcept:
    """How many of the `n` `sorted_values` (ascending) are at most `value` (np.searchsorted, right)."""
    cdef Py_ssize_t low = 0, high = n, middle
    while low < high:
        middle = (low + high) // 2
        if sorted_values[middle] <= value:
            low = middle + 1
        else:
            high = middle
    return low


cdef inline bint _flagged(
    int64_t offset, const int64_t* char_glyph, const uint8_t* flags, Py_ssize_t n_flags, uint8_t flag
) noexcept:
    """Whether the glyph of the character at `offset` carries `flag` (False past the last of
    the `n_flags` glyphs)."""
    cdef int64_t g = char_glyph[offset]
    return 0 <= g < n_flags and (flags[g] & flag) != 0


def unsafe_breaks(
    breaks_array,
    char_glyph_array,
    flags_array,
    uint8_t unsafe_flag,
    run_start_array,
    run_end_array,
    Py_ssize_t n,
):
    """The `breaks` (offsets at which a line starts) that fall where HarfBuzz marked the text
    unsafe to break: the glyph of the character after the break (`char_glyph`) carries
    `unsafe_flag`. Breaks at the end of the text (`n` characters), past the last glyph, or at
    an edge of a run (whose sides are shaped apart anyway) are left out. In the order given."""
    cdef Py_ssize_t breaks_n, char_glyph_n, flags_n, run_start_n, run_end_n
    cdef const int64_t* breaks = read_int64(breaks_array, &breaks_n)
    cdef const int64_t* char_glyph = read_int64(char_glyph_array, &char_glyph_n)
    cdef const uint8_t* flags = read_uint8(flags_array, &flags_n)
    cdef const int64_t* run_start = read_int64(run_start_array, &run_start_n)
    cdef const int64_t* run_end = read_int64(run_end_array, &run_end_n)
    cdef Py_ssize_t i, k = 0, count = breaks_n
    cdef int64_t b
    if char_glyph_n < n + 1:
        raise ValueError("char_glyph needs an entry for every offset of the text")
    edge_array = new_zeros(n + 1, cnp.NPY_UINT8)
    cdef uint8_t* edge = write_uint8(edge_array, NULL)
    for i in range(run_start_n):
        if 0 <= run_start[i] <= n:
            edge[run_start[i]] = 1
    for i in range(run_end_n):
        if 0 <= run_end[i] <= n:
            edge[run_end[i]] = 1
    out_array = new_array(count, cnp.NPY_INT64)
    cdef int64_t* out = write_int64(out_array, NULL)
    for i in range(count):
        b = breaks[i]
        if b < 0 or b > n:
            raise IndexError(f"break {b} lies outside the text")
        if b == n or edge[b]:
            continue
        if _flagged(b, char_glyph, flags, flags_n, unsafe_flag):
            out[k] = b
            k += 1
    return out_array[:k]


def edge_pieces(
    unsafe_array,
    next_start_array,
    run_start_array,
    run_end_array,
    line_start_array,
    line_end_array,
    boundary_array,
    char_glyph_array,
    flags_array,
    uint8_t unsafe_flag,
    int64_t max_edge,
):
    """The pieces of text to shape again around line breaks that fall where HarfBuzz marked the
    text unsafe to break: (k, 3) rows of [start, end) character offsets, ascending and apart,
    and the run the piece's break cuts (whose properties it is shaped in).

    Break `unsafe[i]` (ascending, each inside a run, and the start `next_start[line + 1]` of
    the line after the one it ends) cuts its run; the piece before it starts at the nearest
    place a line may start (a character offset below the text's end with `boundary` set) that
    is safe to break (the glyph `char_glyph` gives it lacks `unsafe_flag` in `flags`), at most
    `max_edge` such places back and not before its run or line, and the piece after it ends at
    the nearest safe one after it, within its run and the next line; a piece never starts
    before the previous one ends."""
    cdef Py_ssize_t unsafe_n, next_start_n, run_start_n, run_end_n, line_start_n, line_end_n
    cdef Py_ssize_t boundary_n, char_glyph_n, flags_n
    cdef const int64_t* unsafe = read_int64(unsafe_array, &unsafe_n)
    cdef const int64_t* next_start = read_int64(next_start_array, &next_start_n)
    cdef const int64_t* run_start = read_int64(run_start_array, &run_start_n)
    cdef const int64_t* run_end = read_int64(run_end_array, &run_end_n)
    cdef const int64_t* line_start = read_int64(line_start_array, &line_start_n)
    cdef const int64_t* line_end = read_int64(line_end_array, &line_end_n)
    cdef const uint8_t* boundary = read_flags(boundary_array, &boundary_n)
    cdef const int64_t* char_glyph = read_int64(char_glyph_array, &char_glyph_n)
    cdef const uint8_t* flags = read_uint8(flags_array, &flags_n)
    cdef Py_ssize_t n = unsafe_n, runs = run_start_n, lines = line_start_n, chars = boundary_n - 1
    cdef Py_ssize_t i, r, line, k = 0, places
    cdef int64_t b, lo, hi, a, c, s
    if next_start_n != lines or run_end_n != runs or line_end_n != lines or runs == 0:
        raise ValueError("runs or lines differ in length, or there are no runs")
    if chars < 0 or char_glyph_n != boundary_n:
        raise ValueError("boundary and char_glyph must have an entry per character and one more")
    for r in range(runs):
        if not 0 <= run_start[r] <= run_end[r] <= chars:
            raise IndexError(f"run {r} lies outside the text")
    for line in range(lines):
        if not 0 <= line_start[line] <= chars or not 0 <= line_end[line] <= chars:
            raise IndexError(f"line {line} lies outside the text")
    for i in range(n):
        line = count_below(next_start, next_start_n, unsafe[i])
        if not 0 <= unsafe[i] <= chars or line >= lines:
            raise IndexError(f"break {i} at {unsafe[i]} starts no line")
    pieces_array = new_matrix(2 * n, 3, cnp.NPY_INT64)
    cdef int64_t[:, ::1] pieces = pieces_array
    for i in range(n):
        b = unsafe[i]
        line = count_below(next_start, next_start_n, b)  # the line the break ends
        r = count_at_most(run_start, run_start_n, b) - 1
        if r < 0 or b >= run_end[r]:
            r = runs - 1  # a break in no run (none is): the last run, as an index of -1 reads
        lo = max(run_start[r], line_start[line])
        hi = min(run_end[r], line_end[line + 1]) if line + 1 < lines else run_end[r]
        # Back from b to the nearest safe place, at most max_edge places, from lo on.
        a = lo
        places = 0
        s = b - 1
        while s >= lo and places < max_edge:
            if boundary[s]:
                places += 1
                if not _flagged(s, char_glyph, flags, flags_n, unsafe_flag):
                    a = s
                    break
            s -= 1
        # On from b to the nearest safe place before hi, at most max_edge places.
        c = hi
        places = 0
        s = b + 1
        while s < min(hi, chars) and places < max_edge:
            if boundary[s]:
                places += 1
                if not _flagged(s, char_glyph, flags, flags_n, unsafe_flag):
                    c = s
                    break
            s += 1
        if k and pieces[k - 1, 1] > a:
            a = pieces[k - 1, 1]
        if a < b:
            pieces[k, 0] = a
            pieces[k, 1] = b
            pieces[k, 2] = r
            k += 1
        if b < c:
            pieces[k, 0] = b
            pieces[k, 1] = c
            pieces[k, 2] = r
            k += 1
    return pieces_array[:k]


def splice_index(replaced_start_array, replaced_end_array, count_array, Py_ssize_t glyphs):
    """Where each glyph of a text with pieces shaped again comes from, as an index into the
    text's `glyphs` glyphs followed by the new glyphs of every piece: piece k replaces glyphs
    [replaced_start[k], replaced_end[k]) (ascending, apart) with its `count[k]` new ones."""
    cdef Py_ssize_t replaced_start_n, replaced_end_n, count_n
    cdef const int64_t* replaced_start = read_int64(replaced_start_array, &replaced_start_n)
    cdef const int64_t* replaced_end = read_int64(replaced_end_array, &replaced_end_n)
    cdef const int64_t* count = read_int64(count_array, &count_n)
    cdef Py_ssize_t pieces = count_n, k, g = 0, out = 0, fresh = glyphs, total = glyphs
    cdef int64_t j
    if replaced_start_n != pieces or replaced_end_n != pieces:
        raise ValueError("replaced_start, replaced_end and count differ in length")
    for k in range(pieces):
        if not (g <= replaced_start[k] <= replaced_end[k] <= glyphs) or count[k] < 0:
            raise ValueError(f"piece {k} replaces glyphs out of order")
        total += count[k] - (replaced_end[k] - replaced_start[k])
        g = replaced_end[k]
    index_array = new_array(total, cnp.NPY_INT64)
    cdef int64_t* index = write_int64(index_array, NULL)
    g = 0
    for k in range(pieces):
        for j in range(g, replaced_start[k]):
            index[out] = j
            out += 1
        for j in range(count[k]):
            index[out] = fresh + j
            out += 1
        fresh += count[k]
        g = replaced_end[k]
    for j in range(g, glyphs):
        index[out] = j
        out += 1
    return index_array


def splice_glyphs(index_array, tuple old, tuple new):
    """The glyph columns of a text with pieces shaped again: each of gid, font, advance,
    x_offset, y_offset (int32), cluster (int64), level (int8) and flags (uint8), gathered by
    `index` (from `splice_index`) from the text's column followed by the pieces' new values.
    None when the glyphs come out as they were, flags aside: the text then keeps its shaping."""
    cdef Py_ssize_t glyphs, fresh, n, i, length
    cdef const int64_t* index = read_int64(index_array, &n)
    cdef const int32_t* gid = read_int32(old[0], &glyphs)
    cdef const int32_t* font = read_int32(old[1], &length)
    cdef const int32_t* advance = read_int32(old[2], &length)
    cdef const int32_t* x_off = read_int32(old[3], &length)
    cdef const int32_t* y_off = read_int32(old[4], &length)
    cdef const int64_t* cluster = read_int64(old[5], &length)
    cdef const int8_t* level = read_int8(old[6], &length)
    cdef const uint8_t* flags = read_uint8(old[7], &length)
    cdef const int32_t* n_gid = read_int32(new[0], &fresh)
    cdef const int32_t* n_font = read_int32(new[1], &length)
    cdef const int32_t* n_advance = read_int32(new[2], &length)
    cdef const int32_t* n_x_off = read_int32(new[3], &length)
    cdef const int32_t* n_y_off = read_int32(new[4], &length)
    cdef const int64_t* n_cluster = read_int64(new[5], &length)
    cdef const int8_t* n_level = read_int8(new[6], &length)
    cdef const uint8_t* n_flags = read_uint8(new[7], &length)
    cdef int64_t j, k
    for column in old[1:]:
        if len(column) != glyphs:
            raise ValueError("the text's glyph columns differ in length")
    for column in new[1:]:
        if len(column) != fresh:
            raise ValueError("the new glyph columns differ in length")
    for i in range(n):
        if not 0 <= index[i] < glyphs + fresh:
            raise IndexError(f"glyph {index[i]} of {glyphs} and {fresh} new")
    cdef bint changed = n != glyphs
    i = 0
    while not changed and i < n:
        j = index[i]
        if j >= glyphs:
            k = j - glyphs
            changed = (
                n_gid[k] != gid[i] or n_font[k] != font[i] or n_advance[k] != advance[i]
                or n_x_off[k] != x_off[i] or n_y_off[k] != y_off[i]
                or n_cluster[k] != cluster[i] or n_level[k] != level[i]
            )
        elif j != i:
            changed = (
                gid[j] != gid[i] or font[j] != font[i] or advance[j] != advance[i]
                or x_off[j] != x_off[i] or y_off[j] != y_off[i]
                or cluster[j] != cluster[i] or level[j] != level[i]
            )
        i += 1
    if not changed:
        return None
    out = [new_array(n, cnp.NPY_INT32) for _ in range(5)]
    out += [new_array(n, cnp.NPY_INT64), new_array(n, cnp.NPY_INT8), new_array(n, cnp.NPY_UINT8)]
    cdef int32_t* o_gid = write_int32(out[0], &length)
    cdef int32_t* o_font = write_int32(out[1], &length)
    cdef int32_t* o_advance = write_int32(out[2], &length)
    cdef int32_t* o_x_off = write_int32(out[3], &length)
    cdef int32_t* o_y_off = write_int32(out[4], &length)
    cdef int64_t* o_cluster = write_int64(out[5], &length)
    cdef int8_t* o_level = write_int8(out[6], &length)
    cdef uint8_t* o_flags = write_uint8(out[7], &length)
    for i in range(n):
        j = index[i]
        if j < glyphs:
            o_gid[i], o_font[i], o_advance[i] = gid[j], font[j], advance[j]
            o_x_off[i], o_y_off[i], o_cluster[i] = x_off[j], y_off[j], cluster[j]
            o_level[i], o_flags[i] = level[j], flags[j]
        else:
            k = j - glyphs
            o_gid[i], o_font[i], o_advance[i] = n_gid[k], n_font[k], n_advance[k]
            o_x_off[i], o_y_off[i], o_cluster[i] = n_x_off[k], n_y_off[k], n_cluster[k]
            o_level[i], o_flags[i] = n_level[k], n_flags[k]
    return out
