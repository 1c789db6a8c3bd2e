# cython: language_level=3
"""Characters to runs, one loop per step.

`itemize.Itemizer` keeps per-code-point tables (script and flags of every character, the chain's
font for it) and the rules of HarfBuzz's and Pango's itemisation: characters of no script take
the font and script of the letters around them, marks the font of the letter they follow, and a
run ends wherever font, script group, bidi level or language change. Written as numpy, each rule
was a handful of gathers, cumulative maxima and masks; a text of a few hundred characters cost
tens of such calls whose fixed cost, not the characters, made up the time. Here each rule is one
walk over the characters, forward for "the last one before" and backward for "the first one
after", in the same order of steps, so every choice is the one the rules make.

Paragraphs end at newlines: a newline belongs to the paragraph it ends, and neighbours are only
looked for within a paragraph.
"""

import numpy as np

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t

#: Flags of the property table (above the 8-bit script index), as `itemize` defines them.
cdef uint16_t SCRIPT_BITS = 0xFF
cdef uint16_t MARK = 1 << 8
cdef uint16_t INVISIBLE = 1 << 9
cdef uint16_t STRONG = 1 << 10
cdef uint16_t SPACE = 1 << 11

#: Code points of the Basic Multilingual Plane, where coverage is a table lookup.
cdef uint32_t BMP = 0x10000


def gather_properties(const uint16_t[::1] table, const uint32_t[::1] cps, uint16_t unseen):
    """(table[cps], how many are `unseen`, the bitwise or of all of them): the per-character
    properties of a text, whether the table lacks some, and which flags occur at all."""
    cdef Py_ssize_t n = cps.shape[0], i
    props = np.empty(n, dtype=np.uint16)
    cdef uint16_t[::1] out = props
    cdef Py_ssize_t missing = 0
    cdef uint16_t value, any_flags = 0
    with nogil:
        for i in range(n):
            value = table[cps[i]]
            out[i] = value
            if value == unseen:
                missing += 1
            else:
                any_flags |= value
    return props, missing, any_flags


def gather_fonts(const int32_t[::1] table, const uint32_t[::1] cps):
    """(table[cps], whether any entry is not yet a font: below -1): the chain's font for each
    character of a text (-1: no font has it)."""
    cdef Py_ssize_t n = cps.shape[0], i
    fonts = np.empty(n, dtype=np.int32)
    cdef int32_t[::1] out = fonts
    cdef bint unresolved = False
    with nogil:
        for i in range(n):
            out[i] = table[cps[i]]
            if out[i] < -1:
                unresolved = True
    return fonts, unresolved


def first_covering(const uint8_t[:, ::1] coverage, const uint32_t[::1] cps, int64_t user_count):
    """The font the chain chooses for each code point where coverage alone decides it, else -2.

    The chain asks the user's fonts first, then the bundled font of the character's script, then
    every font in order, and takes the first that has the character. When the first font that
    has it is one of the user's, or it is the only font that has it, that font is the choice
    whatever the script's font is; otherwise (several bundled fonts have it, none has it, or it
    lies beyond the Basic Multilingual Plane) only the chain can say.
    """
    cdef Py_ssize_t n = cps.shape[0], fonts = coverage.shape[0], i, f
    chosen = np.full(n, -2, dtype=np.int32)
    cdef int32_t[::1] out = chosen
    cdef int32_t first
    cdef int count
    cdef uint32_t cp
    with nogil:
        for i in range(n):
            cp = cps[i]
            if cp >= BMP:
                continue
            first = -1
            count = 0
            for f in range(fonts):
                if coverage[f, cp]:
                    if first < 0:
                        first = <int32_t>f
                    count += 1
            if first >= 0 and (first < user_count or count == 1):
                out[i] = first
    return chosen


cdef inline bint _covers(const uint8_t[:, ::1] coverage, object covers_beyond, int32_t font, uint32_t cp):
    """Whether font `font` (-1: none) has code point `cp`."""
    if font < 0:
        return False
    if cp < BMP:
        return coverage[font, cp] != 0
    return bool(covers_beyond(font, cp))


