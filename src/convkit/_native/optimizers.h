/* ---------------------------------------------------------------------------------------------------
 * Optimizer steps on a flat range [i0, i1) of one parameter and its states: each line of the optimizer's
 * numpy formula (its update_step) rounded as numpy rounds it, so that the kernel and the formula agree
 * bit for bit. Hence no product is contracted into a fused multiply-add here (the pragmas) and sqrt is
 * correctly rounded. Every state stored passes normal_or_zero, as flush_subnormal in the formulas.
 * Optional states are NULL (the option off). Each option's loop is compiled with its flags constant:
 * with the options as run-time branches in one loop, RMSprop's was not vectorised.
 * --------------------------------------------------------------------------------------------------- */
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#if defined(__clang__)
#define CK_EXACT_ROUNDING _Pragma("STDC FP_CONTRACT OFF")
#else
#define CK_EXACT_ROUNDING
#endif

/* x, or +0 where x is subnormal (or -0), by the exponent bits: an integer test, which vectorises with the
 * loops around it and does no floating-point operation on the subnormal. A moment whose gradients stay 0
 * decays into the subnormal range after ~800 steps at beta 0.9, and each arithmetic operation on a
 * subnormal float takes a microcode assist on Intel CPUs: LeNet's Adamax step took 13x longer (48,000
 * weights: 322 us against 25), and training fell from 41k to 27k img/s after 800 steps. */
static inline T FN(normal_or_zero)(T x) {
    UT bits;
    __builtin_memcpy(&bits, &x, sizeof bits);
    bits &= (UT)0 - (UT)((bits & EXP_MASK) != 0); /* all ones, or all zeros: a select without a branch */
    __builtin_memcpy(&x, &bits, sizeof bits);
    return x;
}

static inline T FN(exact_sqrt)(T x) { return sizeof(T) == 4 ? (T)__builtin_sqrtf((float)x) : (T)__builtin_sqrt(x); }

/* m += (1 - beta1) * (g - m); u = max(beta2 * u, |g| + eps) (NaN-propagating); param -= step_size * m / u */
void FN(ck_adamax_step)(T *restrict param, const T *restrict grad, T *restrict exp_avg, T *restrict exp_inf,
                        ptrdiff_t i0, ptrdiff_t i1, T step_size, T one_minus_beta1, T beta2, T eps) {
    CK_EXACT_ROUNDING
    for (ptrdiff_t i = i0; i < i1; i++) {
        const T g = grad[i];
        const T m = FN(normal_or_zero)(exp_avg[i] + one_minus_beta1 * (g - exp_avg[i]));
        exp_avg[i] = m;
        const T decayed = exp_inf[i] * beta2, bound = (g >= 0 ? g : -g) + eps;
        const T u = FN(normal_or_zero)(decayed > bound || decayed != decayed ? decayed : bound);
        exp_inf[i] = u;
        param[i] = param[i] - step_size * m / u;
    }
}

/* buf = g (first step) or buf * momentum + (1 - dampening) * g; g' = g + momentum * buf (nesterov) or
 * buf; param -= lr * g' (g' = g without a buffer) */
static inline __attribute__((always_inline)) void FN(sgd_range)(T *restrict param, const T *restrict grad,
                                                                T *restrict buf, ptrdiff_t i0, ptrdiff_t i1, T lr,
                                                                T momentum, T one_minus_dampening, const int first_step,
                                                                const int nesterov) {
    CK_EXACT_ROUNDING
    for (ptrdiff_t i = i0; i < i1; i++) {
        T g = grad[i];
        if (buf) {
            const T b = FN(normal_or_zero)(first_step ? g : buf[i] * momentum + one_minus_dampening * g);
            buf[i] = b;
            g = nesterov ? g + momentum * b : b;
        }
        param[i] = param[i] - lr * g;
    }
}

void FN(ck_sgd_step)(T *param, const T *grad, T *buf, ptrdiff_t i0, ptrdiff_t i1, T lr, T momentum,
                     T one_minus_dampening, int first_step, int nesterov) {
    if (!buf)
        FN(sgd_range)(param, grad, NULL, i0, i1, lr, momentum, one_minus_dampening, 0, 0);
    else if (first_step)
        FN(sgd_range)(param, grad, buf, i0, i1, lr, momentum, one_minus_dampening, 1, nesterov);
    else if (nesterov)
        FN(sgd_range)(param, grad, buf, i0, i1, lr, momentum, one_minus_dampening, 0, 1);
    else
        FN(sgd_range)(param, grad, buf, i0, i1, lr, momentum, one_minus_dampening, 0, 0);
}

