# ---------------------------------------------------------------------------------------------------------
# Batch normalization over a (N, C, L) view: L = H*W for images, 1 after a dense layer
# Rows of at least ROWS_MIN_LENGTH (images): threads take consecutive (n, c) rows, reading memory in order,
# and keep one pair of sums per row (ck_bn_row_sums); each channel's rows are then added in order of n, and
# the rows normalised (ck_bn_row_affine): three parallel loops. Shorter rows (L = 1 after a dense layer):
# jobs are ranges of channels (a function of C and L only), each reducing its channels over N and L in a
# fixed order (ck_bn_sums) and then writing them (ck_bn_affine). Either way no result depends on the
# thread count.
# ---------------------------------------------------------------------------------------------------------

cdef enum:
    ROWS_MIN_LENGTH = 16          # the row-wise passes from rows this long
    ROWS_JOB_ELEMENTS = 16384     # ... in jobs of about this many elements


cdef inline ptrdiff_t _row_jobs(ptrdiff_t rows, ptrdiff_t L) noexcept nogil:
    """Jobs of consecutive rows, ROWS_JOB_ELEMENTS each (at least one row)."""
    cdef ptrdiff_t jobs = rows * L // ROWS_JOB_ELEMENTS
    if jobs > rows:
        jobs = rows
    return jobs if jobs > 0 else 1

cdef inline ptrdiff_t _channel_jobs(ptrdiff_t C, ptrdiff_t L) noexcept nogil:
    """Up to 16 ranges of channels; with short rows (L < 16: column-wise sums) each covers >= 128 columns."""
    cdef ptrdiff_t jobs = C if C < 16 else 16
    if L < 16 and jobs > (C * L) // 128:
        jobs = (C * L) // 128
    return jobs if jobs > 0 else 1


def channel_sums(
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    double[::1] sums,                   # OUT (C,)
    int n_threads,
):
    """sums[c] = sum of x[:, c, :], in double, in a fixed order (a transposed convolution's bias gradient)."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef ptrdiff_t jobs = _channel_jobs(C, L), job, c0, c1
    if C == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(N * C * L, n_threads)):
        c0 = job * C // jobs
        c1 = (job + 1) * C // jobs
        ck_bn_sums(&x[0, 0, 0], NULL, NULL, NULL, N, C, L, c0, c1, NULL, &sums[0], NULL)


def batchnorm_forward(
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    const floating[::1] gamma,          # IN  (C,)
    const floating[::1] beta,           # IN  (C,)
    const floating[:, :, ::1] residual,  # IN  (N, C, L) added after beta (a residual block's shortcut), or None
    double[::1] mean,                   # OUT (C,) with batch_stats, else IN: the running mean
    double[::1] var,                    # OUT (C,) biased (divided by N*L) with batch_stats, else IN: running
    double eps,
    double[::1] inv_std,                # OUT (C,), 1 / sqrt(var + eps)
    floating[:, :, ::1] out,            # OUT (N, C, L)
    bint relu,                          # then max(out, 0): the fused ReLU
    bint batch_stats,                   # True: x's own statistics (in double), else mean and var as given
    int n_threads,
):
    """out = (x - mean) * (inv_std * gamma) + beta (+ residual), per channel (then max(out, 0) with
    ``relu``). Batch statistics of long rows: each row's sum and its squares about its own mean (one pass
    over x), combined per channel as M2 = sum over rows of (squares + L * (row mean - mean)^2); of short
    rows: the mean, then the squares about it (two passes)."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], L = x.shape[2], rows = N * C
    cdef ptrdiff_t jobs, job, r0, r1, c, n
    cdef int threads = _threads_for(N * C * L, n_threads)
    cdef double inv_count = 1.0 / (N * L) if N * L > 0 else 0.0, t1, t2, d
    cdef const floating *z = NULL
    cdef double *st = NULL
    if C == 0:
        return
    if residual is not None:
        z = &residual[0, 0, 0]
    cdef floating *coef = <floating *>malloc((2 * C + 1) * sizeof(floating))  # scale | centre
    if coef == NULL:
        _alloc_error("batchnorm_forward")
    if L < ROWS_MIN_LENGTH:
        jobs = _channel_jobs(C, L)
        for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
            r0 = job * C // jobs  # channels r0 <= c < r1
            r1 = (job + 1) * C // jobs
            if batch_stats:
                ck_bn_sums(&x[0, 0, 0], NULL, NULL, NULL, N, C, L, r0, r1, NULL, &mean[0], NULL)
                for c in range(r0, r1):
                    mean[c] = mean[c] * inv_count
                ck_bn_sums(&x[0, 0, 0], NULL, NULL, NULL, N, C, L, r0, r1, &mean[0], NULL, &var[0])
                for c in range(r0, r1):
                    var[c] = var[c] * inv_count
            _bn_coefficients(r0, r1, C, &gamma[0], &mean[0], &var[0], eps, &inv_std[0], coef)
            if N > 0:
                ck_bn_affine(&x[0, 0, 0], NULL, NULL, NULL, z, N, C, L, r0, r1, coef, coef + C, NULL, &beta[0], relu,
                             &out[0, 0, 0])
        free(coef)
        return
    jobs = _row_jobs(rows, L)
    if batch_stats:
        st = <double *>malloc((2 * rows + 1) * sizeof(double))  # per row: sum x | sum (x - row mean)^2
        if st == NULL:
            free(coef)
            _alloc_error("batchnorm_forward")
        for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
            ck_bn_row_sums(&x[0, 0, 0], NULL, NULL, NULL, C, L, job * rows // jobs, (job + 1) * rows // jobs, NULL,
                           st)
    for c in prange(C, nogil=True, schedule="static", num_threads=threads):
        if batch_stats:
            t1 = 0
            for n in range(N):
                t1 = t1 + st[2 * (n * C + c)]
            mean[c] = t1 * inv_count
            t2 = 0
            for n in range(N):
                d = st[2 * (n * C + c)] / L - mean[c]
                t2 = t2 + (st[2 * (n * C + c) + 1] + L * d * d)
            var[c] = t2 * inv_count
        _bn_coefficients(c, c + 1, C, &gamma[0], &mean[0], &var[0], eps, &inv_std[0], coef)
    free(st)
    for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
        ck_bn_row_affine(&x[0, 0, 0], NULL, NULL, NULL, z, C, L, job * rows // jobs, (job + 1) * rows // jobs, coef,
                         coef + C, NULL, &beta[0], relu, &out[0, 0, 0])
    free(coef)


