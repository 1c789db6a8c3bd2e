# cython: language_level=3
"""The Unicode Bidirectional Algorithm's weak types, neutrals and implicit levels, one walk per
rule.

`direction._resolve` applies rules W1–W7, N1–N2 and I1–I2 (UAX #9) to a whole text without
explicit embeddings. Each rule looks at the nearest character of some kind before or after each
character in its paragraph; as numpy that was a cumulative maximum or minimum, a paragraph check
and a gather per rule, some hundred calls per text, which cost more than anything else in
shaping right-to-left text. Here each rule is a forward walk that remembers the last character
of the kind (and a backward walk for the first one after), reading the types the previous rule
left, as the vectorised rules did. Paired brackets (N0) stay in `direction`, between the two
passes.

Types are indices into `direction.BIDI_CLASSES`; a newline (type B) ends its paragraph and is
never a neighbour.
"""

import numpy as np

from libc.stdint cimport int8_t, int16_t, int64_t, uint8_t

cdef enum:
    L = 0
    R = 1
    AL = 2
    EN = 3
    ES = 4
    ET = 5
    AN = 6
    CS = 7
    NSM = 8
    BN = 9
    B = 10
    S = 11
    WS = 12
    ON = 13


cdef inline bint _near(
    int64_t j, Py_ssize_t i, const int64_t[::1] paragraph, const uint8_t[::1] newline, Py_ssize_t n
) noexcept nogil:
    """Whether position `j` is a neighbour of `i`: inside the text, in its paragraph, no newline."""
    return 0 <= j < n and paragraph[j] == paragraph[i] and not newline[j]


def weak_types(
    const int16_t[::1] types,
    const int8_t[::1] base,
    const int64_t[::1] paragraph,
    const uint8_t[::1] newline,
):
    """Rules W1–W7 over a whole text: the resolved types (int16). `base` is each character's
    paragraph level (its start-of-sequence type: L when even, R when odd)."""
    cdef Py_ssize_t n = types.shape[0], i
    cdef int64_t last, before, after
    cdef int16_t left, right, sos
    result = np.empty((2, n), dtype=np.int16)
    cdef int16_t[::1] t = result[0]
    cdef int16_t[::1] w = result[1]
    cdef bint any_et = False
    with nogil:
        # W1: a non-spacing mark takes the type of the character before it (sos at the start).
        last = -1
        for i in range(n):
            if types[i] == NSM:
                t[i] = types[last] if _near(last, i, paragraph, newline, n) else (R if base[i] % 2 else L)
            else:
                t[i] = types[i]
                if types[i] != BN:
                    last = i
        # W2: European numbers after Arabic letters become Arabic numbers. W3: AL becomes R.
        last = -1
        for i in range(n):
            sos = R if base[i] % 2 else L
            if t[i] == EN and (t[last] if _near(last, i, paragraph, newline, n) else sos) == AL:
                w[i] = AN
            else:
                w[i] = t[i]
            if t[i] == R or t[i] == L or t[i] == AL:
                last = i
        for i in range(n):
            t[i] = R if w[i] == AL else w[i]
        # W4: one separator between two numbers of the same kind joins them (BN left aside).
        before = -1
        for i in range(n):
            w[i] = t[i]
            if t[i] == ES or t[i] == CS:
                after = i + 1
                while after < n and t[after] == BN:
                    after += 1
                left = t[before] if _near(before, i, paragraph, newline, n) else -1
                right = t[after] if _near(after, i, paragraph, newline, n) else -1
                if left == EN and right == EN:
                    w[i] = EN
                elif t[i] == CS and left == AN and right == AN:
                    w[i] = AN
            if t[i] != BN:
                before = i
        # W5: terminators next to a European number (across other terminators) become one.
        for i in range(n):
            t[i] = w[i]
            any_et = any_et or w[i] == ET
        if any_et:
            last = -1
            for i in range(n):
                if w[i] == ET:
                    if _near(last, i, paragraph, newline, n) and w[last] == EN:
                        t[i] = EN
                elif w[i] != BN:
                    last = i
            last = n
            for i in range(n - 1, -1, -1):
                if w[i] == ET:
                    if _near(last, i, paragraph, newline, n) and w[last] == EN:
                        t[i] = EN
                elif w[i] != BN:
                    last = i
        # W6: other separators and terminators become neutral.
        for i in range(n):
            w[i] = ON if t[i] == ES or t[i] == ET or t[i] == CS else t[i]
        # W7: European numbers after left-to-right text are left-to-right.
        last = -1
        for i in range(n):
            sos = R if base[i] % 2 else L
            if w[i] == EN and (w[last] if _near(last, i, paragraph, newline, n) else sos) == L:
                t[i] = L
            else:
                t[i] = w[i]
            if w[i] == R or w[i] == L:
                last = i
    return result[0]


