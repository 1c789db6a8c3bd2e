# cython: language_level=3
"""The data of numpy arrays as C pointers, for the compiled passes' arguments.

A typed memoryview argument (`const int64_t[::1] x`) costs about half a microsecond to take:
Cython makes a memoryview object, numpy writes out the array's format string and Cython parses
it back. A text passes some hundred arrays through the passes, so that alone was several
percent of rendering a window of new text. These functions check what a typed memoryview
checks (a numpy array of the element type in native byte order, of the number of dimensions,
its elements contiguous, writable when it is written) with numpy's C API and return the
pointer and the sizes, at a tenth of the cost. Indexing is unchecked, as it is for the
memoryviews (the passes are built with bounds checks off): each pass checks its indices itself.

Each module that cimports these calls `cnp.import_array()` first.
"""

cimport numpy as cnp
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uintptr_t

cdef enum Kind:
    SIGNED
    UNSIGNED
    REAL
    FLAG  # one byte, 0 or 1: numpy's bool, or uint8


cdef inline char* array_data(
    object array, Kind kind, Py_ssize_t itemsize, bint writable, int dimensions, bint whole,
    Py_ssize_t* shape, Py_ssize_t* row_step,
) except? NULL:
    """The data of `array`, checked to be a numpy array of `dimensions` (1 or 2) whose elements
    are of `kind` and `itemsize` bytes in native byte order (and writable if asked); its sizes
    go to `shape` (NULL for an array the caller made, whose sizes it knows). With `whole`, the
    array is C-contiguous; otherwise (two dimensions) each row is, and `row_step` gets how many
    elements apart the rows start (columns cut from a wider table)."""
    if not cnp.PyArray_Check(array):
        raise TypeError(f"expected a numpy array, not {type(array).__name__}")
    cdef cnp.ndarray a = <cnp.ndarray>array
    cdef bint fits = (
        cnp.PyArray_ISSIGNED(a) if kind == SIGNED
        else cnp.PyArray_ISUNSIGNED(a) if kind == UNSIGNED
        else cnp.PyArray_ISBOOL(a) or cnp.PyArray_ISUNSIGNED(a) if kind == FLAG
        else cnp.PyArray_ISFLOAT(a)
    )
    if not fits or cnp.PyArray_ITEMSIZE(a) != itemsize or not cnp.PyArray_ISNOTSWAPPED(a):
        expected = (
            "bool or uint8" if kind == FLAG
            else ("int" if kind == SIGNED else "uint" if kind == UNSIGNED else "float") + str(8 * itemsize)
        )
        raise ValueError(f"Buffer dtype mismatch: expected {expected}, got {a.dtype}")
    if cnp.PyArray_NDIM(a) != dimensions:
        raise ValueError(
            f"Buffer has wrong number of dimensions (expected {dimensions}, got {cnp.PyArray_NDIM(a)})"
        )
    if whole and not cnp.PyArray_IS_C_CONTIGUOUS(a):
        raise ValueError("ndarray is not C-contiguous")
    # The step along an axis of fewer than two elements is never taken (numpy may give any).
    if not whole and (
        (cnp.PyArray_DIM(a, 1) > 1 and cnp.PyArray_STRIDE(a, 1) != itemsize)
        or (cnp.PyArray_DIM(a, 0) > 1 and cnp.PyArray_STRIDE(a, 0) % itemsize)
    ):
        raise ValueError("expected a two-dimensional array of contiguous rows")
    if writable and not cnp.PyArray_ISWRITEABLE(a):
        raise ValueError("buffer source array is read-only")
    cdef int k
    if shape != NULL:  # NULL: the caller made the array and knows its size
        for k in range(dimensions):
            shape[k] = cnp.PyArray_DIM(a, k)
    if dimensions == 2:
        row_step[0] = cnp.PyArray_STRIDE(a, 0) // itemsize if not whole else cnp.PyArray_DIM(a, 1)
    return <char*>cnp.PyArray_DATA(a)


cdef inline char* vector_data(
    object array, Kind kind, Py_ssize_t itemsize, bint writable, Py_ssize_t* length
) except? NULL:
    """The data and length of a one-dimensional C-contiguous array (see `array_data`)."""
    return array_data(array, kind, itemsize, writable, 1, True, length, NULL)


cdef inline const int64_t* read_int64(object array, Py_ssize_t* length) except? NULL:
    return <const int64_t*>vector_data(array, SIGNED, 8, False, length)


cdef inline int64_t* write_int64(object array, Py_ssize_t* length) except? NULL:
    return <int64_t*>vector_data(array, SIGNED, 8, True, length)


cdef inline const int32_t* read_int32(object array, Py_ssize_t* length) except? NULL:
    return <const int32_t*>vector_data(array, SIGNED, 4, False, length)


cdef inline int32_t* write_int32(object array, Py_ssize_t* length) except? NULL:
    return <int32_t*>vector_data(array, SIGNED, 4, True, length)


