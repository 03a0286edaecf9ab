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
thread-local): a large convolution pays no page faults for fresh scratch memory at every step. Small
element-wise passes (< 64K elements) run on one thread.

Arithmetic. The inner loops live in C (``_ck_impl_t.h``), written with GCC/Clang vector extensions and
compiled three times (AVX-512, AVX2+FMA, and the portable baseline: SSE2 on x86-64, NEON on aarch64);
``_ck_dispatch.c`` picks one set at import from cpuid (``simd_level``; ``set_simd_level`` forces a lower
one, which the tests use to run the baseline). No -march=native anywhere.

Convolution: two paths, chosen in one place (functional/conv.py: ``conv_path``, ``dw_kernel``):
- *direct* (stride 1, any channel count): the output is a GEMM whose "B" rows are never materialised:
  ``ck_shift_gemm`` computes out[m][q] = bias[m] + sum_k A[m][k] * base[off[k] + q] with base = one
  zero-padded image (per-thread copy) and off[k] = c*plane + kh*WP + kw: a register tile of up to 8
  output channels x 3 vectors of output pixels, held over the whole k loop. Pixels run on the "wide"
  grid q = oh*WP + ow (columns ow >= OW computed and dropped), or on whole output rows when OW is a
  multiple of the vector width (``ck_shift_rows``: nothing dropped). dx is the same kernel on the
  zero-padded upstream gradient with the flipped, channel-swapped weights (a "full" convolution: no
  scatter). dW: ``ck_dw_reduce`` (vectorised along pixels, vector partial sums kept across the images of a
  chunk) for few filters or taps, ``ck_dw_outer`` (vectorised along filters against a transposed copy of
  dout, image values broadcast) for many; an extra "B" row of ones gives db in the same pass. An image
  holding inf/NaN takes the exact im2col route for dW (the wide grid would multiply it by zeros).
- *im2col* (any stride): per job one image and a block of output pixels, im2col into a per-thread tile
  of at most ~256 KB (never a full-batch buffer), then the same micro-kernels; dx through col2im, one
  job per image.
- dW jobs are (fixed chunk of images, group of weight columns); chunk partials are added in chunk order
  in double.

