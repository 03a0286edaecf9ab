# ---------------------------------------------------------------------------------------------------------
# Optimizer steps
# ---------------------------------------------------------------------------------------------------------

cdef extern from *:
    """
    #include <string.h>
    /* x, or +0 where x is subnormal (or -0), by the exponent bits: an integer test, which vectorises with
     * the loops around it and does no floating-point operation on the subnormal. */
    static inline float ck_normal_or_zero_f32(float x) {
        uint32_t bits;
        memcpy(&bits, &x, sizeof bits);
        return (bits & 0x7f800000u) ? x : 0.0f;
    }
    static inline double ck_normal_or_zero_f64(double x) {
        uint64_t bits;
        memcpy(&bits, &x, sizeof bits);
        return (bits & 0x7ff0000000000000ull) ? x : 0.0;
    }
    """
    float ck_normal_or_zero_f32(float x) nogil
    double ck_normal_or_zero_f64(double x) nogil


cdef inline floating _normal_or_zero(floating x) noexcept nogil:
    """x, or 0 where x is subnormal (NaN and inf kept): every state an update stores passes here, as
    ``flush_subnormal`` does in the numpy formulas. A moment whose gradients stay 0 decays into the
    subnormal range after ~800 steps at beta 0.9, and each arithmetic operation on a subnormal float
    takes a microcode assist on Intel CPUs: LeNet's Adamax step took 13x longer (48,000 weights: 322 us
    against 25), and training fell from 41k to 27k img/s after 800 steps (torch's stayed at 14k)."""
    return ck_normal_or_zero_f32(x) if floating is float else ck_normal_or_zero_f64(x)


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
            exp_avg[i] = _normal_or_zero(exp_avg[i] + one_minus_beta1 * (g - exp_avg[i]))
            decayed = exp_inf[i] * beta2
            bound = (g if g >= 0 else -g) + eps
            exp_inf[i] = _normal_or_zero(decayed if (decayed > bound or decayed != decayed) else bound)
            param[i] = param[i] - step_size * exp_avg[i] / exp_inf[i]


# The steps below follow Adamax's pattern: one pass over the elements, each line of the numpy formula (in
# the optimizer's update_step) rounded as numpy rounds it, so the kernel and the formula agree bit for bit.
# Optional slots are None (then their pointer is NULL and the option is off).

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
    cdef ptrdiff_t size = param.shape[0], jobs = _cdiv(size, 16 * 1024), job, i, i0, i1
    cdef floating g, b
    cdef floating *buf = _slot(momentum_buffer)
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        i0 = job * size // jobs
        i1 = (job + 1) * size // jobs
        for i in range(i0, i1):
            g = grad[i]
            if buf != NULL:
                if first_step:
                    b = g
                else:
                    b = buf[i] * momentum
                    b = b + one_minus_dampening * g
                b = _normal_or_zero(b)
                buf[i] = b
                g = g + momentum * b if nesterov else b
            param[i] = param[i] - lr * g


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
    cdef ptrdiff_t size = param.shape[0], jobs = _cdiv(size, 16 * 1024), job, i, i0, i1
    cdef floating g, m, v, denom
    cdef floating *vmax = _slot(max_exp_avg_sq)
    if size == 0:
        return
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        i0 = job * size // jobs
        i1 = (job + 1) * size // jobs
        for i in range(i0, i1):
            g = grad[i]
            m = _normal_or_zero(exp_avg[i] + one_minus_beta1 * (g - exp_avg[i]))
            exp_avg[i] = m
            v = exp_avg_sq[i] * beta2
            v = _normal_or_zero(v + one_minus_beta2 * g * g)
            exp_avg_sq[i] = v
            if vmax != NULL:
                v = vmax[i] if (vmax[i] > v or vmax[i] != vmax[i]) else v
                vmax[i] = v
            denom = <floating>sqrt(v) / bias_correction2_sqrt
            denom = denom + eps
            param[i] = param[i] - step_size * m / denom


cdef inline void _rmsprop_range(
    floating *param, const floating *grad, floating *square_avg, floating *avg, floating *buf, ptrdiff_t i0,
    ptrdiff_t i1, floating lr, floating alpha, floating one_minus_alpha, floating eps, floating momentum,
    bint centered, bint with_momentum,
) noexcept nogil:
    """rmsprop_update's formula on [i0, i1). Called with constant flags, so that each option's loop is
    compiled on its own: with the options as run-time branches in one loop it was not vectorised (22 GB/s
    against Adam's 81)."""
    cdef ptrdiff_t i
    cdef floating g, v, a, d, b
    for i in range(i0, i1):
        g = grad[i]
        v = square_avg[i] * alpha
        v = _normal_or_zero(v + one_minus_alpha * g * g)
        square_avg[i] = v
        if centered:
            a = _normal_or_zero(avg[i] + one_minus_alpha * (g - avg[i]))
            avg[i] = a
            v = v - a * a
        d = <floating>sqrt(v) + eps
        if with_momentum:
            b = buf[i] * momentum
            b = _normal_or_zero(b + g / d)
            buf[i] = b
            param[i] = param[i] - lr * b
        else:
            param[i] = param[i] - lr * g / d


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
    cdef ptrdiff_t size = param.shape[0], jobs = _cdiv(size, 16 * 1024), job, i0, i1
    cdef floating *avg = _slot(grad_avg)
    cdef floating *buf = _slot(momentum_buffer)
    cdef floating *p
    cdef floating *v
    cdef const floating *g
    if size == 0:
        return
    p = &param[0]
    g = &grad[0]
    v = &square_avg[0]
    for job in prange(jobs, nogil=True, schedule="static", num_threads=_threads_for(size, n_threads)):
        i0 = job * size // jobs
        i1 = (job + 1) * size // jobs
        # the four options' loops, each compiled with its flags constant
        if avg == NULL and buf == NULL:
            _rmsprop_range(p, g, v, avg, buf, i0, i1, lr, alpha, one_minus_alpha, eps, momentum, False, False)
        elif avg == NULL:
            _rmsprop_range(p, g, v, avg, buf, i0, i1, lr, alpha, one_minus_alpha, eps, momentum, False, True)
        elif buf == NULL:
            _rmsprop_range(p, g, v, avg, buf, i0, i1, lr, alpha, one_minus_alpha, eps, momentum, True, False)
        else:
            _rmsprop_range(p, g, v, avg, buf, i0, i1, lr, alpha, one_minus_alpha, eps, momentum, True, True)
