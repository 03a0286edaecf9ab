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
    cdef ptrdiff_t size = param.shape[0], jobs = _cdiv(size, 16 * 1024), job
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        ck_adamax_step(&param[0], &grad[0], &exp_avg[0], &exp_inf[0], job * size // jobs, (job + 1) * size // jobs,
                       step_size, one_minus_beta1, beta2, eps)


# The steps below follow Adamax's pattern: the elements in jobs of 16K, each job one pass of the kernel
# (optimizers.h). Optional slots are None (then their pointer is NULL and the option is off).

cdef inline floating *_slot(floating[::1] slot) noexcept nogil:
    return &slot[0] if slot is not None and slot.shape[0] > 0 else NULL


def sgd_update(
    floating[::1] param,                # IN/OUT (size,)
    const floating[::1] grad,           # IN  (size,)
    floating[::1] momentum_buffer,      # IN/OUT (size,) or None (no momentum)
    floating lr,
    floating momentum,
    floating one_minus_dampening,
    bint first_step,                    # the buffer starts as the gradient
    bint nesterov,
    int n_threads,
):
    """One SGD step: buf = g (first step) or buf * momentum + (1 - dampening) * g; g' = g + momentum * buf
    (nesterov) or buf; param -= lr * g' (g' = g without a buffer)."""
    cdef ptrdiff_t size = param.shape[0], jobs = _cdiv(size, 16 * 1024), job
    cdef floating *buf = _slot(momentum_buffer)
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        ck_sgd_step(&param[0], &grad[0], buf, job * size // jobs, (job + 1) * size // jobs, lr, momentum,
                    one_minus_dampening, first_step, nesterov)


def adam_update(
    floating[::1] param,                # IN/OUT (size,)
    const floating[::1] grad,           # IN  (size,)
    floating[::1] exp_avg,              # IN/OUT (size,), m
    floating[::1] exp_avg_sq,           # IN/OUT (size,), v
    floating[::1] max_exp_avg_sq,       # IN/OUT (size,), v' (amsgrad) or None
    floating step_size,                 # lr / (1 - beta1**t)
    floating one_minus_beta1,
    floating beta2,
    floating one_minus_beta2,
    floating bias_correction2_sqrt,     # sqrt(1 - beta2**t)
    floating eps,
    int n_threads,
):
    """One Adam step: m += (1 - beta1) * (g - m); v = v * beta2 + (1 - beta2) * g * g; v' = max(v', v)
    (amsgrad, NaN-propagating); param -= step_size * m / (sqrt(v') / sqrt(1 - beta2**t) + eps)."""
    cdef ptrdiff_t size = param.shape[0], jobs = _cdiv(size, 16 * 1024), job
    cdef floating *vmax = _slot(max_exp_avg_sq)
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        ck_adam_step(&param[0], &grad[0], &exp_avg[0], &exp_avg_sq[0], vmax, job * size // jobs,
                     (job + 1) * size // jobs, step_size, one_minus_beta1, beta2, one_minus_beta2,
                     bias_correction2_sqrt, eps)


def rmsprop_update(
    floating[::1] param,                # IN/OUT (size,)
    const floating[::1] grad,           # IN  (size,)
    floating[::1] square_avg,           # IN/OUT (size,), v
    floating[::1] grad_avg,             # IN/OUT (size,), a (centered) or None
    floating[::1] momentum_buffer,      # IN/OUT (size,), b (momentum > 0) or None
    floating lr,
    floating alpha,
    floating one_minus_alpha,
    floating eps,
    floating momentum,
    int n_threads,
):
    """One RMSprop step: v = v * alpha + (1 - alpha) * g * g; a += (1 - alpha) * (g - a) (centered);
    d = sqrt(v - a * a) (centered) or sqrt(v), plus eps; b = b * momentum + g / d, param -= lr * b
    (momentum) or param -= lr * g / d."""
    cdef ptrdiff_t size = param.shape[0], jobs = _cdiv(size, 16 * 1024), job
    cdef floating *avg = _slot(grad_avg)
    cdef floating *buf = _slot(momentum_buffer)
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        ck_rmsprop_step(&param[0], &grad[0], &square_avg[0], avg, buf, job * size // jobs, (job + 1) * size // jobs,
                        lr, alpha, one_minus_alpha, eps, momentum)