Pooling: 2x2 windows with stride 2 have vectorised C kernels (the winner's window index kept as an
unsigned int as wide as the data); other windows use the generic loops below. Batch norm: per channel,
one pass for the sums (vector partial sums per row, or column sums across channels for short rows such as
BatchNorm1d's) in double, one pass for the output. ``gemm`` and ``relu_*`` serve the dense layers and
activations (no BLAS threads next to the OpenMP ones); ``adamax_update`` is the Adamax step in one pass.
"""

from cython.parallel cimport parallel, prange
from libc.math cimport INFINITY
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memset

cimport openmp

ctypedef fused floating:
    float
    double

cdef extern from *:
    """
    #ifdef _OPENMP
    #define CONVKIT_HAS_OPENMP 1
    #else
    #define CONVKIT_HAS_OPENMP 0
    #endif
    """
    int CONVKIT_HAS_OPENMP


cdef extern from "_ck.h" nogil:
    ctypedef struct ck_ops_f32:
        void (*pack_a)(ptrdiff_t M, ptrdiff_t K, const float *a, ptrdiff_t sm, ptrdiff_t sk,
                       float *apack) noexcept nogil
        void (*shift_gemm)(ptrdiff_t M, ptrdiff_t K, const float *apack, const float *base,
                           const ptrdiff_t *off, const float *bias, ptrdiff_t q_begin, ptrdiff_t q_end,
                           ptrdiff_t wq, ptrdiff_t owc, float *out, ptrdiff_t ldo, float *tail,
                           ptrdiff_t *tail_off) noexcept nogil
        void (*shift_rows)(ptrdiff_t M, ptrdiff_t K, const float *apack, const float *base, const ptrdiff_t *off,
                           const float *bias, ptrdiff_t r_begin, ptrdiff_t r_end, ptrdiff_t wq, ptrdiff_t owc,
                           float *out, ptrdiff_t ldo) noexcept nogil
        ptrdiff_t (*dw_reduce_size)(ptrdiff_t M, ptrdiff_t NJ) noexcept nogil
        void (*dw_reduce)(ptrdiff_t M, ptrdiff_t NJ, const float *a, ptrdiff_t lda, const float *base,
                          const ptrdiff_t *off, ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t a_rs, ptrdiff_t b_rs,
                          float *vacc, int m_outer) noexcept nogil
        void (*dw_reduce_finish)(ptrdiff_t M, ptrdiff_t NJ, const float *vacc, float *d, ptrdiff_t ldd) noexcept nogil
        void (*dw_outer)(ptrdiff_t NK, ptrdiff_t FP, const float *base, const ptrdiff_t *off, const float *bt,
                         ptrdiff_t ldb, ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t b_rs, float *acc,
                         ptrdiff_t ldacc) noexcept nogil
        void (*sum_partials)(const float *part, ptrdiff_t chunks, ptrdiff_t part_size, ptrdiff_t r0, ptrdiff_t r1,
                             ptrdiff_t ncols, ptrdiff_t ld, float *out, ptrdiff_t ors, ptrdiff_t ocs) noexcept nogil
        void (*transpose)(const float *src, ptrdiff_t rows, ptrdiff_t lds, ptrdiff_t cols, float *dst,
                          ptrdiff_t ldd) noexcept nogil
        int (*embed)(const float *src, ptrdiff_t planes, ptrdiff_t sps, ptrdiff_t H, ptrdiff_t W, float *dst,
                     ptrdiff_t dps, ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top, ptrdiff_t left, int zero,
                     int check) noexcept nogil
        void (*im2col)(const float *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH, ptrdiff_t KW,
                       ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t OW, ptrdiff_t p0,
                       ptrdiff_t np, float *col, ptrdiff_t ldc) noexcept nogil
        void (*col2im_add)(const float *dcol, ptrdiff_t ldc, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,
                           ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw,
                           ptrdiff_t OW, ptrdiff_t p0, ptrdiff_t np, float *dx) noexcept nogil
        void (*maxpool2)(const float *x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                         float *out, uint32_t *idx, ptrdiff_t OH, ptrdiff_t OW) noexcept nogil
        void (*maxpool2_backward)(const float *dout, const uint32_t *idx, ptrdiff_t p0, ptrdiff_t p1,
                                  ptrdiff_t H, ptrdiff_t W, float *dx, ptrdiff_t OH, ptrdiff_t OW) noexcept nogil
        void (*avgpool2)(const float *x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                         float *out, ptrdiff_t OH, ptrdiff_t OW) noexcept nogil
        void (*avgpool2_backward)(const float *dout, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                                  float *dx, ptrdiff_t OH, ptrdiff_t OW) noexcept nogil
        void (*relu)(const float *x, float *out, ptrdiff_t i0, ptrdiff_t i1) noexcept nogil
        void (*relu_inplace)(float *x, ptrdiff_t i0, ptrdiff_t i1) noexcept nogil
        void (*relu_backward)(const float *x, const float *dout, float *dx, ptrdiff_t i0, ptrdiff_t i1) noexcept nogil
        void (*bn_sums)(const float *x, const float *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0,
                        ptrdiff_t c1, const double *mean, double *s1, double *s2) noexcept nogil
        void (*bn_affine)(const float *x, const float *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0,
                          ptrdiff_t c1, const float *a, const float *e, const float *b, const float *d,
                          float *out) noexcept nogil

    ctypedef struct ck_ops_f64:
        void (*pack_a)(ptrdiff_t M, ptrdiff_t K, const double *a, ptrdiff_t sm, ptrdiff_t sk,
                       double *apack) noexcept nogil
        void (*shift_gemm)(ptrdiff_t M, ptrdiff_t K, const double *apack, const double *base,
                           const ptrdiff_t *off, const double *bias, ptrdiff_t q_begin, ptrdiff_t q_end,
                           ptrdiff_t wq, ptrdiff_t owc, double *out, ptrdiff_t ldo, double *tail,
                           ptrdiff_t *tail_off) noexcept nogil
        void (*shift_rows)(ptrdiff_t M, ptrdiff_t K, const double *apack, const double *base, const ptrdiff_t *off,
                           const double *bias, ptrdiff_t r_begin, ptrdiff_t r_end, ptrdiff_t wq, ptrdiff_t owc,
                           double *out, ptrdiff_t ldo) noexcept nogil
        ptrdiff_t (*dw_reduce_size)(ptrdiff_t M, ptrdiff_t NJ) noexcept nogil
        void (*dw_reduce)(ptrdiff_t M, ptrdiff_t NJ, const double *a, ptrdiff_t lda, const double *base,
                          const ptrdiff_t *off, ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t a_rs, ptrdiff_t b_rs,
                          double *vacc, int m_outer) noexcept nogil
        void (*dw_reduce_finish)(ptrdiff_t M, ptrdiff_t NJ, const double *vacc, double *d, ptrdiff_t ldd) noexcept nogil
        void (*dw_outer)(ptrdiff_t NK, ptrdiff_t FP, const double *base, const ptrdiff_t *off, const double *bt,
                         ptrdiff_t ldb, ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t b_rs, double *acc,
                         ptrdiff_t ldacc) noexcept nogil
        void (*sum_partials)(const double *part, ptrdiff_t chunks, ptrdiff_t part_size, ptrdiff_t r0, ptrdiff_t r1,
                             ptrdiff_t ncols, ptrdiff_t ld, double *out, ptrdiff_t ors, ptrdiff_t ocs) noexcept nogil
        void (*transpose)(const double *src, ptrdiff_t rows, ptrdiff_t lds, ptrdiff_t cols, double *dst,
                          ptrdiff_t ldd) noexcept nogil
        int (*embed)(const double *src, ptrdiff_t planes, ptrdiff_t sps, ptrdiff_t H, ptrdiff_t W, double *dst,
                     ptrdiff_t dps, ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top, ptrdiff_t left, int zero,
                     int check) noexcept nogil
        void (*im2col)(const double *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH, ptrdiff_t KW,
                       ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t OW, ptrdiff_t p0,
                       ptrdiff_t np, double *col, ptrdiff_t ldc) noexcept nogil
        void (*col2im_add)(const double *dcol, ptrdiff_t ldc, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,
                           ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw,
                           ptrdiff_t OW, ptrdiff_t p0, ptrdiff_t np, double *dx) noexcept nogil
        void (*maxpool2)(const double *x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                         double *out, uint64_t *idx, ptrdiff_t OH, ptrdiff_t OW) noexcept nogil
        void (*maxpool2_backward)(const double *dout, const uint64_t *idx, ptrdiff_t p0, ptrdiff_t p1,
                                  ptrdiff_t H, ptrdiff_t W, double *dx, ptrdiff_t OH, ptrdiff_t OW) noexcept nogil
        void (*avgpool2)(const double *x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                         double *out, ptrdiff_t OH, ptrdiff_t OW) noexcept nogil
        void (*avgpool2_backward)(const double *dout, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                                  double *dx, ptrdiff_t OH, ptrdiff_t OW) noexcept nogil
        void (*relu)(const double *x, double *out, ptrdiff_t i0, ptrdiff_t i1) noexcept nogil
        void (*relu_inplace)(double *x, ptrdiff_t i0, ptrdiff_t i1) noexcept nogil
        void (*relu_backward)(const double *x, const double *dout, double *dx, ptrdiff_t i0, ptrdiff_t i1) noexcept nogil
        void (*bn_sums)(const double *x, const double *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0,
                        ptrdiff_t c1, const double *mean, double *s1, double *s2) noexcept nogil
        void (*bn_affine)(const double *x, const double *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0,
                          ptrdiff_t c1, const double *a, const double *e, const double *b, const double *d,
                          double *out) noexcept nogil

    const ck_ops_f32 *ck_f32
    const ck_ops_f64 *ck_f64
    ptrdiff_t ck_tile_cols_f32
    ptrdiff_t ck_tile_cols_f64
    ptrdiff_t ck_lanes_f32
    ptrdiff_t ck_lanes_f64
    void *ck_scratch(int slot, size_t nbytes)
    void ck_no_huge_pages(void *p, size_t n)
    int ck_best_level()
    int ck_select(int level)
    int ck_level()
    const char *ck_level_name(int level)


ck_select(ck_best_level())

_SIMD_LEVELS = {"baseline": 0, "avx2": 1, "avx512": 2}


def openmp_enabled():
    """True when the extension was compiled with OpenMP."""
    return bool(CONVKIT_HAS_OPENMP)


def openmp_max_threads():
    """What OpenMP would use by default (honours OMP_NUM_THREADS)."""
    return openmp.omp_get_max_threads()


def simd_level():
    """The instruction set the convolution kernels run with: "avx512", "avx2" or "baseline"."""
    return ck_level_name(ck_level()).decode()


def best_simd_level():
    """The best instruction set this CPU and this build support."""
    return ck_level_name(ck_best_level()).decode()


def set_simd_level(name):
    """Run the convolution kernels with ``name`` ("avx512", "avx2", "baseline"; clamped to what the CPU
    supports). For tests and benchmarks; returns the level now in use."""
    if name not in _SIMD_LEVELS:
        raise ValueError(f"set_simd_level: name must be one of {sorted(_SIMD_LEVELS)}. Received: {name!r}")
    return ck_level_name(ck_select(_SIMD_LEVELS[name])).decode()


# ---------------------------------------------------------------------------------------------------------
# Typed access to the dispatch table (one C function per float type)
# ---------------------------------------------------------------------------------------------------------

cdef inline ptrdiff_t _tile_cols(floating *dummy) noexcept nogil:
    if floating is float:
        return ck_tile_cols_f32
    else:
        return ck_tile_cols_f64


cdef inline void _pack_a(ptrdiff_t M, ptrdiff_t K, const floating *a, ptrdiff_t sm, ptrdiff_t sk,
                         floating *apack) noexcept nogil:
    if floating is float:
        ck_f32.pack_a(M, K, a, sm, sk, apack)
    else:
        ck_f64.pack_a(M, K, a, sm, sk, apack)


cdef inline void _shift_gemm(ptrdiff_t M, ptrdiff_t K, const floating *apack, const floating *base,
                             const ptrdiff_t *off, const floating *bias, ptrdiff_t q_begin, ptrdiff_t q_end,
                             ptrdiff_t wq, ptrdiff_t owc, floating *out, ptrdiff_t ldo, floating *tail,
                             ptrdiff_t *tail_off) noexcept nogil:
    if floating is float:
        ck_f32.shift_gemm(M, K, apack, base, off, bias, q_begin, q_end, wq, owc, out, ldo, tail, tail_off)
    else:
        ck_f64.shift_gemm(M, K, apack, base, off, bias, q_begin, q_end, wq, owc, out, ldo, tail, tail_off)


cdef inline void _shift_rows(ptrdiff_t M, ptrdiff_t K, const floating *apack, const floating *base,
                             const ptrdiff_t *off, const floating *bias, ptrdiff_t r_begin, ptrdiff_t r_end,
                             ptrdiff_t wq, ptrdiff_t owc, floating *out, ptrdiff_t ldo) noexcept nogil:
    if floating is float:
        ck_f32.shift_rows(M, K, apack, base, off, bias, r_begin, r_end, wq, owc, out, ldo)
    else:
        ck_f64.shift_rows(M, K, apack, base, off, bias, r_begin, r_end, wq, owc, out, ldo)


cdef inline ptrdiff_t _dw_reduce_size(floating *dummy, ptrdiff_t M, ptrdiff_t NJ) noexcept nogil:
    if floating is float:
        return ck_f32.dw_reduce_size(M, NJ)
    else:
        return ck_f64.dw_reduce_size(M, NJ)


cdef inline void _dw_reduce(ptrdiff_t M, ptrdiff_t NJ, const floating *a, ptrdiff_t lda, const floating *base,
                            const ptrdiff_t *off, ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t a_rs, ptrdiff_t b_rs,
                            floating *vacc, int m_outer) noexcept nogil:
    if floating is float:
        ck_f32.dw_reduce(M, NJ, a, lda, base, off, nrows, rowlen, a_rs, b_rs, vacc, m_outer)
    else:
        ck_f64.dw_reduce(M, NJ, a, lda, base, off, nrows, rowlen, a_rs, b_rs, vacc, m_outer)


cdef inline void _dw_reduce_finish(ptrdiff_t M, ptrdiff_t NJ, const floating *vacc, floating *d,
                                   ptrdiff_t ldd) noexcept nogil:
    if floating is float:
        ck_f32.dw_reduce_finish(M, NJ, vacc, d, ldd)
    else:
        ck_f64.dw_reduce_finish(M, NJ, vacc, d, ldd)


cdef inline void _dw_outer(ptrdiff_t NK, ptrdiff_t FP, const floating *base, const ptrdiff_t *off,
                           const floating *bt, ptrdiff_t ldb, ptrdiff_t nrows, ptrdiff_t rowlen, ptrdiff_t b_rs,
                           floating *acc, ptrdiff_t ldacc) noexcept nogil:
    if floating is float:
        ck_f32.dw_outer(NK, FP, base, off, bt, ldb, nrows, rowlen, b_rs, acc, ldacc)
    else:
        ck_f64.dw_outer(NK, FP, base, off, bt, ldb, nrows, rowlen, b_rs, acc, ldacc)


cdef inline void _sum_partials(const floating *part, ptrdiff_t chunks, ptrdiff_t part_size, ptrdiff_t r0,
                               ptrdiff_t r1, ptrdiff_t ncols, ptrdiff_t ld, floating *out, ptrdiff_t ors,
                               ptrdiff_t ocs) noexcept nogil:
    if floating is float:
        ck_f32.sum_partials(part, chunks, part_size, r0, r1, ncols, ld, out, ors, ocs)
    else:
        ck_f64.sum_partials(part, chunks, part_size, r0, r1, ncols, ld, out, ors, ocs)


cdef inline void _transpose(const floating *src, ptrdiff_t rows, ptrdiff_t lds, ptrdiff_t cols, floating *dst,
                            ptrdiff_t ldd) noexcept nogil:
    if floating is float:
        ck_f32.transpose(src, rows, lds, cols, dst, ldd)
    else:
        ck_f64.transpose(src, rows, lds, cols, dst, ldd)


cdef inline int _embed(const floating *src, ptrdiff_t planes, ptrdiff_t sps, ptrdiff_t H, ptrdiff_t W,
                       floating *dst, ptrdiff_t dps, ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top,
                       ptrdiff_t left, int check) noexcept nogil:
    """Copy into a per-thread scratch buffer that was zeroed at allocation and only ever receives images of
    the same geometry: the borders are still zero, only the interior is written."""
    if floating is float:
        return ck_f32.embed(src, planes, sps, H, W, dst, dps, DH, DW, top, left, 0, check)
    else:
        return ck_f64.embed(src, planes, sps, H, W, dst, dps, DH, DW, top, left, 0, check)


cdef inline void _im2col(const floating *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH, ptrdiff_t KW,
                         ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t OW, ptrdiff_t p0,
                         ptrdiff_t np, floating *col, ptrdiff_t ldc) noexcept nogil:
    if floating is float:
        ck_f32.im2col(x, C, H, W, KH, KW, sh, sw, ph, pw, OW, p0, np, col, ldc)
    else:
        ck_f64.im2col(x, C, H, W, KH, KW, sh, sw, ph, pw, OW, p0, np, col, ldc)


cdef inline void _col2im_add(const floating *dcol, ptrdiff_t ldc, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W,
                             ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw,
                             ptrdiff_t OW, ptrdiff_t p0, ptrdiff_t np, floating *dx) noexcept nogil:
    if floating is float:
        ck_f32.col2im_add(dcol, ldc, C, H, W, KH, KW, sh, sw, ph, pw, OW, p0, np, dx)
    else:
        ck_f64.col2im_add(dcol, ldc, C, H, W, KH, KW, sh, sw, ph, pw, OW, p0, np, dx)


cdef inline ptrdiff_t _cdiv(ptrdiff_t a, ptrdiff_t b) noexcept nogil:
    return (a + b - 1) // b


cdef inline ptrdiff_t _im2col_block(ptrdiff_t K, ptrdiff_t P, ptrdiff_t itemsize, ptrdiff_t tile) noexcept nogil:
    """Output pixels per im2col tile: K x block elements of at most ~256 KB, a multiple of the GEMM tile."""
    cdef ptrdiff_t block = (256 * 1024) // (K * itemsize)
    block = block - block % tile
    if block < tile:
        block = tile
    if block > _cdiv(P, tile) * tile:
        block = _cdiv(P, tile) * tile
    return block


cdef inline ptrdiff_t _parts(ptrdiff_t N, ptrdiff_t tiles) noexcept nogil:
    """Jobs per image so that a small batch still feeds several threads (a function of shapes only)."""
    cdef ptrdiff_t parts = 1
    if N < 8:
        parts = _cdiv(8, N)
    if parts > tiles:
        parts = tiles
    return parts if parts > 0 else 1


cdef inline void *_scratch(int slot, ptrdiff_t nbytes, bint zero) noexcept nogil:
    """This thread's scratch buffer `slot` (kept between calls, see ck_scratch), optionally zeroed. Slots
    0-4 are for the threads inside a parallel region, 5-9 for the calling thread before and after it."""
    cdef void *p = ck_scratch(slot, nbytes + 64)
    if p != NULL and zero:
        memset(p, 0, nbytes + 64)
    return p


cdef inline void _small_pages(void *p, ptrdiff_t nbytes) noexcept nogil:
    """A fresh output of 4 MB or more, about to be first written by all the threads: small pages."""
    if nbytes >= (4 << 20):
        ck_no_huge_pages(p, nbytes)


def _alloc_error(what):
    raise MemoryError(f"convkit: could not allocate the scratch memory for {what}")


# ---------------------------------------------------------------------------------------------------------
# 2-D convolution: path 0 = direct (stride 1 only), path 1 = im2col tiles (any stride)
# ---------------------------------------------------------------------------------------------------------

cdef enum:
    _DIRECT = 0
    _IM2COL = 1

CONV_DIRECT = _DIRECT  # the path argument of the three conv2d kernels
CONV_IM2COL = _IM2COL

cdef enum:
    _DW_CHUNKS = 8              # images are summed in at most this many fixed chunks for the weight gradient
    _DW_PARTIAL_BYTES = 32 << 20  # ... fewer when the per-chunk partial gradients would exceed this


cdef inline void _relu_span(floating *out, ptrdiff_t i0, ptrdiff_t i1) noexcept nogil:
    """out[i] = max(out[i], 0) for i0 <= i < i1, in place (NaN stays NaN)."""
    if i0 >= i1:
        return
    if floating is float:
        ck_f32.relu_inplace(out, i0, i1)
    else:
        ck_f64.relu_inplace(out, i0, i1)


cdef inline void _relu_planes(floating *out, ptrdiff_t F, ptrdiff_t P, ptrdiff_t i0, ptrdiff_t i1) noexcept nogil:
    """ReLU in place on elements i0 <= i < i1 of each of F output planes of P elements (one pass when
    that is all of them)."""
    cdef ptrdiff_t f
    if i0 == 0 and i1 == P:
        _relu_span(out, 0, F * P)
        return
    for f in range(F):
        _relu_span(out + f * P, i0, i1)


cdef inline void _relu_wide(floating *out, ptrdiff_t F, ptrdiff_t P, ptrdiff_t q0, ptrdiff_t q1, ptrdiff_t wq,
                            ptrdiff_t owc) noexcept nogil:
    """ReLU in place on what ck_shift_gemm wrote for wide columns q0 <= q < q1 (row period wq, owc kept
    columns per row) in F output planes of P pixels: exactly those elements, as a neighbouring job may be
    writing the rest of a row."""
    cdef ptrdiff_t f, r, c0, c1, r0 = q0 // wq, r1 = (q1 - 1) // wq + 1
    if q0 == r0 * wq and q1 - (r1 - 1) * wq >= owc:  # whole output rows r0 <= r < r1
        _relu_planes(out, F, P, r0 * owc, r1 * owc)
        return
    for f in range(F):
        for r in range(r0, r1):
            c0 = q0 - r * wq if q0 > r * wq else 0
            c1 = q1 - r * wq if q1 - r * wq < owc else owc
            _relu_span(out + f * P + r * owc, c0, c1)


def conv2d_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    const floating[:, :, :, ::1] w,     # IN  (F, C, KH, KW)
    const floating[::1] b,              # IN  (F,)
    floating[:, :, :, ::1] out,         # OUT (N, F, OH, OW)
    int stride_h, int stride_w, int pad_h, int pad_w, int path, bint relu, int n_threads,
):
    """out[n, f] = b[f] + sum_c sum_kh sum_kw w[f, c, kh, kw] * xpad[n, c, oh*sh + kh, ow*sw + kw], then
    max(out, 0) with ``relu`` (fused: each job clamps its own outputs while they are in cache)."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t F = w.shape[0], KH = w.shape[2], KW = w.shape[3]
    cdef ptrdiff_t OH = out.shape[2], OW = out.shape[3], P = OH * OW, K = C * KH * KW
    cdef ptrdiff_t NR = ck_tile_cols_f32 if floating is float else ck_tile_cols_f64
    cdef ptrdiff_t VL = ck_lanes_f32 if floating is float else ck_lanes_f64
    cdef ptrdiff_t HP = H + 2 * pad_h, WP = W + 2 * pad_w, plane = HP * WP
    cdef ptrdiff_t q_end = 0, tiles, parts = 1, per = 0, block = 0, blocks = 1, n_jobs
    cdef bint rows = False
    cdef ptrdiff_t job, n, c, kh, kw, q0, q1, p0, npix
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *xpad
    cdef floating *tail
    cdef ptrdiff_t *toff
    cdef ptrdiff_t *last
    if N == 0 or F == 0:
        return
    cdef floating *apack = <floating *>_scratch(5, F * K * sizeof(floating), False)
    cdef ptrdiff_t *off = <ptrdiff_t *>_scratch(6, K * sizeof(ptrdiff_t), False)
    if apack == NULL or off == NULL:
        _alloc_error("conv2d_forward")
    _pack_a(F, K, &w[0, 0, 0, 0], K, 1, apack)
    _small_pages(&out[0, 0, 0, 0], N * F * P * sizeof(floating))
    if path == _DIRECT:
        for c in range(C):
            for kh in range(KH):
                for kw in range(KW):
                    off[(c * KH + kh) * KW + kw] = c * plane + kh * WP + kw
        q_end = (OH - 1) * WP + OW  # one past the last wide column that is kept
        rows = OW % VL == 0  # whole vectors per output row: no dropped columns at all
        tiles = OH if rows else _cdiv(q_end, NR)
        parts = _parts(N, tiles)
        per = _cdiv(tiles, parts) * (1 if rows else NR)
        n_jobs = N * parts
    else:
        block = _im2col_block(K, P, sizeof(floating), NR)
        blocks = _cdiv(P, block)
        for c in range(K):
            off[c] = c * block
        n_jobs = N * blocks
    with nogil, parallel(num_threads=n_threads):
        # direct: the padded image (zero borders) + a zero tile of slack, so that shift_gemm never copies a
        # partial tile; im2col: the tile
        xpad = <floating *>_scratch(0, (C * plane + NR if path == _DIRECT else K * block) * sizeof(floating),
                                    path == _DIRECT)
        tail = <floating *>_scratch(1, K * NR * sizeof(floating), False)
        toff = <ptrdiff_t *>_scratch(2, (K + 2) * sizeof(ptrdiff_t), False)
        last = toff + K + 1  # per-thread memory: the image now in xpad
        if xpad == NULL or tail == NULL or toff == NULL:
            failp[0] = 1
        else:
            last[0] = -1
        for job in prange(n_jobs, schedule="static"):
            if xpad == NULL or tail == NULL or toff == NULL:
                continue
            if path == _DIRECT:
                n = job // parts
                if last[0] != n:
                    _embed(&x[n, 0, 0, 0], C, H * W, H, W, xpad, plane, HP, WP, pad_h, pad_w, 0)
                    last[0] = n
                q0 = (job % parts) * per
                q1 = q0 + per
                if rows:
                    if q1 > OH:
                        q1 = OH
                    if q0 < q1:
                        _shift_rows(F, K, apack, xpad, off, &b[0], q0, q1, WP, OW, &out[n, 0, 0, 0], P)
                        if relu:
                            _relu_planes(&out[n, 0, 0, 0], F, P, q0 * OW, q1 * OW)
                    continue
                if q1 > q_end:
                    q1 = q_end
                if q0 < q1:
                    _shift_gemm(F, K, apack, xpad, off, &b[0], q0, q1, WP, OW, &out[n, 0, 0, 0], P, NULL, toff)
                    if relu:
                        _relu_wide(&out[n, 0, 0, 0], F, P, q0, q1, WP, OW)
            else:
                n = job // blocks
                p0 = (job % blocks) * block
                npix = P - p0
                if npix > block:
                    npix = block
                _im2col(&x[n, 0, 0, 0], C, H, W, KH, KW, stride_h, stride_w, pad_h, pad_w, OW, p0, npix,
                        xpad, block)
                _shift_gemm(F, K, apack, xpad, off, &b[0], 0, npix, npix, npix, &out[n, 0, 0, 0] + p0, P,
                            tail, toff)
                if relu:
                    _relu_planes(&out[n, 0, 0, 0], F, P, p0, p0 + npix)
    if failed:
        _alloc_error("conv2d_forward")


def conv2d_backward_input(
    const floating[:, :, :, ::1] dout,  # IN  (N, F, OH, OW)
    const floating[:, :, :, ::1] w,     # IN  (F, C, KH, KW)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W)
    int stride_h, int stride_w, int pad_h, int pad_w, int path, int n_threads,
):
    """dx[n, c, oh*sh + kh - ph, ow*sw + kw - pw] += w[f, c, kh, kw] * dout[n, f, oh, ow].

    Direct path: dx = the stride-1 convolution of dout (zero-padded by KH-1-ph, KW-1-pw) with the flipped
    weights, channels swapped. im2col path: per image dcol = w^T dout, one pixel block at a time, then
    col2im; a job owns a whole image of dx.
    """
    cdef ptrdiff_t N = dout.shape[0], F = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef ptrdiff_t C = w.shape[1], KH = w.shape[2], KW = w.shape[3], H = dx.shape[2], W = dx.shape[3]
    cdef ptrdiff_t P = OH * OW, K = C * KH * KW, KK = F * KH * KW
    cdef ptrdiff_t NR = ck_tile_cols_f32 if floating is float else ck_tile_cols_f64
    cdef ptrdiff_t VL = ck_lanes_f32 if floating is float else ck_lanes_f64
    cdef ptrdiff_t DH = H + KH - 1, DW = W + KW - 1, dplane = DH * DW
    cdef ptrdiff_t q_end = 0, tiles, parts = 1, per = 0, block = 0, n_jobs, scratch, n_off
    cdef bint rows = False
    cdef ptrdiff_t job, n, c, f, kh, kw, q0, q1, p0, npix, e, blk
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *buf
    cdef floating *tail
    cdef ptrdiff_t *toff
    cdef ptrdiff_t *last
    cdef floating *dxn
    if N == 0 or C == 0:
        return
    cdef floating *apack = <floating *>_scratch(5, C * KK * sizeof(floating), False)
    cdef floating *wt = NULL
    cdef ptrdiff_t *off = <ptrdiff_t *>_scratch(6, (KK + F) * sizeof(ptrdiff_t), False)
    if apack == NULL or off == NULL:
        _alloc_error("conv2d_backward")
    _small_pages(&dx[0, 0, 0, 0], N * C * H * W * sizeof(floating))
    if path == _DIRECT:
        wt = <floating *>_scratch(7, C * KK * sizeof(floating), False)  # (C, F, KH, KW), flipped in kh, kw
        if wt == NULL:
            _alloc_error("conv2d_backward")
        for c in range(C):
            for f in range(F):
                for kh in range(KH):
                    for kw in range(KW):
                        wt[((c * F + f) * KH + kh) * KW + kw] = w[f, c, KH - 1 - kh, KW - 1 - kw]
                        off[(f * KH + kh) * KW + kw] = f * dplane + kh * DW + kw
        _pack_a(C, KK, wt, KK, 1, apack)
        q_end = (H - 1) * DW + W
        rows = W % VL == 0  # whole vectors per row of dx: no dropped columns at all
        tiles = H if rows else _cdiv(q_end, NR)
        parts = _parts(N, tiles)
        per = _cdiv(tiles, parts) * (1 if rows else NR)
        n_jobs = N * parts
        scratch = F * dplane
        n_off = KK
    else:
        _pack_a(K, F, &w[0, 0, 0, 0], 1, K, apack)  # A = w^T: (K, F)
        for f in range(F):
            off[f] = f * P
        block = _im2col_block(K, P, sizeof(floating), NR)
        n_jobs = N
        scratch = K * block
        n_off = F
    with nogil, parallel(num_threads=n_threads):
        # direct: the padded dout (zero borders) + a zero tile of slack; im2col: the column gradient tile
        buf = <floating *>_scratch(0, (scratch + NR) * sizeof(floating), path == _DIRECT)
        tail = <floating *>_scratch(1, n_off * NR * sizeof(floating), False)
        toff = <ptrdiff_t *>_scratch(2, (n_off + 2) * sizeof(ptrdiff_t), False)
        last = toff + n_off + 1
        if buf == NULL or tail == NULL or toff == NULL:
            failp[0] = 1
        else:
            last[0] = -1
        for job in prange(n_jobs, schedule="static"):
            if buf == NULL or tail == NULL or toff == NULL:
                continue
            if path == _DIRECT:
                n = job // parts
                if last[0] != n:
                    _embed(&dout[n, 0, 0, 0], F, P, OH, OW, buf, dplane, DH, DW, KH - 1 - pad_h, KW - 1 - pad_w, 0)
                    last[0] = n
                q0 = (job % parts) * per
                q1 = q0 + per
                if rows:
                    if q1 > H:
                        q1 = H
                    if q0 < q1:
                        _shift_rows(C, KK, apack, buf, off, NULL, q0, q1, DW, W, &dx[n, 0, 0, 0], H * W)
                    continue
                if q1 > q_end:
                    q1 = q_end
                if q0 < q1:
                    _shift_gemm(C, KK, apack, buf, off, NULL, q0, q1, DW, W, &dx[n, 0, 0, 0], H * W, NULL, toff)
            else:
                dxn = &dx[job, 0, 0, 0]
                for e in range(C * H * W):
                    dxn[e] = 0
                for blk in range(_cdiv(P, block)):
                    p0 = blk * block
                    npix = P - p0
                    if npix > block:
                        npix = block
                    _shift_gemm(K, F, apack, &dout[job, 0, 0, 0] + p0, off, NULL, 0, npix, npix, npix, buf,
                                block, tail, toff)
                    _col2im_add(buf, block, C, H, W, KH, KW, stride_h, stride_w, pad_h, pad_w, OW, p0, npix, dxn)
    if failed:
        _alloc_error("conv2d_backward")


def conv2d_backward_weight(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    const floating[:, :, :, ::1] dout,  # IN  (N, F, OH, OW)
    floating[:, :, :, ::1] dw,          # OUT (F, C, KH, KW)
    floating[::1] db,                   # OUT (F,)
    int stride_h, int stride_w, int pad_h, int pad_w, int path, bint outer, int n_threads,
):
    """dw[f, c, kh, kw] = sum_n,oh,ow dout[n, f, oh, ow] * xpad[n, c, oh*sh + kh, ow*sw + kw]; db[f] = sum dout.

    One GEMM over K + 1 "B" rows: k = (c, kh, kw) are the shifted rows of the padded image (direct path)
    or of an im2col tile (im2col path), row K is all ones and gives db. Jobs are (chunk of images, group
    of rows); a chunk sums its images into its own partial gradient and the partials are added in chunk
    order (in double). outer=False: ck_dw_reduce, vectorised along pixels (few filters); outer=True:
    ck_dw_outer, vectorised along filters against the transposed upstream gradient (many filters). The
    direct path works on the wide pixel grid with zeros in the dropped columns; an image holding an inf or
    NaN takes the im2col path instead, where no zero is ever multiplied by it.
    """
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t F = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef ptrdiff_t KH = dw.shape[2], KW = dw.shape[3]
    cdef ptrdiff_t P = OH * OW, K = C * KH * KW, K1 = K + 1, FK1 = F * K1
    cdef ptrdiff_t NR = ck_tile_cols_f32 if floating is float else ck_tile_cols_f64
    cdef ptrdiff_t VL = ck_lanes_f32 if floating is float else ck_lanes_f64
    cdef ptrdiff_t FP = _cdiv(F, VL) * VL  # filters padded to whole vectors (outer)
    cdef ptrdiff_t HP = H + 2 * pad_h, WP = W + 2 * pad_w, plane = HP * WP
    cdef ptrdiff_t q_end = (OH - 1) * WP + OW  # wide pixels of the direct path
    cdef ptrdiff_t qv = _cdiv(q_end, VL) * VL  # ... rounded up to whole vectors
    cdef ptrdiff_t dps = OH * WP if OH * WP > qv else qv  # plane stride of the wide upstream gradient
    cdef ptrdiff_t ones_at = C * plane + VL  # the row of ones in the direct scratch
    cdef ptrdiff_t chunks, groups, gsize, job, n, f, c, kh, kw, j0, j1, p0, npix, e, ch, l, block, blk, oh
    cdef ptrdiff_t part_size, n_vacc, n_wide, n_tile, n_xpad, ie, nrows
    cdef bint rows
    cdef int m_outer
    cdef double acc
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *xpad
    cdef floating *wide
    cdef floating *col
    cdef floating *tile
    cdef floating *vacc
    cdef floating *part
    cdef floating *dwp
    cdef const floating *dp
    if F == 0:
        return
    dwp = &dw[0, 0, 0, 0] if K > 0 else NULL
    if N == 0:
        for e in range(F * K):
            dwp[e] = 0
        for f in range(F):
            db[f] = 0
        return
    part_size = K1 * FP if outer else FK1
    chunks = N if N < _DW_CHUNKS else _DW_CHUNKS
    while chunks > 1 and chunks * part_size * <ptrdiff_t>sizeof(floating) > _DW_PARTIAL_BYTES:
        chunks -= 1
    groups = _cdiv(_DW_CHUNKS, chunks)
    if groups > _cdiv(K1, 6):
        groups = _cdiv(K1, 6)
    gsize = _cdiv(K1, groups)
    block = _im2col_block(K1, P, sizeof(floating), NR)
    n_vacc = 0 if outer else _dw_reduce_size(dwp, F, gsize)
    # reduce: re-read the upstream gradient rows for every block of image rows while they are the smaller
    m_outer = F * q_end > C * plane
    rows = OW % VL == 0  # direct path on whole output rows (no wide grid)
    n_xpad = ones_at + qv if path == _DIRECT else 0
    n_wide = ((P if rows else q_end) * FP if outer else F * dps) if path == _DIRECT else 0
    n_tile = block * FP if outer else F * block
    cdef floating *partial = <floating *>_scratch(5, chunks * part_size * sizeof(floating), True)
    cdef ptrdiff_t *off = <ptrdiff_t *>_scratch(6, 2 * K1 * sizeof(ptrdiff_t), False)
    cdef ptrdiff_t *offc = off + K1
    if partial == NULL or off == NULL:
        _alloc_error("conv2d_backward")
    for c in range(C):
        for kh in range(KH):
            for kw in range(KW):
                off[(c * KH + kh) * KW + kw] = c * plane + kh * WP + kw
    off[K] = ones_at
    for e in range(K1):
        offc[e] = e * block
    with nogil, parallel(num_threads=n_threads):
        # per thread, zeroed once per call: borders, slack and padding lanes stay zero from image to image
        xpad = <floating *>_scratch(0, n_xpad * sizeof(floating), True)  # image + slack + a row of ones
        wide = <floating *>_scratch(1, n_wide * sizeof(floating), True)  # dout on the wide grid / transposed
        col = <floating *>_scratch(2, K1 * block * sizeof(floating), True)  # im2col tile + a row of ones
        tile = <floating *>_scratch(3, n_tile * sizeof(floating), True)  # dout for an im2col tile
        vacc = <floating *>_scratch(4, n_vacc * sizeof(floating), False)
        if xpad == NULL or wide == NULL or col == NULL or tile == NULL or vacc == NULL:
            failp[0] = 1
        else:
            if path == _DIRECT:
                for ie in range(qv):
                    xpad[ones_at + ie] = 1
            for ie in range(block):
                col[K * block + ie] = 1
        for job in prange(chunks * groups, schedule="static"):
            if xpad == NULL or wide == NULL or col == NULL or tile == NULL or vacc == NULL:
                continue
            ch = job // groups
            j0 = (job % groups) * gsize
            j1 = j0 + gsize
            if j1 > K1:
                j1 = K1
            if j0 >= j1:
                continue
            part = partial + ch * part_size
            for e in range(n_vacc):
                vacc[e] = 0
            for n in range(ch * N // chunks, (ch + 1) * N // chunks):
                if path == _DIRECT and rows:  # whole output rows: nothing dropped, nothing wasted
                    _embed(&x[n, 0, 0, 0], C, H * W, H, W, xpad, plane, HP, WP, pad_h, pad_w, 0)
                    if outer:
                        _transpose(&dout[n, 0, 0, 0], F, P, P, wide, FP)
                        _dw_outer(j1 - j0, FP, xpad, off + j0, wide, FP, OH, OW, WP, part + j0 * FP, FP)
                    else:
                        _dw_reduce(F, j1 - j0, &dout[n, 0, 0, 0], P, xpad, off + j0, OH, OW, OW, WP, vacc, m_outer)
                    continue
                if path == _DIRECT and not _embed(&x[n, 0, 0, 0], C, H * W, H, W, xpad, plane, HP, WP,
                                                  pad_h, pad_w, 1):
                    if outer:
                        for oh in range(OH):  # rows q = oh*WP + ow of the transposed gradient
                            _transpose(&dout[n, 0, oh, 0], F, P, OW, wide + oh * WP * FP, FP)
                        _dw_outer(j1 - j0, FP, xpad, off + j0, wide, FP, 1, q_end, 0, part + j0 * FP, FP)
                    else:
                        _embed(&dout[n, 0, 0, 0], F, P, OH, OW, wide, dps, OH, WP, 0, 0, 0)
                        _dw_reduce(F, j1 - j0, wide, dps, xpad, off + j0, 1, q_end, 0, 0, vacc, m_outer)
                    continue
                for blk in range(_cdiv(P, block)):
                    p0 = blk * block
                    npix = P - p0
                    if npix > block:
                        npix = block
                    _im2col(&x[n, 0, 0, 0], C, H, W, KH, KW, stride_h, stride_w, pad_h, pad_w, OW, p0, npix,
                            col, block)
                    if outer:
                        _transpose(&dout[n, 0, 0, 0] + p0, F, P, npix, tile, FP)
                        _dw_outer(j1 - j0, FP, col, offc + j0, tile, FP, 1, npix, 0, part + j0 * FP, FP)
                    else:
                        # whole vectors: zero the columns past npix (but in the row of ones) and in the tile
                        for e in range(K):
                            for l in range(npix, _cdiv(npix, VL) * VL):
                                col[e * block + l] = 0
                        for f in range(F):
                            dp = &dout[n, f, 0, 0]
                            for l in range(npix):
                                tile[f * block + l] = dp[p0 + l]
                            for l in range(npix, _cdiv(npix, VL) * VL):
                                tile[f * block + l] = 0
                        _dw_reduce(F, j1 - j0, tile, block, col, offc + j0, 1, npix, 0, 0, vacc, m_outer)
            if not outer:
                _dw_reduce_finish(F, j1 - j0, vacc, part + j0, K1)
    # sum the chunks into (F, K + 1): the weight gradient and, in the last column, db
    cdef floating *dwb = <floating *>_scratch(7, FK1 * sizeof(floating), False)
    if dwb == NULL:
        failed = 1
    if not failed:
        nrows = K1 if outer else F
        for l in prange(nrows, nogil=True, schedule="static", num_threads=_threads_for(chunks * FK1, n_threads)):
            if outer:  # partial (K + 1, FP): row l holds column l of the result
                _sum_partials(partial, chunks, part_size, l, l + 1, F, FP, dwb, 1, K1)
            else:  # partial (F, K + 1)
                _sum_partials(partial, chunks, part_size, l, l + 1, K1, K1, dwb, K1, 1)
        for f in range(F):
            for l in range(K):
                dwp[f * K + l] = dwb[f * K1 + l]
            db[f] = dwb[f * K1 + K]
    if failed:
        _alloc_error("conv2d_backward")


# ---------------------------------------------------------------------------------------------------------
# Matrix product on the convolution's GEMM micro-kernel (for dense layers: no BLAS threads involved)
# ---------------------------------------------------------------------------------------------------------

def gemm(
    const floating[:, :] a,             # IN  (M, K), any strides
    const floating[:, ::1] b,           # IN  (K, N), rows contiguous
    floating[:, ::1] out,               # OUT (M, N)
    bias,                               # IN  (N,) contiguous array added to every row, or None
    bint relu,
    int n_threads,
):
    """out = a @ b (+ bias), then max(out, 0) with ``relu`` (fused, per job). Jobs are blocks of 64 rows x
    192 columns, a function of the shapes only, and every element is one dot product over k in order:
    bit-identical for any thread count."""
    cdef ptrdiff_t M = a.shape[0], K = a.shape[1], N = b.shape[1]
    cdef ptrdiff_t NR = ck_tile_cols_f32 if floating is float else ck_tile_cols_f64
    cdef ptrdiff_t MB = 64, QB = 192, mblocks, qblocks, job, m0, m1, q0, q1, m, q, k
    cdef ptrdiff_t sm = a.strides[0] // <ptrdiff_t>sizeof(floating), sk = a.strides[1] // <ptrdiff_t>sizeof(floating)
    cdef ptrdiff_t ldb = b.strides[0] // <ptrdiff_t>sizeof(floating)
    cdef const floating[::1] bv
    cdef const floating *bp = NULL
    cdef int failed = 0
    cdef int *failp = &failed
    cdef floating *tail
    cdef ptrdiff_t *toff
    if M == 0 or N == 0:
        return
    if bias is not None:
        bv = bias
        bp = &bv[0]
    if K == 0:
        for m in range(M):
            for q in range(N):
                out[m, q] = bp[q] if bp != NULL else 0
        if relu:
            _relu_span(&out[0, 0], 0, M * N)
        return
    QB = QB - QB % NR if QB >= NR else NR
    mblocks = _cdiv(M, MB)
    qblocks = _cdiv(N, QB)
    cdef floating *apack = <floating *>_scratch(5, M * K * sizeof(floating), False)
    cdef ptrdiff_t *off = <ptrdiff_t *>_scratch(6, K * sizeof(ptrdiff_t), False)
    if apack == NULL or off == NULL:
        _alloc_error("gemm")
    for k in range(K):
        off[k] = k * ldb
    with nogil, parallel(num_threads=_threads_for(M * N * K // 16, n_threads)):
        tail = <floating *>_scratch(0, K * NR * sizeof(floating), False)
        toff = <ptrdiff_t *>_scratch(1, K * sizeof(ptrdiff_t), False)
        if tail == NULL or toff == NULL:
            failp[0] = 1
        for job in prange(mblocks, schedule="static"):  # pack A, a block of 64 rows per job
            m0 = job * MB
            m1 = m0 + MB if m0 + MB < M else M
            _pack_a(m1 - m0, K, &a[m0, 0], sm, sk, apack + m0 * K)
        for job in prange(mblocks * qblocks, schedule="static"):
            if tail == NULL or toff == NULL:
                continue
            m0 = (job // qblocks) * MB
            m1 = m0 + MB if m0 + MB < M else M
            q0 = (job % qblocks) * QB
            q1 = q0 + QB if q0 + QB < N else N
            # panels start at multiples of 8 rows: apack + m0 * K is where row m0's panel begins
            _shift_gemm(m1 - m0, K, apack + m0 * K, &b[0, 0], off, NULL, q0, q1, N, N, &out[m0, 0], N, tail, toff)
            if bp != NULL:
                for m in range(m0, m1):
                    for q in range(q0, q1):
                        out[m, q] = out[m, q] + bp[q]
            if relu:
                _relu_planes(&out[m0, 0], m1 - m0, N, q0, q1)
    if failed:
        _alloc_error("gemm")


# ---------------------------------------------------------------------------------------------------------
# Pooling, 2x2 windows with stride 2: vectorised C loops (the generic kernels below handle the rest)
# ---------------------------------------------------------------------------------------------------------

cdef inline ptrdiff_t _plane_jobs(ptrdiff_t planes, ptrdiff_t plane_size) noexcept nogil:
    """Jobs of whole planes, each about 16K elements (a function of the shapes only)."""
    cdef ptrdiff_t per = (16 * 1024) // (plane_size if plane_size > 0 else 1)
    if per < 1:
        per = 1
    return _cdiv(planes, per)


cdef inline int _threads_for(ptrdiff_t elements, int n_threads) noexcept nogil:
    """One thread for small passes (< 64K elements): a parallel region costs more than it saves there,
    and a lot more when the machine is busy. The work split itself never depends on the thread count."""
    return 1 if elements < 64 * 1024 else n_threads


def maxpool2x2_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    floating[:, :, :, ::1] out,         # OUT (N, C, H // 2, W // 2)
    idx,                                # OUT (N, C, H // 2, W // 2) uint32 (float32) / uint64 (float64) array:
                                        #     the winner's place in its window, 0..3 row-major
    int n_threads,
):
    """2x2 max pooling with stride 2; ties keep the first element and a NaN always wins (torch's rule)."""
    cdef ptrdiff_t planes = x.shape[0] * x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t OH = out.shape[2], OW = out.shape[3]
    cdef ptrdiff_t jobs = _plane_jobs(planes, H * W), job, p0, p1
    cdef uint32_t[:, :, :, ::1] idx32
    cdef uint64_t[:, :, :, ::1] idx64
    if planes == 0:
        return
    if floating is float:
        idx32 = idx
    else:
        idx64 = idx
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(planes * H * W, n_threads)):
        p0 = job * planes // jobs
        p1 = (job + 1) * planes // jobs
        if floating is float:
            ck_f32.maxpool2(&x[0, 0, 0, 0], planes * H * W, p0, p1, H, W, &out[0, 0, 0, 0], &idx32[0, 0, 0, 0],
                            OH, OW)
        else:
            ck_f64.maxpool2(&x[0, 0, 0, 0], planes * H * W, p0, p1, H, W, &out[0, 0, 0, 0], &idx64[0, 0, 0, 0],
                            OH, OW)


def maxpool2x2_backward(
    const floating[:, :, :, ::1] dout,  # IN  (N, C, OH, OW)
    idx,                                # IN  (N, C, OH, OW) uint32 / uint64 array from maxpool2x2_forward
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W), every element written
    int n_threads,
):
    """Route each output gradient to the element that won its window; zeros elsewhere."""
    cdef ptrdiff_t planes = dx.shape[0] * dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef ptrdiff_t OH = dout.shape[2], OW = dout.shape[3]
    cdef ptrdiff_t jobs = _plane_jobs(planes, H * W), job, p0, p1
    cdef const uint32_t[:, :, :, ::1] idx32
    cdef const uint64_t[:, :, :, ::1] idx64
    if planes == 0:
        return
    if floating is float:
        idx32 = idx
    else:
        idx64 = idx
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(planes * H * W, n_threads)):
        p0 = job * planes // jobs
        p1 = (job + 1) * planes // jobs
        if floating is float:
            ck_f32.maxpool2_backward(&dout[0, 0, 0, 0], &idx32[0, 0, 0, 0], p0, p1, H, W, &dx[0, 0, 0, 0], OH, OW)
        else:
            ck_f64.maxpool2_backward(&dout[0, 0, 0, 0], &idx64[0, 0, 0, 0], p0, p1, H, W, &dx[0, 0, 0, 0], OH, OW)


def avgpool2x2_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    floating[:, :, :, ::1] out,         # OUT (N, C, H // 2, W // 2)
    int n_threads,
):
    """2x2 mean pooling with stride 2."""
    cdef ptrdiff_t planes = x.shape[0] * x.shape[1], H = x.shape[2], W = x.shape[3]
    cdef ptrdiff_t OH = out.shape[2], OW = out.shape[3]
    cdef ptrdiff_t jobs = _plane_jobs(planes, H * W), job, p0, p1
    if planes == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(planes * H * W, n_threads)):
        p0 = job * planes // jobs
        p1 = (job + 1) * planes // jobs
        if floating is float:
            ck_f32.avgpool2(&x[0, 0, 0, 0], planes * H * W, p0, p1, H, W, &out[0, 0, 0, 0], OH, OW)
        else:
            ck_f64.avgpool2(&x[0, 0, 0, 0], planes * H * W, p0, p1, H, W, &out[0, 0, 0, 0], OH, OW)


