/* im2col and its adjoint col2im (the any-stride, any-dilation convolution path). */

/* col[k][p - p0] for k = (c, kh, kw) and output pixels p0 <= p < p0 + np (p = oh*OW + ow): the input
 * element under tap (kh, kw) of output pixel p, x[c][oh*sh - ph + kh*dh][ow*sw - pw + kw*dw], zero in the
 * padding (dh, dw: the dilation). Row stride of col: ldc. */
void FN(ck_im2col)(const T *x, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t sh,
                   ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, ptrdiff_t OW, ptrdiff_t p0,
                   ptrdiff_t np, T *col, ptrdiff_t ldc) {
    for (ptrdiff_t c = 0; c < C; c++)
        for (ptrdiff_t kh = 0; kh < KH; kh++)
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                T *dst = col + ((c * KH + kh) * KW + kw) * ldc;
                const T *xc = x + c * H * W;
                ptrdiff_t oh = p0 / OW, ow = p0 - oh * OW;
                for (ptrdiff_t t = 0; t < np;) {
                    ptrdiff_t run = OW - ow;
                    if (run > np - t) run = np - t;
                    const ptrdiff_t ih = oh * sh - ph + kh * dh;
                    if (ih < 0 || ih >= H) {
                        for (ptrdiff_t e = 0; e < run; e++) dst[t + e] = 0;
                    } else {
                        const T *xr = xc + ih * W;
                        ptrdiff_t iw = ow * sw - pw + kw * dw;
                        for (ptrdiff_t e = 0; e < run; e++, iw += sw) dst[t + e] = (iw >= 0 && iw < W) ? xr[iw] : (T)0;
                    }
                    t += run;
                    oh++;
                    ow = 0;
                }
            }
}

/* dx += the column gradient dcol[k][p - p0] scattered back to the input (the adjoint of ck_im2col). */
void FN(ck_col2im_add)(const T *dcol, ptrdiff_t ldc, ptrdiff_t C, ptrdiff_t H, ptrdiff_t W, ptrdiff_t KH, ptrdiff_t KW,
                       ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ph, ptrdiff_t pw, ptrdiff_t dh, ptrdiff_t dw, ptrdiff_t OW,
                       ptrdiff_t p0, ptrdiff_t np, T *dx) {
    for (ptrdiff_t c = 0; c < C; c++)
        for (ptrdiff_t kh = 0; kh < KH; kh++)
            for (ptrdiff_t kw = 0; kw < KW; kw++) {
                const T *src = dcol + ((c * KH + kh) * KW + kw) * ldc;
                T *xc = dx + c * H * W;
                ptrdiff_t oh = p0 / OW, ow = p0 - oh * OW;
                for (ptrdiff_t t = 0; t < np;) {
                    ptrdiff_t run = OW - ow;
                    if (run > np - t) run = np - t;
                    const ptrdiff_t ih = oh * sh - ph + kh * dh;
                    if (ih >= 0 && ih < H) {
                        T *xr = xc + ih * W;
                        ptrdiff_t iw = ow * sw - pw + kw * dw;
                        for (ptrdiff_t e = 0; e < run; e++, iw += sw)
                            if (iw >= 0 && iw < W) xr[iw] += src[t + e];
                    }
                    t += run;
                    oh++;
                    ow = 0;
                }
            }
}
