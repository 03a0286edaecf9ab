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
