/* ---------------------------------------------------------------------------------------------------
 * ReLU on a flat range [i0, i1): out = x if x > 0 or x is NaN else 0 (np.maximum(x, 0)), and
 * dx = dout where x > 0 else 0 (np.where(x > 0, dout, 0)), selected with bit masks: inf/NaN in dout stay
 * where they are and never turn a zero into NaN. The sum of two arrays, with that ReLU or without. Whether
 * an array is finite.
 * --------------------------------------------------------------------------------------------------- */

static inline __attribute__((always_inline)) void FN(relu_range)(const UTA *restrict x, UTA *restrict out,
                                                                 ptrdiff_t n) {
    const T *xf = (const T *)(const void *)x;
    for (ptrdiff_t i = 0; i < n; i++) out[i] = x[i] & -(UT)((xf[i] > 0) | (xf[i] != xf[i]));
}

void FN(ck_relu)(const T *x, T *out, ptrdiff_t i0, ptrdiff_t i1) {
    FN(relu_range)((const UTA *)(const void *)(x + i0), (UTA *)(void *)(out + i0), i1 - i0);
}

/* the same in place (a fused activation: the conv / dense output just written, still in cache) */
void FN(ck_relu_inplace)(T *x, ptrdiff_t i0, ptrdiff_t i1) {
    UTA *u = (UTA *)(void *)(x + i0);
    const T *xf = x + i0;
    for (ptrdiff_t i = 0; i < i1 - i0; i++) u[i] &= -(UT)((xf[i] > 0) | (xf[i] != xf[i]));
}

/* x = max(x + z, 0) in place, x if the sum is NaN (a residual block's shortcut added to the conv output
 * just written, then its ReLU): ck_add's sum and ReLU, bit for bit */
void FN(ck_add_relu_inplace)(T *x, const T *z, ptrdiff_t i0, ptrdiff_t i1) {
    T *restrict o = x + i0;
    const T *restrict y = z + i0;
    for (ptrdiff_t i = 0; i < i1 - i0; i++) {
        const T s = o[i] + y[i];
        o[i] = s > 0 || s != s ? s : (T)0;
    }
}

static inline __attribute__((always_inline)) void FN(relu_backward_range)(const T *restrict x, const UTA *restrict dout,
                                                                          UTA *restrict dx, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++) dx[i] = dout[i] & -(UT)(x[i] > 0);
}

void FN(ck_relu_backward)(const T *x, const T *dout, T *dx, ptrdiff_t i0, ptrdiff_t i1) {
    FN(relu_backward_range)(x + i0, (const UTA *)(const void *)(dout + i0), (UTA *)(void *)(dx + i0), i1 - i0);
}

/* out = a + b, then (relu) out if out > 0 or NaN else +0: the ReLU's values, bit for bit. */
void FN(ck_add)(const T *a, const T *b, T *out, ptrdiff_t i0, ptrdiff_t i1, int relu) {
    const T *restrict x = a + i0, *restrict y = b + i0;
    T *restrict o = out + i0;
    const ptrdiff_t n = i1 - i0;
    if (relu)
        for (ptrdiff_t i = 0; i < n; i++) {
            const T s = x[i] + y[i];
            o[i] = s > 0 || s != s ? s : (T)0;
        }
    else
        for (ptrdiff_t i = 0; i < n; i++) o[i] = x[i] + y[i];
}

/* 1 when x[0 .. n) holds no inf and no NaN (no element's exponent bits all ones), else 0. */
int FN(ck_all_finite)(const T *x, ptrdiff_t n) {
    const UT exponent = sizeof(T) == 4 ? (UT)0x7f800000u : (UT)0x7ff0000000000000ull;
    const UTA *u = (const UTA *)(const void *)x;
    UT bad = 0;
    for (ptrdiff_t i = 0; i < n; i++) bad |= (UT) - (UT)((u[i] & exponent) == exponent);
    return bad == 0;
}
