/* ---------------------------------------------------------------------------------------------------
 * Depthwise convolution, one (H x W) plane at a time: each output plane is one input plane convolved with
 * its own KH x KW filter (groups = C). Memory-bound, so no im2col and no GEMM: a direct loop per output
 * row and tap over the range of output columns whose input column is inside the image (no padding copy),
 * which for stride 1 is a contiguous axpy the compiler vectorises.
 * Sums run in a fixed order (taps in (kh, kw) order, rows in order), independent of any tiling.
 * --------------------------------------------------------------------------------------------------- */

/* [lo, hi): the output columns ow < OW with 0 <= ow*s + off < W. */
static inline void FN(dwc_range)(ptrdiff_t off, ptrdiff_t s, ptrdiff_t W, ptrdiff_t OW, ptrdiff_t *lo, ptrdiff_t *hi) {
    const ptrdiff_t a = -off, b = W - 1 - off;
    *lo = a <= 0 ? 0 : (a + s - 1) / s;
    *hi = b < 0 ? 0 : b / s + 1;
    if (*hi > OW) *hi = OW;
    if (*lo > *hi) *lo = *hi;
}

/* out = bias + sum_kh,kw w[kh][kw] * x[oh*sh - ph + kh*dh][ow*sw - pw + kw*dw] (zero outside x). */
void FN(ck_dwconv_plane)(const T *x, ptrdiff_t H, ptrdiff_t W, const T *w, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,
                         ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, T bias, T *out,
                         ptrdiff_t OH, ptrdiff_t OW) {
    for (ptrdiff_t oh = 0; oh < OH; oh++) {
        T *restrict o = out + oh * OW;
        for (ptrdiff_t ow = 0; ow < OW; ow++) o[ow] = bias;
        for (ptrdiff_t kh = 0; kh < KH; kh++) {
            const ptrdiff_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            const T *xr = x + ih * W;
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                const ptrdiff_t off = kw * dw - pw;
                const T wv = w[kh * KW + kw];
                ptrdiff_t lo, hi;
                FN(dwc_range)(off, sw, W, OW, &lo, &hi);
                if (sw == 1) {
                    const T *restrict xs = xr + off;
                    for (ptrdiff_t ow = lo; ow < hi; ow++) o[ow] += wv * xs[ow];
                } else {
                    for (ptrdiff_t ow = lo; ow < hi; ow++) o[ow] += wv * xr[ow * sw + off];
                }
            }
        }
    }
}

/* dx += the adjoint of ck_dwconv_plane (no bias): dx[ih][iw] += w[kh][kw] * dout[oh][ow]. */
void FN(ck_dwconv_plane_dx)(const T *dout, ptrdiff_t OH, ptrdiff_t OW, const T *w, ptrdiff_t KH, ptrdiff_t KW,
                            ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, T *dx,
                            ptrdiff_t H, ptrdiff_t W) {
    for (ptrdiff_t oh = 0; oh < OH; oh++) {
        const T *restrict d = dout + oh * OW;
        for (ptrdiff_t kh = 0; kh < KH; kh++) {
            const ptrdiff_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            T *xr = dx + ih * W;
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                const ptrdiff_t off = kw * dw - pw;
                const T wv = w[kh * KW + kw];
                ptrdiff_t lo, hi;
                FN(dwc_range)(off, sw, W, OW, &lo, &hi);
                if (sw == 1) {
                    T *restrict xs = xr + off;
                    for (ptrdiff_t ow = lo; ow < hi; ow++) xs[ow] += wv * d[ow];
                } else {
                    for (ptrdiff_t ow = lo; ow < hi; ow++) xr[ow * sw + off] += wv * d[ow];
                }
            }
        }
    }
}

/* acc[kh*KW + kw] += sum_oh,ow dout[oh][ow] * x[oh*sh - ph + kh*dh][ow*sw - pw + kw*dw] and
 * acc[KH*KW] += sum dout: one image's share of one channel's weight and bias gradients. Each row's sum runs
 * in 8 partial sums of T (in lane order), added into the double accumulators row after row. */
void FN(ck_dwconv_plane_dw)(const T *x, ptrdiff_t H, ptrdiff_t W, const T *dout, ptrdiff_t OH, ptrdiff_t OW,
                            ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw,
                            ptrdiff_t dh, ptrdiff_t dw, double *acc) {
    for (ptrdiff_t oh = 0; oh < OH; oh++) {
        const T *restrict d = dout + oh * OW;
        double row = 0;
        for (ptrdiff_t ow = 0; ow < OW; ow++) row += d[ow];
        acc[KH * KW] += row;
        for (ptrdiff_t kh = 0; kh < KH; kh++) {
            const ptrdiff_t ih = oh * sh - ph + kh * dh;
            if (ih < 0 || ih >= H) continue;
            const T *xr = x + ih * W;
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                const ptrdiff_t off = kw * dw - pw;
                ptrdiff_t lo, hi, ow;
                FN(dwc_range)(off, sw, W, OW, &lo, &hi);
                T s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                for (ow = lo; ow + 8 <= hi; ow += 8)
                    for (int l = 0; l < 8; l++) s[l] += d[ow + l] * xr[(ow + l) * sw + off];
                double t = 0;
                for (int l = 0; l < 8; l++) t += s[l];
                for (; ow < hi; ow++) t += (double)d[ow] * xr[ow * sw + off];
                acc[kh * KW + kw] += t;
            }
        }
    }
}
