# cython: language_level=3
"""Which patches of a grey page hold ink, in one pass over its rows.

`patchify` marks a patch non-blank when any of its pixels differs from the paper. Done with
numpy, a page whose size is not a whole number of patches (every cropped page) was first copied
into a padded page, and the reductions took a dozen calls; here each row of the page is read
once, eight pixels at a time. Patches that run past the right or bottom edge count only the
pixels the page has: padding with the paper's own level adds no ink. A cropped 595 x 731 page
of text: 172 -> 76 µs.
"""

import numpy as np

from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memset

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* fold |= row ^ level, eight pixels at a time: a loop the C compiler turns into vector code,
       since the two buffers are declared apart (restrict). */
    static inline void fold_row(uint64_t *restrict fold, const uint8_t *restrict row,
                                Py_ssize_t words, uint64_t pattern) {
        for (Py_ssize_t w = 0; w < words; w++) {
            uint64_t word;
            memcpy(&word, row + 8 * w, 8);
            fold[w] |= word ^ pattern;
        }
    }
    """
    void fold_row(uint64_t* fold, const uint8_t* row, Py_ssize_t words, uint64_t pattern) nogil


def nonblank_patches(const uint8_t[:, ::1] page, Py_ssize_t patch, int level, Py_ssize_t rows, Py_ssize_t cols):
    """(rows, cols) bool array: True where patch (r, c), the `patch` x `patch` square at row
    r * patch and column c * patch, holds a pixel other than `level`.

    Each band of `patch` rows is folded into one row of differences (the OR of every pixel XOR
    the paper's level, eight pixels as one 64-bit word), then each patch's run of that row is
    tested once."""
    out = np.zeros((rows, cols), dtype=np.uint8)
    cdef uint8_t[:, ::1] mask = out
    cdef Py_ssize_t height = page.shape[0]
    cdef Py_ssize_t width = page.shape[1]
    cdef Py_ssize_t words = width // 8
    differ_row = np.zeros(words * 8 + 8, dtype=np.uint8)
    cdef uint8_t[::1] differ = differ_row
    cdef Py_ssize_t r, y, y_end, x, c, end
    cdef uint64_t pattern = (<uint64_t> level) * 0x0101010101010101ULL
    cdef const uint8_t* row
    cdef uint8_t* fold = &differ[0]
    cdef uint64_t* fold_words = <uint64_t*> fold  # numpy aligns the row to at least 8 bytes
    with nogil:
        for r in range(rows):
            memset(fold, 0, words * 8 + 8)
            y_end = min(r * patch + patch, height)
            for y in range(r * patch, y_end):
                row = &page[y, 0]
                fold_row(fold_words, row, words, pattern)
                for x in range(words * 8, width):
                    fold[x] |= row[x] ^ level
            for c in range(cols):
                x = c * patch
                end = min(x + patch, width)
                while x % 8 == 0 and x + 8 <= end:
                    if fold_words[x // 8]:
                        mask[r, c] = 1
                        break
                    x += 8
                if mask[r, c]:
                    continue
                while x < end:
                    if fold[x]:
                        mask[r, c] = 1
                        break
                    x += 1
    return out.view(bool)