cdef inline floating _bn_scale(double inv_std, floating gamma) noexcept nogil:
    """The normalisation's scale, rounded once: the forward pass and the fused ReLU's recomputed gate use
    the same value."""
    return <floating>(inv_std * gamma)


cdef inline void _bn_coefficients(ptrdiff_t c0, ptrdiff_t c1, ptrdiff_t C, const floating *gamma, const double *mean,
                                  const double *var, double eps, double *inv_std, floating *coef) noexcept nogil:
    """inv_std of channels c0 <= c < c1, and the normalisation's scale and centre (coef[c], coef[C + c])."""
    cdef ptrdiff_t c
    for c in range(c0, c1):
        inv_std[c] = 1.0 / sqrt(var[c] + eps)
        coef[c] = _bn_scale(inv_std[c], gamma[c])
        coef[C + c] = <floating>mean[c]


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
    const floating[::1] relu_beta,      # IN  (C,) or None: the forward's beta, with a fused ReLU (batch_stats only)
    int n_threads,
):
    """Gradients of out = gamma * xhat + beta with xhat = (x - mean) * inv_std; with ``relu_beta``, of
    max(out, 0): dout counts only where the forward's out, recomputed from x as batchnorm_forward computed
    it, is > 0 (with batch statistics; in eval mode the caller gates dout itself).

    With batch statistics: dx = gamma*inv_std/M * (M*dout - sum(dout) - xhat*sum(dout*xhat)), M = N*L,
    written as dx = k*dout - k/M * s^2 * sum(dout*(x - mean)) * (x - mean) - k/M * sum(dout), k = gamma*s.
    With running statistics (eval mode) mean and inv_std are constants: dx = gamma*inv_std*dout.
    """
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], L = x.shape[2], rows = N * C
    cdef ptrdiff_t jobs, job, r0, r1, c, n
    cdef int threads = _threads_for(N * C * L, n_threads)
    cdef double inv_count = 1.0 / (N * L) if N * L > 0 else 0.0, t1, t2
    cdef const floating *ga = NULL  # the gate: the forward's scale and shift (ck_bn_sums)
    cdef const floating *gd = NULL
    cdef double *st = NULL
    if C == 0:
        return
    if relu_beta is not None and not batch_stats:
        raise ValueError("batchnorm_backward: relu_beta needs batch_stats")
    # per channel: sums (s1 = sum dout, s2 = sum dout*(x - mean)) and the coefficients of dx
    cdef double *sums = <double *>malloc((2 * C + 1) * sizeof(double))
    cdef floating *coef = <floating *>malloc((6 * C + 1) * sizeof(floating))  # a | e | b | d | zero | gate scale
    if coef != NULL and relu_beta is not None:
        for c in range(C):
            coef[5 * C + c] = _bn_scale(inv_std[c], gamma[c])  # batchnorm_forward's scale
        ga = coef + 5 * C
        gd = &relu_beta[0]
    if L >= ROWS_MIN_LENGTH and rows > 0:
        st = <double *>malloc(2 * rows * sizeof(double))  # per row: s1 | s2
    if sums == NULL or coef == NULL or (L >= ROWS_MIN_LENGTH and rows > 0 and st == NULL):
        free(sums)
        free(coef)
        free(st)
        _alloc_error("batchnorm_backward")
    if L < ROWS_MIN_LENGTH:
        jobs = _channel_jobs(C, L)
        for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
            r0 = job * C // jobs  # channels r0 <= c < r1
            r1 = (job + 1) * C // jobs
            ck_bn_sums(&x[0, 0, 0], &dout[0, 0, 0], ga, gd, N, C, L, r0, r1, &mean[0], sums, sums + C)
            _bn_grad_coefficients(r0, r1, C, sums, &mean[0], &inv_std[0], &gamma[0], inv_count, batch_stats,
                                  &dgamma[0], &dbeta[0], coef)
            if N * L > 0:
                _bn_grad_affine(&x[0, 0, 0], &dout[0, 0, 0], ga, gd, N, C, L, r0, r1, coef, batch_stats,
                                &dx[0, 0, 0])
    else:
        jobs = _row_jobs(rows, L)
        for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
            ck_bn_row_sums(&x[0, 0, 0], &dout[0, 0, 0], ga, gd, C, L, job * rows // jobs, (job + 1) * rows // jobs,
                           &mean[0], st)
        for c in prange(C, nogil=True, schedule="static", num_threads=threads):
            t1 = 0
            t2 = 0
            for n in range(N):
                t1 = t1 + st[2 * (n * C + c)]
                t2 = t2 + st[2 * (n * C + c) + 1]
            sums[c] = t1
            sums[C + c] = t2
            _bn_grad_coefficients(c, c + 1, C, sums, &mean[0], &inv_std[0], &gamma[0], inv_count, batch_stats,
                                  &dgamma[0], &dbeta[0], coef)
        for job in prange(jobs, nogil=True, schedule="static", num_threads=threads):
            r0 = job * rows // jobs
            r1 = (job + 1) * rows // jobs
            if batch_stats:
                ck_bn_row_affine(&x[0, 0, 0], &dout[0, 0, 0], ga, gd, NULL, C, L, r0, r1, coef, coef + C,
                                 coef + 2 * C, coef + 3 * C, False, &dx[0, 0, 0])
            else:
                ck_bn_row_affine(&dout[0, 0, 0], NULL, NULL, NULL, NULL, C, L, r0, r1, coef, coef + C, NULL,
                                 coef + 4 * C, False, &dx[0, 0, 0])
    free(sums)
    free(coef)
    free(st)