def avgpool2x2_backward(
    const floating[:, :, :, ::1] dout,  # IN  (N, C, OH, OW)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W), every element written
    int n_threads,
):
    """Spread each output gradient over its window (a quarter each); zeros where no window reaches."""
    cdef ptrdiff_t planes = dx.shape[0] * dx.shape[1], H = dx.shape[2], W = dx.shape[3]
    cdef ptrdiff_t OH = dout.shape[2], OW = dout.shape[3]
    cdef ptrdiff_t jobs = _plane_jobs(planes, H * W), job, p0, p1
    if planes == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(planes * H * W, n_threads)):
        p0 = job * planes // jobs
        p1 = (job + 1) * planes // jobs
        if floating is float:
            ck_f32.avgpool2_backward(&dout[0, 0, 0, 0], p0, p1, H, W, &dx[0, 0, 0, 0], OH, OW)
        else:
            ck_f64.avgpool2_backward(&dout[0, 0, 0, 0], p0, p1, H, W, &dx[0, 0, 0, 0], OH, OW)


# ---------------------------------------------------------------------------------------------------------
# ReLU over flat C-contiguous arrays (for functional.activations: one vectorised pass, no temporaries)
# ---------------------------------------------------------------------------------------------------------

def relu_forward(
    const floating[::1] x,              # IN  (size,), the flattened input
    floating[::1] out,                  # OUT (size,)
    int n_threads,
):
    """out = max(x, 0); NaN stays NaN (np.maximum(x, 0))."""
    cdef ptrdiff_t size = x.shape[0], jobs = _cdiv(size, 16 * 1024), job, i0, i1
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        i0 = job * size // jobs
        i1 = (job + 1) * size // jobs
        if floating is float:
            ck_f32.relu(&x[0], &out[0], i0, i1)
        else:
            ck_f64.relu(&x[0], &out[0], i0, i1)