cdef inline const int8_t* read_int8(object array, Py_ssize_t* length) except? NULL:
    return <const int8_t*>vector_data(array, SIGNED, 1, False, length)


cdef inline int8_t* write_int8(object array, Py_ssize_t* length) except? NULL:
    return <int8_t*>vector_data(array, SIGNED, 1, True, length)


cdef inline const uintptr_t* read_uintp(object array, Py_ssize_t* length) except? NULL:
    return <const uintptr_t*>vector_data(array, UNSIGNED, sizeof(uintptr_t), False, length)


cdef inline const uint32_t* read_uint32(object array, Py_ssize_t* length) except? NULL:
    return <const uint32_t*>vector_data(array, UNSIGNED, 4, False, length)


cdef inline uint32_t* write_uint32(object array, Py_ssize_t* length) except? NULL:
    return <uint32_t*>vector_data(array, UNSIGNED, 4, True, length)


cdef inline const uint16_t* read_uint16(object array, Py_ssize_t* length) except? NULL:
    return <const uint16_t*>vector_data(array, UNSIGNED, 2, False, length)


cdef inline uint16_t* write_uint16(object array, Py_ssize_t* length) except? NULL:
    return <uint16_t*>vector_data(array, UNSIGNED, 2, True, length)


cdef inline const uint8_t* read_uint8(object array, Py_ssize_t* length) except? NULL:
    return <const uint8_t*>vector_data(array, UNSIGNED, 1, False, length)


cdef inline uint8_t* write_uint8(object array, Py_ssize_t* length) except? NULL:
    return <uint8_t*>vector_data(array, UNSIGNED, 1, True, length)


cdef inline const uint8_t* read_flags(object array, Py_ssize_t* length) except? NULL:
    """A bool array's bytes (0 or 1), or a uint8 array's: flags made by numpy comparisons or by
    a pass, read without a `.view(np.uint8)` on the caller's side."""
    return <const uint8_t*>vector_data(array, FLAG, 1, False, length)


cdef inline uint8_t* write_flags(object array, Py_ssize_t* length) except? NULL:
    """As `read_flags`, for a pass to write 0 or 1 into."""
    return <uint8_t*>vector_data(array, FLAG, 1, True, length)


cdef inline const double* read_float64(object array, Py_ssize_t* length) except? NULL:
    return <const double*>vector_data(array, REAL, 8, False, length)


cdef inline double* write_float64(object array, Py_ssize_t* length) except? NULL:
    return <double*>vector_data(array, REAL, 8, True, length)


cdef inline char* matrix_data(
    object array, Kind kind, Py_ssize_t itemsize, Py_ssize_t* rows, Py_ssize_t* columns
) except? NULL:
    """The data, rows and columns of a 2-D C-contiguous array, read only (its rows one after
    the other; see `array_data`)."""
    cdef Py_ssize_t shape[2]
    cdef Py_ssize_t step
    cdef char* data = array_data(array, kind, itemsize, False, 2, True, shape, &step)
    rows[0], columns[0] = shape[0], shape[1]
    return data


cdef inline const uint8_t* read_uint8_matrix(
    object array, Py_ssize_t* rows, Py_ssize_t* columns
) except? NULL:
    return <const uint8_t*>matrix_data(array, UNSIGNED, 1, rows, columns)


cdef inline const int64_t* read_int64_matrix(
    object array, Py_ssize_t* rows, Py_ssize_t* columns
) except? NULL:
    return <const int64_t*>matrix_data(array, SIGNED, 8, rows, columns)


cdef inline int64_t* write_int64_rows(
    object array, Py_ssize_t* rows, Py_ssize_t* columns, Py_ssize_t* row_step
) except? NULL:
    """The data, rows and columns of a writable 2-D int64 array whose rows are each contiguous
    (a C-contiguous array, or columns cut from one), and how many elements apart its rows
    start."""
    cdef Py_ssize_t shape[2]
    cdef int64_t* data = <int64_t*>array_data(array, SIGNED, 8, True, 2, False, shape, row_step)
    rows[0], columns[0] = shape[0], shape[1]
    return data


cdef inline object new_array(Py_ssize_t length, int typenum):
    """A new one-dimensional array of `length` elements of numpy type `typenum`, uninitialised.
    Made through numpy's C API: `np.empty` parses its arguments and converts its dtype on every
    call, a cost that the passes, making a few dozen arrays a text, paid each time."""
    cdef cnp.npy_intp size = length
    return cnp.PyArray_EMPTY(1, &size, typenum, 0)


cdef inline object new_zeros(Py_ssize_t length, int typenum):
    """As `new_array`, every element zero."""
    cdef cnp.npy_intp size = length
    return cnp.PyArray_ZEROS(1, &size, typenum, 0)


cdef inline object new_matrix(Py_ssize_t rows, Py_ssize_t columns, int typenum):
    """As `new_array`, a C-contiguous array of `rows` rows of `columns` elements."""
    cdef cnp.npy_intp shape[2]
    shape[0] = rows
    shape[1] = columns
    return cnp.PyArray_EMPTY(2, shape, typenum, 0)
