# ---------------------------------------------------------------------------------------------------------
# Element-wise: ReLU over flat C-contiguous arrays (functional.activations: one vectorised pass, no
# temporaries), and in place on what a conv or dense job just wrote (the fused activation); the sum of
# two arrays, with the ReLU fused or not (functional.add: a residual's merge); whether an array is finite (a
# training step's gradients, before any of them is applied)
# ---------------------------------------------------------------------------------------------------------

cdef inline void _relu_span(floating *out, ptrdiff_t i0, ptrdiff_t i1, const floating *z) noexcept nogil:
    """out[i] = max(out[i], 0) for i0 <= i < i1, in place (NaN stays NaN); with z (an array laid out as
    out, or NULL), max(out[i] + z[i], 0): a residual block's sum and ReLU (``add``'s, bit for bit)."""
    if i0 >= i1:
        return
    if z != NULL:
        ck_add_relu_inplace(out, z, i0, i1)
    else:
        ck_relu_inplace(out, i0, i1)


cdef inline void _relu_planes(floating *out, ptrdiff_t F, ptrdiff_t P, ptrdiff_t i0, ptrdiff_t i1,
                              const floating *z) noexcept nogil:
    """``_relu_span`` on elements i0 <= i < i1 of each of F output planes of P elements (one pass when
    that is all of them), z (NULL or laid out as out) plane by plane alongside."""
    cdef ptrdiff_t f
    if i0 == 0 and i1 == P:
        _relu_span(out, 0, F * P, z)
        return
    for f in range(F):
        _relu_span(out + f * P, i0, i1, z + f * P if z != NULL else NULL)


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
        ck_relu(&x[0], &out[0], i0, i1)


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
        ck_relu_backward(&x[0], &dout[0], &dx[0], i0, i1)


def add(
    const floating[::1] a,              # IN  (size,)
    const floating[::1] b,              # IN  (size,)
    floating[::1] out,                  # OUT (size,)
    bint relu,
    int n_threads,
):
    """out = a + b, then max(out, 0) with ``relu`` (NaN stays NaN)."""
    cdef ptrdiff_t size = a.shape[0], jobs = _cdiv(size, 16 * 1024), job, i0, i1
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        i0 = job * size // jobs
        i1 = (job + 1) * size // jobs
        ck_add(&a[0], &b[0], &out[0], i0, i1, relu)


def all_finite(const floating[::1] x, int n_threads=1):
    """Whether the flat array x holds no inf and no NaN (np.isfinite(x).all(), without its bool array)."""
    cdef ptrdiff_t size = x.shape[0], jobs = _cdiv(size, 16 * 1024), job, i0, i1
    cdef int bad = 0
    if size == 0:
        return True
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        i0 = job * size // jobs
        i1 = (job + 1) * size // jobs
        if not ck_all_finite(&x[i0], i1 - i0):
            bad += 1
    return bad == 0