def relu_backward(
    const floating[::1] x,              # IN  (size,), the forward input
    const floating[::1] dout,           # IN  (size,)
    floating[::1] dx,                   # OUT (size,)
    int n_threads,
):
    """dx = dout where x > 0, else 0 (np.where(x > 0, dout, 0): an inf in dout never becomes NaN)."""
    cdef ptrdiff_t size = x.shape[0], jobs = _cdiv(size, 16 * 1024), job, i0, i1
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        i0 = job * size // jobs
        i1 = (job + 1) * size // jobs
        if floating is float:
            ck_f32.relu_backward(&x[0], &dout[0], &dx[0], i0, i1)
        else:
            ck_f64.relu_backward(&x[0], &dout[0], &dx[0], i0, i1)


# ---------------------------------------------------------------------------------------------------------
# Optimizer steps
# ---------------------------------------------------------------------------------------------------------

def adamax_update(
    floating[::1] param,                # IN/OUT (size,)
    const floating[::1] grad,           # IN  (size,)
    floating[::1] exp_avg,              # IN/OUT (size,), m
    floating[::1] exp_inf,              # IN/OUT (size,), u
    floating step_size,                 # lr / (1 - beta1**t)
    floating one_minus_beta1,           # 1 - beta1, rounded once from the double (as numpy does)
    floating beta2,
    floating eps,
    int n_threads,
):
    """One Adamax step in a single pass, in the element type, with numpy's rounding of the same formula:
    m += (1 - beta1) * (g - m); u = max(beta2 * u, |g| + eps) (NaN-propagating); param -= step_size * m / u."""
    cdef ptrdiff_t size = param.shape[0], jobs = _cdiv(size, 16 * 1024), job, i, i0, i1
    cdef floating g, decayed, bound
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        i0 = job * size // jobs
        i1 = (job + 1) * size // jobs
        for i in range(i0, i1):
            g = grad[i]
            exp_avg[i] = exp_avg[i] + one_minus_beta1 * (g - exp_avg[i])
            decayed = exp_inf[i] * beta2
            bound = (g if g >= 0 else -g) + eps
            exp_inf[i] = decayed if (decayed > bound or decayed != decayed) else bound
            param[i] = param[i] - step_size * exp_avg[i] / exp_inf[i]


