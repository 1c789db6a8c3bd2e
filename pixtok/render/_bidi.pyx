# cython: language_level=3
"""The Unicode Bidirectional Algorithm's weak types, neutrals and implicit levels, one walk per
rule.

`direction._resolve` applies rules W1–W7, N1–N2 and I1–I2 (UAX #9) to a whole text without
explicit embeddings. Each rule looks at the nearest character of some kind before or after each
character in its paragraph; as numpy that was a cumulative maximum or minimum, a paragraph check
and a gather per rule, some hundred calls per text, which cost more than anything else in
shaping right-to-left text. Here each rule is a forward walk that remembers the last character
of the kind (and a backward walk for the first one after), reading the types the previous rule
left, as the vectorised rules did. The paragraphs' base levels (P2-P3) and paired brackets (N0,
once `direction` has found the pairs) are walks too.

Types are indices into `direction.BIDI_CLASSES`; a newline (type B) ends its paragraph and is
never a neighbour.
"""

import numpy as np

cimport numpy as cnp
from libc.stdint cimport int8_t, int16_t, int64_t, uint8_t, uint32_t

from pixtok.render._arrays cimport new_array, new_matrix, read_uint32

cnp.import_array()

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


def any_in_ranges(cps_array, low_array, high_array):
    """Whether any code point lies in one of the ranges [`low[k]`, `high[k]`]: a walk that
    stops at the first one found and passes over code points below every range at once."""
    cdef Py_ssize_t cps_n, low_n, high_n
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef const uint32_t* low = read_uint32(low_array, &low_n)
    cdef const uint32_t* high = read_uint32(high_array, &high_n)
    cdef Py_ssize_t i, k, ranges = low_n
    cdef uint32_t cp, first = 0xFFFFFFFF
    cdef bint found = False
    if high_n != ranges:
        raise ValueError("low and high differ in length")
    for k in range(ranges):
        first = min(first, low[k])
    with nogil:
        for i in range(cps_n):
            cp = cps[i]
            if cp < first:
                continue
            for k in range(ranges):
                if low[k] <= cp <= high[k]:
                    found = True
                    break
            if found:
                break
    return found


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
    result = new_matrix(2, n, cnp.NPY_INT16)
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
    levels_array = new_array(n, cnp.NPY_INT8)
    settled_array = new_matrix(2, n, cnp.NPY_INT16)
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


def paragraph_levels(const int16_t[::1] types, const uint32_t[::1] cps):
    """P2-P3 over a whole text: each character's paragraph (a newline belongs to the paragraph it
    ends) and its paragraph's base level (1 when the paragraph's first strong character, L, R
    or AL, is R or AL; else 0). Returns (paragraph int64, base int8, newline uint8)."""
    cdef Py_ssize_t n = types.shape[0], i, start = 0, j
    cdef int64_t current = 0
    cdef int8_t level
    paragraph_array = new_array(n, cnp.NPY_INT64)
    base_array = new_array(n, cnp.NPY_INT8)
    newline_array = new_array(n, cnp.NPY_UINT8)
    cdef int64_t[::1] paragraph = paragraph_array
    cdef int8_t[::1] base = base_array
    cdef uint8_t[::1] newline = newline_array
    with nogil:
        while start < n:
            level = -1
            i = start
            while i < n:
                newline[i] = cps[i] == 10
                paragraph[i] = current
                if level < 0 and (types[i] == L or types[i] == R or types[i] == AL):
                    level = 0 if types[i] == L else 1
                i += 1
                if newline[i - 1]:
                    break
            for j in range(start, i):
                base[j] = level if level > 0 else 0
            start = i
            current += 1
    return paragraph_array, base_array, newline_array


def paired_brackets(
    const int16_t[::1] types,
    const int16_t[::1] original,
    const int8_t[::1] base,
    const int64_t[::1] paragraph,
    const int64_t[::1] opening,
    const int64_t[::1] closing,
):
    """N0 over types resolved by W1-W7: each bracket pair (`opening[k]`, `closing[k]`, ordered by
    opening bracket) takes the embedding direction when the text inside has a strong character
    of it, else the opposite direction when the text inside has one of that and so has the
    context before the pair (the last strong character before it in its paragraph, or a bracket
    this rule changed after that one, or else the embedding); non-spacing marks (by their
    original type) after a bracket that changed follow it. Numbers count as R. Returns the new
    types (int16)."""
    cdef Py_ssize_t n = types.shape[0], pairs = opening.shape[0], i, k, x
    cdef int64_t o, c, before, changed_before, position, follower
    cdef int16_t embedding, opposite, new, context
    result = np.array(types, dtype=np.int16)
    scratch = new_matrix(4, n + 1, cnp.NPY_INT64)
    cdef int16_t[::1] t = result
    cdef int64_t[::1] count_l = scratch[0]  # strong L characters before each offset
    cdef int64_t[::1] count_r = scratch[1]
    cdef int64_t[::1] last_strong = scratch[2]  # the last strong character at or before, or -1
    cdef int64_t[::1] changed = scratch[3]  # Fenwick tree: the last changed bracket before
    cdef int16_t strong
    changed_type = np.full(n, -1, dtype=np.int16)
    cdef int16_t[::1] changed_to = changed_type
    with nogil:
        count_l[0] = 0
        count_r[0] = 0
        position = -1
        for i in range(n):
            strong = _strong(types[i])
            count_l[i + 1] = count_l[i] + (strong == L)
            count_r[i + 1] = count_r[i] + (strong == R)
            if strong >= 0:
                position = i
            last_strong[i] = position
        for i in range(n + 1):
            changed[i] = -1
        for k in range(pairs):
            o = opening[k]
            c = closing[k]
            if t[o] != ON or t[c] != ON:
                continue
            embedding = R if base[o] % 2 else L
            opposite = L if embedding == R else R
            if _inside(count_l, count_r, embedding, o, c):
                new = embedding
            elif _inside(count_l, count_r, opposite, o, c):
                before = last_strong[o - 1] if o else -1
                if before >= 0 and paragraph[before] == paragraph[o]:
                    context = _strong(types[before])
                else:
                    context = embedding
                changed_before = -1  # the last bracket changed before o
                x = o
                while x > 0:
                    changed_before = max(changed_before, changed[x])
                    x -= x & -x
                if changed_before > before and paragraph[changed_before] == paragraph[o]:
                    context = changed_to[changed_before]
                new = opposite if context == opposite else embedding
            else:
                continue
            for x in range(2):
                position = o if x == 0 else c
                t[position] = new
                changed_to[position] = new
                i = position + 1
                while i <= n:
                    changed[i] = max(changed[i], position)
                    i += i & -i
                follower = position + 1
                while follower < n and original[follower] == NSM:
                    t[follower] = new
                    follower += 1
    return result


cdef inline int16_t _strong(int16_t t) noexcept nogil:
    """The direction a resolved type counts as in N0: L, R (R, EN and AN), or -1."""
    if t == L:
        return L
    if t == R or t == EN or t == AN:
        return R
    return -1


cdef inline bint _inside(
    const int64_t[::1] count_l, const int64_t[::1] count_r, int16_t direction, int64_t o, int64_t c
) noexcept nogil:
    """Whether a strong character of `direction` lies strictly between offsets o and c."""
    if direction == L:
        return count_l[c] - count_l[o + 1] > 0
    return count_r[c] - count_r[o + 1] > 0
