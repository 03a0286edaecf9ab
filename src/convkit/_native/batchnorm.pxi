# ---------------------------------------------------------------------------------------------------------
# Batch normalization over a (N, C, L) view: L = H*W for images, 1 after a dense layer
# Jobs are ranges of channels (a function of C only); each job reduces its channels over N and L in a
# fixed order (ck_bn_sums) and then writes them (ck_bn_affine): one parallel region per call.
# ---------------------------------------------------------------------------------------------------------

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
        ck_bn_sums(&x[0, 0, 0], NULL, NULL, N, C, L, c0, c1, NULL, &mean[0], NULL)
        for c in range(c0, c1):
            mean[c] = mean[c] * inv_count
        ck_bn_sums(&x[0, 0, 0], NULL, NULL, N, C, L, c0, c1, &mean[0], NULL, &var[0])
        for c in range(c0, c1):
            var[c] = var[c] * inv_count


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
        ck_bn_sums(&x[0, 0, 0], NULL, NULL, N, C, L, c0, c1, NULL, &sums[0], NULL)


def batchnorm_normalize(
    const floating[:, :, ::1] x,        # IN  (N, C, L)
    const double[::1] mean,             # IN  (C,)
    const double[::1] inv_std,          # IN  (C,), 1 / sqrt(var + eps)
    const floating[::1] gamma,          # IN  (C,)
    const floating[::1] beta,           # IN  (C,)
    const floating[:, :, ::1] residual,  # IN  (N, C, L) added after beta (a residual block's shortcut), or None
    floating[:, :, ::1] out,            # OUT (N, C, L)
    bint relu,                          # then max(out, 0): the fused ReLU
    int n_threads,
):
    """out = (x - mean) * (inv_std * gamma) + beta (+ residual), per channel (then max(out, 0) with
    ``relu``)."""
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef ptrdiff_t jobs = _channel_jobs(C, L), job, c0, c1, c
    cdef const floating *z = NULL
    if C == 0 or N * L == 0:
        return
    if residual is not None:
        z = &residual[0, 0, 0]
    cdef floating *coef = <floating *>malloc((2 * C + 1) * sizeof(floating))  # scale | centre
    if coef == NULL:
        _alloc_error("batchnorm_forward")
    for c in range(C):
        coef[c] = <floating>(inv_std[c] * gamma[c])
        coef[C + c] = <floating>mean[c]
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(N * C * L, n_threads)):
        c0 = job * C // jobs
        c1 = (job + 1) * C // jobs
        ck_bn_affine(&x[0, 0, 0], NULL, NULL, z, N, C, L, c0, c1, coef, coef + C, NULL, &beta[0], relu,
                     &out[0, 0, 0])
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
    const floating[:, :, ::1] relu_out, # IN  (N, C, L) or None: a fused ReLU's output (batch_stats only)
    int n_threads,
):
    """Gradients of out = gamma * xhat + beta with xhat = (x - mean) * inv_std; with ``relu_out``, of
    max(out, 0): dout counts only where relu_out > 0 (with batch statistics; in eval mode the caller
    gates dout itself).

    With batch statistics: dx = gamma*inv_std/M * (M*dout - sum(dout) - xhat*sum(dout*xhat)), M = N*L,
    written as dx = k*dout - k/M * s^2 * sum(dout*(x - mean)) * (x - mean) - k/M * sum(dout), k = gamma*s.
    With running statistics (eval mode) mean and inv_std are constants: dx = gamma*inv_std*dout.
    """
    cdef ptrdiff_t N = x.shape[0], C = x.shape[1], L = x.shape[2]
    cdef ptrdiff_t jobs = _channel_jobs(C, L), job, c0, c1, c
    cdef double inv_count = 1.0 / (N * L) if N * L > 0 else 0.0, k, s
    cdef const floating *gate = NULL
    if C == 0:
        return
    if relu_out is not None and N * L > 0:
        if not batch_stats:
            raise ValueError("batchnorm_backward: relu_out needs batch_stats")
        gate = &relu_out[0, 0, 0]
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
        ck_bn_sums(&x[0, 0, 0], &dout[0, 0, 0], gate, N, C, L, c0, c1, &mean[0], sums, sums + C)
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
                ck_bn_affine(&x[0, 0, 0], &dout[0, 0, 0], gate, NULL, N, C, L, c0, c1, coef, coef + C,
                             coef + 2 * C, coef + 3 * C, False, &dx[0, 0, 0])
            else:
                ck_bn_affine(&dout[0, 0, 0], NULL, NULL, NULL, N, C, L, c0, c1, coef, coef + C, NULL,
                             coef + 4 * C, False, &dx[0, 0, 0])
    free(sums)
    free(coef)
