/* ---------------------------------------------------------------------------------------------------
 * 2x2 pooling with stride 2 (the common case), planes p0 <= p < p1 of (H x W) -> (OH x OW)
 *
 * Written so that the compiler vectorises along ow (the stride-2 loads become permutes). Max pooling
 * keeps the window-local index (0..3, row-major) of the winner with torch's rule: scan in order, take an
 * element if it is greater or NaN. The backward passes write every element of dx, zeros included.
 * The avg pooling forward uses the same spill trick as ck_maxpool2.
 * --------------------------------------------------------------------------------------------------- */

/* Rows are processed in whole vectors of outputs: a row of OW outputs is computed as OWr (OW rounded up to
 * VL) lanes, the extra lanes spilling into the next output rows, which are written afterwards. Only where
 * that would read past the end of x (xsize elements) or write past this job's planes is a row computed
 * exactly. idx is as wide as T so that one vector of outputs is one vector of indices. */
static inline __attribute__((always_inline)) void FN(maxpool2_row)(const T *restrict r0, const T *restrict r1,
                                                                   T *restrict o, UT *restrict ix, ptrdiff_t n) {
    for (ptrdiff_t ow = 0; ow < n; ow++) {
        const T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
        T best = a;
        UT i = 0;
        int t = (b > best) | (b != b);
        best = t ? b : best;
        i = t ? 1 : i;
        t = (c > best) | (c != c);
        best = t ? c : best;
        i = t ? 2 : i;
        t = (d > best) | (d != d);
        best = t ? d : best;
        i = t ? 3 : i;
        o[ow] = best;
        ix[ow] = i;
    }
}

void FN(ck_maxpool2)(const T *restrict x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                     T *restrict out, UT *restrict idx, ptrdiff_t OH, ptrdiff_t OW) {
    const ptrdiff_t OWr = (OW + VL - 1) / VL * VL, end = p1 * OH * OW;
    for (ptrdiff_t p = p0; p < p1; p++)
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            const ptrdiff_t in = (p * H + 2 * oh) * W, o = (p * OH + oh) * OW;
            if (in + W + 2 * OWr <= xsize && o + OWr <= end)
                FN(maxpool2_row)(x + in, x + in + W, out + o, idx + o, OWr);
            else
                FN(maxpool2_row)(x + in, x + in + W, out + o, idx + o, OW);
        }
}

/* zero the rows and columns of dx planes that no 2x2 window covers (odd H or W) */
static void FN(zero_uncovered2)(ptrdiff_t p, ptrdiff_t H, ptrdiff_t W, T *dx, ptrdiff_t OH, ptrdiff_t OW) {
    T *plane = dx + p * H * W;
    if (2 * OW < W)
        for (ptrdiff_t r = 0; r < 2 * OH; r++)
            for (ptrdiff_t c = 2 * OW; c < W; c++) plane[r * W + c] = 0;
    for (ptrdiff_t r = 2 * OH; r < H; r++)
        for (ptrdiff_t c = 0; c < W; c++) plane[r * W + c] = 0;
}

/* The selects are integer masks on the bits of dout (an inf never meets a multiplication by 0). */
static inline __attribute__((always_inline)) void FN(maxpool2_backward_row)(const UTA *restrict g,
                                                                            const UT *restrict ix, UTA *restrict r0,
                                                                            UTA *restrict r1, ptrdiff_t OW) {
    for (ptrdiff_t ow = 0; ow < OW; ow++) {
        const UT v = g[ow], i = ix[ow];
        r0[2 * ow] = v & -(UT)(i == 0);
        r0[2 * ow + 1] = v & -(UT)(i == 1);
        r1[2 * ow] = v & -(UT)(i == 2);
        r1[2 * ow + 1] = v & -(UT)(i == 3);
    }
}

void FN(ck_maxpool2_backward)(const T *dout, const UT *idx, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W, T *dx,
                              ptrdiff_t OH, ptrdiff_t OW) {
    for (ptrdiff_t p = p0; p < p1; p++) {
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            UTA *r0 = (UTA *)(void *)(dx + (p * H + 2 * oh) * W);
            FN(maxpool2_backward_row)((const UTA *)(const void *)(dout + (p * OH + oh) * OW), idx + (p * OH + oh) * OW,
                                      r0, r0 + W, OW);
        }
        FN(zero_uncovered2)(p, H, W, dx, OH, OW);
    }
}

static inline __attribute__((always_inline)) void FN(avgpool2_row)(const T *restrict r0, const T *restrict r1,
                                                                   T *restrict o, ptrdiff_t n) {
    for (ptrdiff_t ow = 0; ow < n; ow++) o[ow] = (r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) * (T)0.25;
}

void FN(ck_avgpool2)(const T *restrict x, ptrdiff_t xsize, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                     T *restrict out, ptrdiff_t OH, ptrdiff_t OW) {
    const ptrdiff_t OWr = (OW + VL - 1) / VL * VL, end = p1 * OH * OW;
    for (ptrdiff_t p = p0; p < p1; p++)
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            const ptrdiff_t in = (p * H + 2 * oh) * W, o = (p * OH + oh) * OW;
            if (in + W + 2 * OWr <= xsize && o + OWr <= end)
                FN(avgpool2_row)(x + in, x + in + W, out + o, OWr);
            else
                FN(avgpool2_row)(x + in, x + in + W, out + o, OW);
        }
}

void FN(ck_avgpool2_backward)(const T *restrict dout, ptrdiff_t p0, ptrdiff_t p1, ptrdiff_t H, ptrdiff_t W,
                              T *restrict dx, ptrdiff_t OH, ptrdiff_t OW) {
    for (ptrdiff_t p = p0; p < p1; p++) {
        for (ptrdiff_t oh = 0; oh < OH; oh++) {
            T *restrict r0 = dx + (p * H + 2 * oh) * W;
            T *restrict r1 = r0 + W;
            const T *restrict g = dout + (p * OH + oh) * OW;
            for (ptrdiff_t ow = 0; ow < OW; ow++) {
                const T v = g[ow] * (T)0.25;
                r0[2 * ow] = v;
                r0[2 * ow + 1] = v;
                r1[2 * ow] = v;
                r1[2 * ow + 1] = v;
            }
        }
        FN(zero_uncovered2)(p, H, W, dx, OH, OW);
    }
}
