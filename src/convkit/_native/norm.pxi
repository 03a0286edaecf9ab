# ---------------------------------------------------------------------------------------------------------
# Layer and group normalization over rows of x (R, D) (see norm.h for the row layout)
# Jobs are ranges of rows (forward, dx) or of affine parameters (dw, db), a function of the sizes only;
# every element is computed by one job in a fixed order, so the results do not depend on the thread count.
# ---------------------------------------------------------------------------------------------------------

cdef inline ptrdiff_t _norm_jobs(ptrdiff_t n) noexcept nogil:
    return n if n < 64 else 64


def rownorm_forward(
    const floating[:, ::1] x,           # IN  (R, D)
    const floating[::1] weight,         # IN  (G * cg,), the affine parameters
    const floating[::1] bias,           # IN  (G * cg,)
    ptrdiff_t groups,                   # G: row r is group r % G of its sample
    ptrdiff_t positions,                # L: element j of a row uses parameter (r % G) * cg + j // L
    double eps,
    floating[:, ::1] out,               # OUT (R, D)
    double[::1] mean,                   # OUT (R,)
    double[::1] inv_std,                # OUT (R,), 1 / sqrt(biased variance + eps)
    int n_threads,
):
    """out = (x - mean) * inv_std * weight + bias, the statistics of each row."""
    cdef ptrdiff_t R = x.shape[0], D = x.shape[1], cg = weight.shape[0] // groups
    cdef ptrdiff_t jobs = _norm_jobs(R), job
    if R == 0 or D == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(R * D, n_threads)):
        ck_rownorm_forward(
            &x[0, 0], D, positions, cg, groups, &weight[0], &bias[0], eps,
            job * R // jobs, (job + 1) * R // jobs, &out[0, 0], &mean[0], &inv_std[0],
        )


def rownorm_backward(
    const floating[:, ::1] dout,        # IN  (R, D)
    const floating[:, ::1] x,           # IN  (R, D)
    const double[::1] mean,             # IN  (R,)
    const double[::1] inv_std,          # IN  (R,)
    const floating[::1] weight,         # IN  (G * cg,)
    ptrdiff_t groups,
    ptrdiff_t positions,
    floating[:, ::1] dx,                # OUT (R, D)
    double[::1] dweight,                # OUT (G * cg,)
    double[::1] dbias,                  # OUT (G * cg,)
    int n_threads,
):
    """dx of every row, then dweight and dbias of every affine parameter: with positions > 1 from the
    per-(row, channel) partial sums the rows' pass leaves (samples added in order), else by a pass of their
    own (ck_rownorm_param_grads)."""
    cdef ptrdiff_t R = x.shape[0], D = x.shape[1], P = weight.shape[0], cg = P // groups
    cdef ptrdiff_t jobs = _norm_jobs(R), pjobs = _norm_jobs(P), job, i, r
    cdef int threads = _threads_for(R * D, n_threads)
    cdef double *pu = NULL
    cdef double *pv = NULL
    cdef double su, sv
    if P == 0:
        return
    if R == 0 or D == 0:
        dweight[:] = 0
        dbias[:] = 0
        return
    if positions > 1:  # partials (R, cg) each: sum dout, sum dout * (x - mean) per channel of a row
        pu = <double *>malloc(2 * R * cg * sizeof(double))
        if pu == NULL:
            _alloc_error("groupnorm_backward")
        pv = pu + R * cg
    for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
        ck_rownorm_backward(
            &dout[0, 0], &x[0, 0], &mean[0], &inv_std[0], &weight[0], D, positions, cg, groups,
            job * R // jobs, (job + 1) * R // jobs, &dx[0, 0], pu, pv,
        )
    if positions == 1:
        for job in prange(pjobs, nogil=True, schedule="static", num_threads=threads):
            ck_rownorm_param_grads(
                &dout[0, 0], &x[0, 0], &mean[0], &inv_std[0], R, D, cg, groups,
                job * P // pjobs, (job + 1) * P // pjobs, &dweight[0], &dbias[0],
            )
        return
    for i in range(P):  # parameter i = g*cg + c: rows g, g + G, ... (the samples in order), channel c
        su = 0
        sv = 0
        for r in range(i // cg, R, groups):
            su = su + pu[r * cg + i % cg]
            sv = sv + pv[r * cg + i % cg] * inv_std[r]
        dbias[i] = su
        dweight[i] = sv
    free(pu)