cdef void _nearest(
    const uint8_t[::1] mask, const int32_t[::1] paragraph, int64_t[::1] out
) noexcept nogil:
    """For each position, the nearest position where `mask` holds in its paragraph: the last one
    at or before it, else the first one at or after it; -1 when the paragraph has none."""
    cdef Py_ssize_t n = mask.shape[0], i
    cdef int64_t last = -1
    for i in range(n):
        if i and paragraph[i] != paragraph[i - 1]:
            last = -1
        if mask[i]:
            last = i
        out[i] = last
    last = -1
    for i in range(n - 1, -1, -1):
        if i < n - 1 and paragraph[i] != paragraph[i + 1]:
            last = -1
        if mask[i]:
            last = i
        if out[i] < 0:
            out[i] = last


def itemize_pass(
    const uint32_t[::1] cps,
    const uint16_t[::1] props,
    const int32_t[::1] base,
    const uint8_t[::1] pinned,
    const int8_t[::1] levels,
    const uint8_t[:, ::1] coverage,
    object covers_beyond,
    int64_t user_count,
    const uint8_t[::1] cjk_script,
    int64_t hangul_script,
    bint language_given,
    const int64_t[::1] kana_edges,
    const int64_t[::1] hangul_edges,
):
    """The runs of a text, and the characters no font has.

    `props` are the characters' script indices and flags, `base` the chain's font for each
    (-1: none has it), `pinned` the characters of emoji sequences whose font the chain chose
    whole (empty: none), `levels` their bidi embedding levels. `coverage[f, cp]` says whether
    font `f` has a BMP code point, `covers_beyond(f, cp)` one beyond it. `cjk_script` marks the
    script indices of the Han-kana-Bopomofo group, `hangul_script` is Hangul's index. Without
    `language_given`, CJK and Hangul characters take the language of their paragraph (index
    into `language.CJK_LANGUAGES`) from the kana and Hangul ranges given by their edges.

    Returns (start, end, font, level, script, language, lacking): per run its [start, end)
    offsets, font, level, the script index of its first letter (-1: it has none) and language
    code (-1: the default); and the offsets of the visible characters no font has.
    """
    cdef Py_ssize_t n = cps.shape[0], i, j, runs
    cdef int32_t paragraph_count = 0
    cdef bint has_pinned = pinned.shape[0] > 0
    cdef bint has_levels = False
    cdef bint paragraphs = False
    cdef int32_t drawn_font = -3
    cdef bint one_font = True
    cdef bint any_missing_letter = False
    cdef bint any_common = False
    cdef bint any_lacking = False
    cdef int16_t first_script = -1
    cdef bint one_script = True
    cdef bint any_inferred = False
    cdef int8_t first_code = -2
    cdef bint one_code = True
    cdef uint16_t p
    cdef int32_t candidate, b
    cdef int64_t near, k
    cdef list lacking = []

    paragraph_array = np.empty(n, dtype=np.int32)
    font_array = np.empty(n, dtype=np.int32)
    resolved_array = np.empty(n, dtype=np.int16)
    code_array = np.empty(n, dtype=np.int8)
    level_array = np.empty(n, dtype=np.int8)
    flag_array = np.empty((6, n), dtype=np.uint8)
    nearest_array = np.empty(n, dtype=np.int64)
    cdef int32_t[::1] paragraph = paragraph_array
    cdef int32_t[::1] font = font_array
    cdef int16_t[::1] resolved = resolved_array
    cdef int8_t[::1] code = code_array
    cdef int8_t[::1] level = level_array
    cdef uint8_t[::1] newline = flag_array[0]
    cdef uint8_t[::1] strong = flag_array[1]
    cdef uint8_t[::1] attached = flag_array[2]
    cdef uint8_t[::1] letters = flag_array[3]
    cdef uint8_t[::1] missing_letter = flag_array[4]
    cdef uint8_t[::1] letter_with_font = flag_array[5]
    cdef int64_t[::1] nearest = nearest_array

    # Paragraphs, letters, and the marks and invisible characters that attach to a character.
    for i in range(n):
        p = props[i]
        newline[i] = cps[i] == 10
        paragraph[i] = paragraph_count
        if newline[i]:
            paragraph_count += 1
            paragraphs = True
        strong[i] = (p & STRONG) != 0
        attached[i] = (p & (MARK | INVISIBLE)) != 0 and not newline[i]
        letters[i] = strong[i] and not attached[i]
        letter_with_font[i] = letters[i] and base[i] >= 0
        missing_letter[i] = letters[i] and base[i] < 0
        level[i] = levels[i]
        has_levels = has_levels or levels[i] != 0
        font[i] = base[i]
        if not newline[i]:
            if drawn_font == -3:
                drawn_font = base[i]
            elif base[i] != drawn_font:
                one_font = False
    one_font = one_font and drawn_font >= 0 and not (has_pinned and _any(pinned))

    if not one_font:
        # Letters no font has take the font of the nearest letter that has one.
        for i in range(n):
            any_missing_letter = any_missing_letter or missing_letter[i]
        if any_missing_letter:
            _nearest(letter_with_font, paragraph, nearest)
            for i in range(n):
                if missing_letter[i]:
                    font[i] = base[nearest[i]] if nearest[i] >= 0 else 0
        # Characters of no script take the font of the nearest letter when it has them, unless a
        # user font that comes first has them.
        for i in range(n):
            if not (strong[i] or attached[i] or newline[i] or (has_pinned and pinned[i])):
                any_common = True
                break
        if any_common:
            _nearest(letters, paragraph, nearest)
            for i in range(n):
                if strong[i] or attached[i] or newline[i] or (has_pinned and pinned[i]):
                    continue
                near = nearest[i]
                if near < 0:
                    continue
                candidate = font[near]
                b = base[i]
                if 0 <= b < user_count and b < candidate:
                    continue
                if _covers(coverage, covers_beyond, candidate, cps[i]):
                    font[i] = candidate
        # Marks and invisible characters take the font of the character they follow in their
        # paragraph when it has them (invisible ones always).
        near = -1
        for i in range(n):
            if i and paragraph[i] != paragraph[i - 1]:
                near = -1
            if attached[i] and not (has_pinned and pinned[i]):
                if near >= 0:
                    candidate = font[near]
                    if (props[i] & INVISIBLE) or _covers(coverage, covers_beyond, candidate, cps[i]):
                        font[i] = candidate
            elif not newline[i]:
                near = i
        # What no font has: reported when visible, and drawn with the font of what comes before.
        for i in range(n):
            if (font[i] < 0 or missing_letter[i]) and not newline[i]:
                any_lacking = True
                if not (props[i] & (INVISIBLE | SPACE)):
                    lacking.append(i)
        if any_lacking:
            candidate = -1
            for i in range(n):
                if newline[i]:
                    continue
                if font[i] >= 0:
                    candidate = font[i]
                else:
                    font[i] = candidate if candidate >= 0 else 0

    # Scripts: letters keep theirs, everything else takes that of the nearest letter.
    _nearest(strong, paragraph, nearest)
    for i in range(n):
        near = nearest[i]
        resolved[i] = <int16_t>(props[near] & SCRIPT_BITS) if near >= 0 else 0
        if strong[i]:
            if first_script < 0:
                first_script = resolved[i]
            elif resolved[i] != first_script:
                one_script = False
    if first_script >= 0 and one_script:
        # One script: every character of a paragraph with a letter has it.
        for i in range(n):
            if nearest[i] < 0 and not newline[i]:
                one_script = False
                break

    # Languages of CJK and Hangul characters, from the paragraph they are in.
    for i in range(n):
        code[i] = 0 if language_given else -1
        if not language_given and (cjk_script[resolved[i]] or resolved[i] == hangul_script):
            any_inferred = True
    if any_inferred:
        _infer_languages(
            cps, paragraph, paragraph_count + 1, resolved, cjk_script, hangul_script,
            kana_edges, hangul_edges, code,
        )
    for i in range(n):
        if not newline[i]:
            if first_code == -2:
                first_code = code[i]
            elif code[i] != first_code:
                one_code = False
    if one_font and one_script and first_code != -2 and one_code and not has_levels:
        # One font, one script, one direction and one language: the text is one run.
        return (
            np.zeros(1, dtype=np.int64),
            np.full(1, n, dtype=np.int64),
            np.full(1, drawn_font, dtype=np.int32),
            np.zeros(1, dtype=np.int8),
            np.full(1, first_script, dtype=np.int16),
            np.full(1, first_code, dtype=np.int8),
            lacking,
        )

    # A newline joins the run before it (else the one after it), so consecutive paragraphs in
    # one font, script, direction and language are one run.
    if paragraphs:
        near = -1
        for i in range(n):
            if newline[i]:
                nearest[i] = near
            else:
                near = i
        near = -1
        for i in range(n - 1, -1, -1):
            if not newline[i]:
                near = i
            elif nearest[i] < 0:
                nearest[i] = near
        for i in range(n):
            if newline[i]:
                near = nearest[i]
                if near >= 0:
                    font[i] = font[near]
                    resolved[i] = resolved[near]
                    code[i] = code[near]
                    level[i] = level[near]
                else:
                    font[i] = 0

    # Runs end wherever font, level, script group or language change.
    runs = 0
    for i in range(n):
        if _starts_run(i, font, resolved, level, code, cjk_script, language_given):
            runs += 1
    start_array = np.empty(runs, dtype=np.int64)
    end_array = np.empty(runs, dtype=np.int64)
    run_font_array = np.empty(runs, dtype=np.int32)
    run_level_array = np.empty(runs, dtype=np.int8)
    run_script_array = np.empty(runs, dtype=np.int16)
    run_code_array = np.empty(runs, dtype=np.int8)
    cdef int64_t[::1] run_start = start_array
    cdef int64_t[::1] run_end = end_array
    cdef int32_t[::1] run_font = run_font_array
    cdef int8_t[::1] run_level = run_level_array
    cdef int16_t[::1] run_script = run_script_array
    cdef int8_t[::1] run_code = run_code_array
    j = 0
    for i in range(n):
        if _starts_run(i, font, resolved, level, code, cjk_script, language_given):
            run_start[j] = i
            j += 1
    for j in range(runs):
        run_end[j] = run_start[j + 1] if j + 1 < runs else n
        k = run_start[j]
        run_font[j] = font[k]
        run_level[j] = level[k]
        run_code[j] = code[k]
        run_script[j] = -1
        while k < run_end[j]:  # the script of a run is that of its first letter
            if strong[k]:
                run_script[j] = <int16_t>(props[k] & SCRIPT_BITS)
                break
            k += 1
    return start_array, end_array, run_font_array, run_level_array, run_script_array, run_code_array, lacking