# ---------------------------------------------------------------------------------------------------------
# Pooling (no padding, floor mode: windows that do not fit are dropped, as in torch)
# ---------------------------------------------------------------------------------------------------------

def maxpool2d_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    floating[:, :, :, ::1] out,         # OUT (N, C, OH, OW)
    long long[:, :, :, ::1] argmax,     # OUT (N, C, OH, OW), flat index h*W + w of the max in x[n, c]
    int pool_h, int pool_w, int stride_h, int stride_w, int n_threads,
):
    """Max over each window; ties keep the first element and a NaN always wins (torch's rule)."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1], W = x.shape[3]
    cdef Py_ssize_t OH = out.shape[2], OW = out.shape[3]
    cdef Py_ssize_t job, n, c, oh, ow, i, j, h0, w0, best_idx
    cdef floating best, v
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for oh in range(OH):
            h0 = oh * stride_h
            for ow in range(OW):
                w0 = ow * stride_w
                best = -INFINITY
                best_idx = h0 * W + w0
                for i in range(pool_h):
                    for j in range(pool_w):
                        v = x[n, c, h0 + i, w0 + j]
                        if v > best or v != v:
                            best = v
                            best_idx = (h0 + i) * W + w0 + j
                out[n, c, oh, ow] = best
                argmax[n, c, oh, ow] = best_idx


def maxpool2d_backward(
    const floating[:, :, :, ::1] dout,  # IN  (N, C, OH, OW)
    const long long[:, :, :, ::1] argmax,  # IN (N, C, OH, OW)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W), zeroed
    int n_threads,
):
    """Route each output gradient to the input element that won its window."""
    cdef Py_ssize_t N = dout.shape[0], C = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef Py_ssize_t W = dx.shape[3]
    cdef Py_ssize_t job, n, c, oh, ow, idx
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for oh in range(OH):
            for ow in range(OW):
                idx = argmax[n, c, oh, ow]
                dx[n, c, idx // W, idx % W] += dout[n, c, oh, ow]


def avgpool2d_forward(
    const floating[:, :, :, ::1] x,     # IN  (N, C, H, W)
    floating[:, :, :, ::1] out,         # OUT (N, C, OH, OW)
    int pool_h, int pool_w, int stride_h, int stride_w, int n_threads,
):
    """Mean over each window."""
    cdef Py_ssize_t N = x.shape[0], C = x.shape[1]
    cdef Py_ssize_t OH = out.shape[2], OW = out.shape[3]
    cdef Py_ssize_t job, n, c, oh, ow, i, j, h0, w0
    cdef double acc
    cdef double inv_area = 1.0 / (pool_h * pool_w)
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for oh in range(OH):
            h0 = oh * stride_h
            for ow in range(OW):
                w0 = ow * stride_w
                acc = 0.0
                for i in range(pool_h):
                    for j in range(pool_w):
                        acc = acc + x[n, c, h0 + i, w0 + j]
                out[n, c, oh, ow] = <floating>(acc * inv_area)


def avgpool2d_backward(
    const floating[:, :, :, ::1] dout,  # IN  (N, C, OH, OW)
    floating[:, :, :, ::1] dx,          # OUT (N, C, H, W), zeroed
    int pool_h, int pool_w, int stride_h, int stride_w, int n_threads,
):
    """Spread each output gradient evenly over its window."""
    cdef Py_ssize_t N = dout.shape[0], C = dout.shape[1], OH = dout.shape[2], OW = dout.shape[3]
    cdef Py_ssize_t job, n, c, oh, ow, i, j, h0, w0
    cdef floating g
    cdef floating inv_area = <floating>(1.0 / (pool_h * pool_w))
    for job in prange(N * C, nogil=True, schedule="static", num_threads=n_threads):
        n = job // C
        c = job % C
        for oh in range(OH):
            h0 = oh * stride_h
            for ow in range(OW):
                w0 = ow * stride_w
                g = dout[n, c, oh, ow] * inv_area
                for i in range(pool_h):
                    for j in range(pool_w):
                        dx[n, c, h0 + i, w0 + j] += g


# ---------------------------------------------------------------------------------------------------------
# Batch normalization over a (N, C, L) view: L = H*W for images, 1 after a dense layer
# Jobs are ranges of channels (a function of C only); each job reduces its channels over N and L in a
# fixed order (ck_bn_sums) and then writes them (ck_bn_affine): one parallel region per call.
# ---------------------------------------------------------------------------------------------------------

cdef inline void _bn_sums(const floating *x, const floating *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L,
                          ptrdiff_t c0, ptrdiff_t c1, const double *mean, double *s1, double *s2) noexcept nogil:
    if floating is float:
        ck_f32.bn_sums(x, y, N, C, L, c0, c1, mean, s1, s2)
    else:
        ck_f64.bn_sums(x, y, N, C, L, c0, c1, mean, s1, s2)


cdef inline void _bn_affine(const floating *x, const floating *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L,
                            ptrdiff_t c0, ptrdiff_t c1, const floating *a, const floating *e, const floating *b,
                            const floating *d, floating *out) noexcept nogil:
    if floating is float:
        ck_f32.bn_affine(x, y, N, C, L, c0, c1, a, e, b, d, out)
    else:
        ck_f64.bn_affine(x, y, N, C, L, c0, c1, a, e, b, d, out)


cdef inline ptrdiff_t _channel_jobs(ptrdiff_t C, ptrdiff_t L) noexcept nogil:
    """Up to 16 ranges of channels; with short rows (L < 16: column-wise sums) each covers >= 128 columns."""
    cdef ptrdiff_t jobs = C if C < 16 else 16
    if L < 16 and jobs > (C * L) // 128:
        jobs = (C * L) // 128
    return jobs if jobs > 0 else 1


def batchnorm_stats(
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    double[::1] mean,                   # OUT (C,)
    double[::1] var,                    # OUT (C,), biased variance (divided by N*L)
    int n_threads,
):
    """Per-channel mean and biased variance, two-pass in double."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef ptrdiff_t jobs = _channel_jobs(C, L), job, c0, c1, c
    cdef double inv_count = 1.0 / (N * L)
    if C == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(N * C * L, n_threads)):
        c0 = job * C // jobs
        c1 = (job + 1) * C // jobs
        _bn_sums(&x[0, 0, 0], NULL, N, C, L, c0, c1, NULL, &mean[0], NULL)
        for c in range(c0, c1):
            mean[c] = mean[c] * inv_count
        _bn_sums(&x[0, 0, 0], NULL, N, C, L, c0, c1, &mean[0], NULL, &var[0])
        for c in range(c0, c1):
            var[c] = var[c] * inv_count


