# ---------------------------------------------------------------------------------------------------------
# Pooling, 2x2 windows with stride 2: vectorised C loops (the generic kernels below handle the rest)
# ---------------------------------------------------------------------------------------------------------

cdef inline ptrdiff_t _plane_jobs(ptrdiff_t planes, ptrdiff_t plane_size) noexcept nogil:
    """Jobs of whole planes, each about 16K elements (a function of the shapes only)."""
    cdef ptrdiff_t per = (16 * 1024) // (plane_size if plane_size > 0 else 1)
    if per < 1:
        per = 1
    return _cdiv(planes, per)


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
    cdef void *idxp
    if planes == 0:
        return
    if floating is float:  # the index array is as wide as the data: typed here, passed on untyped
        idx32 = idx
        idxp = &idx32[0, 0, 0, 0]
    else:
        idx64 = idx
        idxp = &idx64[0, 0, 0, 0]
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(planes * H * W, n_threads)):
        p0 = job * planes // jobs
        p1 = (job + 1) * planes // jobs
        ck_maxpool2(&x[0, 0, 0, 0], planes * H * W, p0, p1, H, W, &out[0, 0, 0, 0], idxp, OH, OW)


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
    cdef const void *idxp
    if planes == 0:
        return
    if floating is float:  # the index array is as wide as the data: typed here, passed on untyped
        idx32 = idx
        idxp = &idx32[0, 0, 0, 0]
    else:
        idx64 = idx
        idxp = &idx64[0, 0, 0, 0]
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(planes * H * W, n_threads)):
        p0 = job * planes // jobs
        p1 = (job + 1) * planes // jobs
        ck_maxpool2_backward(&dout[0, 0, 0, 0], idxp, p0, p1, H, W, &dx[0, 0, 0, 0], OH, OW)


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
        ck_avgpool2(&x[0, 0, 0, 0], planes * H * W, p0, p1, H, W, &out[0, 0, 0, 0], OH, OW)


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
        ck_avgpool2_backward(&dout[0, 0, 0, 0], p0, p1, H, W, &dx[0, 0, 0, 0], OH, OW)


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