cdef inline bint _starts_run(
    Py_ssize_t i,
    const int32_t[::1] font,
    const int16_t[::1] resolved,
    const int8_t[::1] level,
    const int8_t[::1] code,
    const uint8_t[::1] cjk_script,
    bint language_given,
) noexcept nogil:
    """Whether a run starts at character `i`: the first, or font, script group (the CJK group
    counts as one script), level or (when inferred) language change there."""
    if i == 0:
        return True
    return (
        font[i] != font[i - 1]
        or _group(resolved[i], cjk_script) != _group(resolved[i - 1], cjk_script)
        or level[i] != level[i - 1]
        or (not language_given and code[i] != code[i - 1])
    )


cdef inline int16_t _group(int16_t script, const uint8_t[::1] cjk_script) noexcept nogil:
    return -1 if cjk_script[script] else script


cdef bint _any(const uint8_t[::1] values) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(values.shape[0]):
        if values[i]:
            return True
    return False


cdef inline bint _within(const int64_t[::1] edges, uint32_t cp) noexcept nogil:
    """Whether a code point falls in the sorted ranges whose [start, end) edges are given."""
    cdef Py_ssize_t i
    for i in range(0, edges.shape[0], 2):
        if cp < edges[i]:
            return False
        if cp < edges[i + 1]:
            return True
    return False