def batchnorm_normalize(
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    const double[::1] mean,             # IN  (C,)
    const double[::1] inv_std,          # IN  (C,), 1 / sqrt(var + eps)
    const floating[::1] gamma,          # IN  (C,)
    const floating[::1] beta,           # IN  (C,)
    floating[:, :, ::1] out,            # OUT (N, C, L)
    int n_threads,
):
    """out = (x - mean) * (inv_std * gamma) + beta, per channel."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef ptrdiff_t jobs = _channel_jobs(C, L), job, c0, c1, c
    if C == 0 or N * L == 0:
        return
    cdef floating *coef = <floating *>malloc((2 * C + 1) * sizeof(floating))  # scale | centre
    if coef == NULL:
        _alloc_error("batchnorm_forward")
    for c in range(C):
        coef[c] = <floating>(inv_std[c] * gamma[c])
        coef[C + c] = <floating>mean[c]
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(N * C * L, n_threads)):
        c0 = job * C // jobs
        c1 = (job + 1) * C // jobs
        _bn_affine(&x[0, 0, 0], NULL, N, C, L, c0, c1, coef, coef + C, NULL, &beta[0], &out[0, 0, 0])
    free(coef)


def batchnorm_backward(
    const floating[:, :, ::1] dout,     # IN  (N, C, L)
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    const double[::1] mean,             # IN  (C,), the mean used in the forward pass
    const double[::1] inv_std,          # IN  (C,)
    const floating[::1] gamma,          # IN  (C,)
    floating[:, :, ::1] dx,             # OUT (N, C, L)
    floating[::1] dgamma,               # OUT (C,)
    floating[::1] dbeta,                # OUT (C,)
    bint batch_stats,                   # True: the forward used batch statistics (training mode)
    int n_threads,
):
    """Gradients of out = gamma * xhat + beta with xhat = (x - mean) * inv_std.

    With batch statistics: dx = gamma*inv_std/M * (M*dout - sum(dout) - xhat*sum(dout*xhat)), M = N*L,
    written as dx = k*dout - k/M * s^2 * sum(dout*(x - mean)) * (x - mean) - k/M * sum(dout), k = gamma*s.
    With running statistics (eval mode) mean and inv_std are constants: dx = gamma*inv_std*dout.
    """
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef ptrdiff_t jobs = _channel_jobs(C, L), job, c0, c1, c
    cdef double inv_count = 1.0 / (N * L) if N * L > 0 else 0.0, k, s
    if C == 0:
        return
    # per channel: sums (s1 = sum dout, s2 = sum dout*(x - mean)) and the coefficients of dx
    cdef double *sums = <double *>malloc((2 * C + 1) * sizeof(double))
    cdef floating *coef = <floating *>malloc((5 * C + 1) * sizeof(floating))  # a | e | b | d | zero
    if sums == NULL or coef == NULL:
        free(sums)
        free(coef)
        _alloc_error("batchnorm_backward")
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(N * C * L, n_threads)):
        c0 = job * C // jobs
        c1 = (job + 1) * C // jobs
        _bn_sums(&x[0, 0, 0], &dout[0, 0, 0], N, C, L, c0, c1, &mean[0], sums, sums + C)
        for c in range(c0, c1):
            s = inv_std[c]
            k = gamma[c] * s
            dbeta[c] = <floating>sums[c]
            dgamma[c] = <floating>(sums[C + c] * s)
            coef[4 * C + c] = 0
            if batch_stats:
                coef[c] = <floating>(-k * inv_count * s * s * sums[C + c])  # times (x - mean)
                coef[C + c] = <floating>mean[c]
                coef[2 * C + c] = <floating>k  # times dout
                coef[3 * C + c] = <floating>(-k * inv_count * sums[c])
            else:
                coef[c] = <floating>k  # times dout, taken as the centred input
                coef[C + c] = 0
                coef[3 * C + c] = 0
        if N * L > 0:
            if batch_stats:
                _bn_affine(&x[0, 0, 0], &dout[0, 0, 0], N, C, L, c0, c1, coef, coef + C, coef + 2 * C,
                           coef + 3 * C, &dx[0, 0, 0])
            else:
                _bn_affine(&dout[0, 0, 0], NULL, N, C, L, c0, c1, coef, coef + C, NULL, coef + 4 * C,
                           &dx[0, 0, 0])
    free(sums)
    free(coef)
