# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled loops behind convkit.functional.

# Design:
Every public function here takes C-contiguous typed memoryviews of one float type (the fused type
``floating``), writes into output arrays allocated by the caller, and releases the GIL. Arguments are *not*
checked: convkit.functional validates shapes, dtypes and sizes before calling in (bounds checks are off,
so a wrong shape here would read or write out of bounds). ``# IN`` / ``# OUT`` mark each argument.

Threads. Parallel loops split the work into jobs whose number depends only on the shapes, never on the
thread count; no two jobs write the same element, and each element is reduced in a fixed order: results
are bit-identical for any number of threads. Scratch buffers are per thread (``with nogil,
parallel(num_threads=n)`` + ``prange(schedule="static")``) and kept from call to call (``ck_scratch``,
thread-local, in named slots): a large convolution pays no page faults for fresh scratch memory at every
step. Small element-wise passes (< 64K elements) run on one thread.

Arithmetic. The inner loops live in C (``_native/``, one header per op family), written with GCC/Clang
vector extensions and compiled three times (AVX-512, AVX2+FMA, and the portable baseline: SSE2 on x86-64,
NEON on aarch64); ``_native/dispatch.c`` picks one set at import from cpuid (``simd_level``;
``set_simd_level`` forces a lower one, which the tests use to run the baseline). No -march=native anywhere.
The kernel table ``_native/ck_table.h`` is the one list of kernels: the build generates ``ck_table.pxi``
from it (their declarations and the typed wrappers ``ck_<name>``, one per kernel for both float types).

This module is only includes, one file per op family (in ``_native/``); the convolution's path, grid and
blocking are decided in ``conv_plan.pxi`` and nowhere else.
"""

from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY, sqrt
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint32_t, uint64_t
from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from libc.stdlib cimport calloc, free, malloc, qsort
from libc.string cimport memset

ctypedef fused floating:
    float
    double

include "ck_table.pxi"
include "_native/common.pxi"
include "_native/config.pxi"
include "_native/elementwise.pxi"
include "_native/conv_plan.pxi"
include "_native/conv_phases.pxi"
include "_native/winograd.pxi"
include "_native/conv.pxi"
include "_native/depthwise.pxi"
include "_native/gemm.pxi"
include "_native/pooling.pxi"
include "_native/batchnorm.pxi"
include "_native/norm.pxi"
include "_native/optimizers.pxi"