cdef void _infer_languages(
    const uint32_t[::1] cps,
    const int32_t[::1] paragraph,
    Py_ssize_t paragraphs,
    const int16_t[::1] resolved,
    const uint8_t[::1] cjk_script,
    int64_t hangul_script,
    const int64_t[::1] kana_edges,
    const int64_t[::1] hangul_edges,
    int8_t[::1] code,
):
    """`language.cjk_languages` for the CJK and Hangul characters: a paragraph with kana is
    Japanese (0), one with Hangul Korean (1); one with Han alone takes the document's language
    (Japanese with kana anywhere, else Korean with Hangul anywhere, else Chinese, 2)."""
    cdef Py_ssize_t n = cps.shape[0], i
    seen = np.zeros((2, paragraphs), dtype=np.uint8)
    cdef uint8_t[::1] kana = seen[0]
    cdef uint8_t[::1] hangul = seen[1]
    cdef bint any_kana = False, any_hangul = False
    cdef int8_t document
    for i in range(n):
        if _within(kana_edges, cps[i]):
            kana[paragraph[i]] = True
            any_kana = True
        if _within(hangul_edges, cps[i]):
            hangul[paragraph[i]] = True
            any_hangul = True
    document = 0 if any_kana else 1 if any_hangul else 2
    for i in range(n):
        if cjk_script[resolved[i]] or resolved[i] == hangul_script:
            code[i] = 0 if kana[paragraph[i]] else 1 if hangul[paragraph[i]] else document