/* m += (1 - beta1) * (g - m); v = v * beta2 + (1 - beta2) * g * g; v' = max(v', v) (amsgrad,
 * NaN-propagating); param -= step_size * m / (sqrt(v') / sqrt(1 - beta2**t) + eps) */
static inline __attribute__((always_inline)) void FN(adam_range)(T *restrict param, const T *restrict grad,
                                                                 T *restrict exp_avg, T *restrict exp_avg_sq,
                                                                 T *restrict vmax, ptrdiff_t i0, ptrdiff_t i1,
                                                                 T step_size, T one_minus_beta1, T beta2,
                                                                 T one_minus_beta2, T bias_correction2_sqrt, T eps) {
    CK_EXACT_ROUNDING
    for (ptrdiff_t i = i0; i < i1; i++) {
        const T g = grad[i];
        const T m = FN(normal_or_zero)(exp_avg[i] + one_minus_beta1 * (g - exp_avg[i]));
        exp_avg[i] = m;
        T v = FN(normal_or_zero)(exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g);
        exp_avg_sq[i] = v;
        if (vmax) {
            v = vmax[i] > v || vmax[i] != vmax[i] ? vmax[i] : v;
            vmax[i] = v;
        }
        const T denom = FN(exact_sqrt)(v) / bias_correction2_sqrt + eps;
        param[i] = param[i] - step_size * m / denom;
    }
}

void FN(ck_adam_step)(T *param, const T *grad, T *exp_avg, T *exp_avg_sq, T *max_exp_avg_sq, ptrdiff_t i0, ptrdiff_t i1,
                      T step_size, T one_minus_beta1, T beta2, T one_minus_beta2, T bias_correction2_sqrt, T eps) {
    if (max_exp_avg_sq)
        FN(adam_range)(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, i0, i1, step_size, one_minus_beta1, beta2,
                       one_minus_beta2, bias_correction2_sqrt, eps);
    else
        FN(adam_range)(param, grad, exp_avg, exp_avg_sq, NULL, i0, i1, step_size, one_minus_beta1, beta2,
                       one_minus_beta2, bias_correction2_sqrt, eps);
}

/* v = v * alpha + (1 - alpha) * g * g; a += (1 - alpha) * (g - a) (centered); d = sqrt(v - a * a)
 * (centered) or sqrt(v), plus eps; b = b * momentum + g / d, param -= lr * b (momentum) or
 * param -= lr * g / d */
static inline __attribute__((always_inline)) void FN(rmsprop_range)(T *restrict param, const T *restrict grad,
                                                                    T *restrict square_avg, T *restrict avg,
                                                                    T *restrict buf, ptrdiff_t i0, ptrdiff_t i1, T lr,
                                                                    T alpha, T one_minus_alpha, T eps, T momentum) {
    CK_EXACT_ROUNDING
    for (ptrdiff_t i = i0; i < i1; i++) {
        const T g = grad[i];
        T v = FN(normal_or_zero)(square_avg[i] * alpha + one_minus_alpha * g * g);
        square_avg[i] = v;
        if (avg) {
            const T a = FN(normal_or_zero)(avg[i] + one_minus_alpha * (g - avg[i]));
            avg[i] = a;
            v = v - a * a;
        }
        const T d = FN(exact_sqrt)(v) + eps;
        if (buf) {
            const T b = FN(normal_or_zero)(buf[i] * momentum + g / d);
            buf[i] = b;
            param[i] = param[i] - lr * b;
        } else
            param[i] = param[i] - lr * g / d;
    }
}

void FN(ck_rmsprop_step)(T *param, const T *grad, T *square_avg, T *grad_avg, T *buf, ptrdiff_t i0, ptrdiff_t i1, T lr,
                         T alpha, T one_minus_alpha, T eps, T momentum) {
    if (!grad_avg && !buf)
        FN(rmsprop_range)(param, grad, square_avg, NULL, NULL, i0, i1, lr, alpha, one_minus_alpha, eps, momentum);
    else if (!grad_avg)
        FN(rmsprop_range)(param, grad, square_avg, NULL, buf, i0, i1, lr, alpha, one_minus_alpha, eps, momentum);
    else if (!buf)
        FN(rmsprop_range)(param, grad, square_avg, grad_avg, NULL, i0, i1, lr, alpha, one_minus_alpha, eps, momentum);
    else
        FN(rmsprop_range)(param, grad, square_avg, grad_avg, buf, i0, i1, lr, alpha, one_minus_alpha, eps, momentum);
}

#undef CK_EXACT_ROUNDING
#pragma GCC pop_options
