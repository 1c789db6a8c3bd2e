# cython: language_level=3
"""A text's code points and UTF-16 code units as numpy arrays, read from the string itself.

Every text the engine renders is first turned into these arrays (HarfBuzz and the itemizer read
code points, ICU reads UTF-16). Through `str.encode` that is a codec found by name, an encoded
copy and a numpy view of it: small when the machinery is warm, but a new text usually finds it
cold, and its cost was then several times the copy itself. Here the characters are read
straight out of the string's own storage (PEP 393: one, two or four bytes a character) into a
new array.
"""

cimport numpy as cnp
from cpython.unicode cimport PyUnicode_DATA, PyUnicode_GET_LENGTH, PyUnicode_KIND, PyUnicode_READ
from libc.stdint cimport uint16_t, uint32_t

from pixtok.render._arrays cimport new_array, write_uint16, write_uint32

cnp.import_array()

#: What a lone surrogate becomes in UTF-16 (it cannot be encoded): U+FFFD, one unit like it.
cdef uint32_t REPLACEMENT = 0xFFFD


def codepoints(str text):
    """The code points of `text` (uint32), lone surrogates included as they are."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    out = new_array(n, cnp.NPY_UINT32)
    cdef uint32_t* cps = write_uint32(out, NULL)
    for i in range(n):
        cps[i] = PyUnicode_READ(kind, data, i)
    return out


def bmp_units(str text):
    """The UTF-16 code units of `text` (uint16), one per character, a lone surrogate as U+FFFD;
    None when a character lies beyond the Basic Multilingual Plane (it takes two units)."""
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(text), i
    cdef int kind = PyUnicode_KIND(text)
    cdef const void* data = PyUnicode_DATA(text)
    out = new_array(n, cnp.NPY_UINT16)
    cdef uint16_t* units = write_uint16(out, NULL)
    cdef uint32_t cp
    for i in range(n):
        cp = PyUnicode_READ(kind, data, i)
        if cp > 0xFFFF:
            return None
        units[i] = <uint16_t>(REPLACEMENT if 0xD800 <= cp <= 0xDFFF else cp)
    return out