cdef inline void _bn_grad_coefficients(ptrdiff_t c0, ptrdiff_t c1, ptrdiff_t C, const double *sums,
                                       const double *mean, const double *inv_std, const floating *gamma,
                                       double inv_count, bint batch_stats, floating *dgamma, floating *dbeta,
                                       floating *coef) noexcept nogil:
    """dgamma, dbeta and dx's coefficients (a | e | b | d | zero, as batchnorm_backward's docstring writes
    dx) of channels c0 <= c < c1 from their sums (s1 | s2)."""
    cdef ptrdiff_t c
    cdef double k, s
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


cdef inline void _bn_grad_affine(const floating *x, const floating *dout, const floating *ga, const floating *gd,
                                 ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0, ptrdiff_t c1,
                                 const floating *coef, bint batch_stats, floating *dx) noexcept nogil:
    """dx of channels c0 <= c < c1 from the coefficients of _bn_grad_coefficients (short rows)."""
    if batch_stats:
        ck_bn_affine(x, dout, ga, gd, NULL, N, C, L, c0, c1, coef, coef + C, coef + 2 * C, coef + 3 * C, False, dx)
    else:
        ck_bn_affine(dout, NULL, NULL, NULL, NULL, N, C, L, c0, c1, coef, coef + C, NULL, coef + 4 * C, False, dx)
