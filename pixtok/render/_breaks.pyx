# cython: language_level=3
"""ICU's break iterator walked in one compiled loop.

icu4py gives a text's break opportunities as a Python iterator of (start, end) tuples: about
half a microsecond of Python per opportunity, which on a window of Chinese (an opportunity
after nearly every character) cost more than shaping it. This loop calls ICU's own C API
(`ubrk_open`, `ubrk_setText`, `ubrk_next`, `ubrk_close`, from the ICU library icu4py's wheel
carries, so the rules, dictionaries and data are the same ones) and writes every boundary into
an array. Opening an iterator (loading its rules) costs about as much as walking a paragraph,
so `BreakIterators` keeps one open per kind and locale and gives it each new text.
"""


cimport numpy as cnp
from libc.stdint cimport int32_t, int64_t, uint16_t, uint32_t

from pixtok.render._arrays cimport new_array, read_uint16, read_uint32, write_int64

cnp.import_array()

ctypedef void* (*ubrk_open_fn)(int kind, const char* locale, const uint16_t* text, int32_t length, int* status) noexcept nogil
ctypedef void (*ubrk_set_text_fn)(void* iterator, const uint16_t* text, int32_t length, int* status) noexcept nogil
ctypedef int32_t (*ubrk_next_fn)(void* iterator) noexcept nogil
ctypedef int32_t (*ubrk_first_fn)(void* iterator) noexcept nogil
ctypedef void (*ubrk_close_fn)(void* iterator) noexcept nogil


cdef class BreakIterators:
    """ICU break iterators kept open, one per (kind, locale), for the thread that made them
    (an ICU iterator is not to be shared between threads)."""

    cdef ubrk_open_fn open_iterator
    cdef ubrk_set_text_fn set_text
    cdef ubrk_first_fn first
    cdef ubrk_next_fn next_boundary
    cdef ubrk_close_fn close_iterator
    cdef dict iterators

    def __cinit__(self, size_t open_address, size_t set_text_address, size_t first_address,
                  size_t next_address, size_t close_address):
        self.open_iterator = <ubrk_open_fn> <void*> open_address
        self.set_text = <ubrk_set_text_fn> <void*> set_text_address
        self.first = <ubrk_first_fn> <void*> first_address
        self.next_boundary = <ubrk_next_fn> <void*> next_address
        self.close_iterator = <ubrk_close_fn> <void*> close_address
        self.iterators = {}

    def __dealloc__(self):
        for address in self.iterators.values():
            self.close_iterator(<void*> <size_t> address)

    def boundaries(self, int kind, bytes locale, text_array):
        """Every boundary after 0 that ICU's break iterator of `kind` (UBreakIteratorType: 0
        characters, 2 lines) finds in `text` (UTF-16 code units) for `locale`, as UTF-16
        offsets, ascending; the end of the text is the last. Raises RuntimeError if ICU cannot
        open an iterator or take the text."""
        cdef Py_ssize_t text_n
        cdef const uint16_t* text = read_uint16(text_array, &text_n)
        cdef int status = 0
        cdef int32_t length = text_n
        cdef uint16_t empty = 0
        cdef const uint16_t* units = &text[0] if length else &empty
        cdef const char* name = locale
        cdef void* iterator
        key = (kind, locale)
        address = self.iterators.get(key)
        if address is None:
            iterator = self.open_iterator(kind, name, units, length, &status)
            if iterator == NULL or status > 0:  # U_FAILURE: an error code above zero
                if iterator != NULL:
                    self.close_iterator(iterator)
                raise RuntimeError(f"ICU could not open a break iterator (error {status})")
            if len(self.iterators) >= 16:  # a few kinds and locales are in use at a time
                for old in self.iterators.values():
                    self.close_iterator(<void*> <size_t> old)
                self.iterators.clear()
            self.iterators[key] = <size_t> iterator
        else:
            iterator = <void*> <size_t> address
            self.set_text(iterator, units, length, &status)
            if status > 0:
                raise RuntimeError(f"ICU could not take the text (error {status})")
        out = new_array(length + 1, cnp.NPY_INT64)
        cdef int64_t* found = write_int64(out, NULL)
        cdef Py_ssize_t count = 0
        cdef int32_t at
        with nogil:
            self.first(iterator)
            at = self.next_boundary(iterator)
            while at >= 0:  # UBRK_DONE is -1
                found[count] = at
                count += 1
                at = self.next_boundary(iterator)
        return out[:count]


def forced_breaks(cps_array):
    """Offsets at which a line must start: after every newline (U+000A), and the end of the
    text (once), ascending (int64)."""
    cdef Py_ssize_t cps_n
    cdef const uint32_t* cps = read_uint32(cps_array, &cps_n)
    cdef Py_ssize_t n = cps_n, i, count = 0
    for i in range(n):
        count += cps[i] == 10
    last_is_newline = n > 0 and cps[n - 1] == 10
    out = new_array(count + (0 if last_is_newline else 1), cnp.NPY_INT64)
    cdef int64_t* ends = write_int64(out, NULL)
    cdef Py_ssize_t k = 0
    for i in range(n):
        if cps[i] == 10:
            ends[k] = i + 1
            k += 1
    if not last_is_newline:
        ends[k] = n
    return out
