# ---------------------------------------------------------------------------------------------------------
# What every op family shares: the native library's non-kernel API (the kernels: ck_table.pxi, generated),
# scratch memory, thread counts
# ---------------------------------------------------------------------------------------------------------

cdef extern from "ck.h" nogil:
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


cdef inline ptrdiff_t _tile_cols(size_t itemsize) noexcept nogil:
    """Output columns of one shift_gemm tile at the SIMD level in use, for elements of this size."""
    return ck_tile_cols_f32 if itemsize == 4 else ck_tile_cols_f64


cdef inline ptrdiff_t _lanes(size_t itemsize) noexcept nogil:
    """Vector lanes at the SIMD level in use, for elements of this size."""
    return ck_lanes_f32 if itemsize == 4 else ck_lanes_f64


cdef inline void _gemm_blocking(ptrdiff_t itemsize, ptrdiff_t *blk) noexcept nogil:
    """blk <- the packed GEMM's {mr, nr, kc, mc, nc} at the SIMD level in use, for elements of this size."""
    if itemsize == 4:
        ck_gemm_blocking(<float *>NULL, blk)
    else:
        ck_gemm_blocking(<double *>NULL, blk)


cdef inline ptrdiff_t _cdiv(ptrdiff_t a, ptrdiff_t b) noexcept nogil:
    return (a + b - 1) // b


cdef inline void *_scratch(int slot, ptrdiff_t nbytes, bint zero) noexcept nogil:
    """This thread's scratch buffer `slot` (a Slot of conv_plan.pxi; kept between calls, see ck_scratch),
    optionally zeroed."""
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


cdef inline int _threads_for(ptrdiff_t elements, int n_threads) noexcept nogil:
    """One thread for small passes (< 64K elements): a parallel region costs more than it saves there,
    and a lot more when the machine is busy. The work split itself never depends on the thread count."""
    return 1 if elements < 64 * 1024 else n_threads