def implicit_levels(
    const int16_t[::1] types,
    const int16_t[::1] original,
    const int8_t[::1] base,
    const int64_t[::1] paragraph,
    const uint8_t[::1] newline,
):
    """Rules N1–N2 and I1–I2 over types resolved up to N0: the embedding level of every
    character (int8). `original` are the types before W1, which mark the boundary neutrals that
    rule X9 removes: they take the level of the character before them."""
    cdef Py_ssize_t n = types.shape[0], i
    cdef int64_t last
    cdef int16_t sos, left, right, direction, resolved
    cdef int8_t raised
    cdef bint any_bn = False
    levels_array = np.empty(n, dtype=np.int8)
    settled_array = np.empty((2, n), dtype=np.int16)
    cdef int8_t[::1] levels = levels_array
    cdef int16_t[::1] before = settled_array[0]  # direction of the last settled character, or -1
    cdef int16_t[::1] after = settled_array[1]
    with nogil:
        # N1–N2: neutrals between two runs of the same direction take it; others the embedding's.
        last = -1
        for i in range(n):
            before[i] = -1
            if _neutral(types[i], newline[i]):
                if _near(last, i, paragraph, newline, n):
                    before[i] = L if types[last] == L else R
            elif not newline[i] and original[i] != BN:
                last = i
        last = n
        for i in range(n - 1, -1, -1):
            after[i] = -1
            if _neutral(types[i], newline[i]):
                if _near(last, i, paragraph, newline, n):
                    after[i] = L if types[last] == L else R
            elif not newline[i] and original[i] != BN:
                last = i
        # I1–I2: levels rise with the resolved direction.
        for i in range(n):
            sos = R if base[i] % 2 else L
            resolved = types[i]
            if _neutral(types[i], newline[i]):
                left = before[i] if before[i] >= 0 else sos
                right = after[i] if after[i] >= 0 else sos
                resolved = left if left == right else sos
            if base[i] % 2 == 0:
                raised = 1 if resolved == R else 2 if resolved == AN or resolved == EN else 0
            else:
                raised = 1 if resolved == L or resolved == EN or resolved == AN else 0
            levels[i] = base[i] if newline[i] else <int8_t>(base[i] + raised)
            any_bn = any_bn or original[i] == BN
        # Boundary neutrals removed by X9 take the level of the character before them.
        if any_bn:
            last = -1
            for i in range(n):
                if original[i] == BN:
                    levels[i] = levels[last] if _near(last, i, paragraph, newline, n) else base[i]
                else:
                    last = i
    return levels_array


cdef inline bint _neutral(int16_t t, bint newline) noexcept nogil:
    return (t == B or t == S or t == WS or t == ON) and not newline


def visual_order_lines(const int8_t[::1] levels, const int64_t[::1] line):
    """The permutation that puts the items of every line in visual order (rule L2): within each
    line (`line`, non-decreasing, gives each item's), from the line's highest level down to its
    lowest odd level, every maximal run of items at that level or higher is reversed."""
    cdef Py_ssize_t n = levels.shape[0], start = 0, stop, i, j, a, b
    cdef int8_t highest, lowest_odd, level, swap_level
    cdef int64_t swap
    order = np.arange(n, dtype=np.int64)
    current = np.array(levels, dtype=np.int8)
    cdef int64_t[::1] visual = order
    cdef int8_t[::1] at = current
    with nogil:
        while start < n:
            stop = start + 1
            while stop < n and line[stop] == line[start]:
                stop += 1
            highest = at[start]
            lowest_odd = at[start]
            for i in range(start, stop):
                highest = max(highest, at[i])
                lowest_odd = min(lowest_odd, at[i])
            lowest_odd = lowest_odd | 1
            level = highest
            while level >= lowest_odd:
                i = start
                while i < stop:
                    if at[i] < level:
                        i += 1
                        continue
                    j = i
                    while j < stop and at[j] >= level:
                        j += 1
                    a, b = i, j - 1
                    while a < b:
                        swap = visual[a]
                        visual[a] = visual[b]
                        visual[b] = swap
                        swap_level = at[a]
                        at[a] = at[b]
                        at[b] = swap_level
                        a += 1
                        b -= 1
                    i = j
                level -= 1
            start = stop
    return order
