/* Data movement: chunk partials summed, transposes, images embedded in padded planes. */

/* out[r*ors + c*ocs] = sum over chunks ch (in order, in double) of part[ch*part_size + r*ld + c], for rows
 * r0 <= r < r1 and columns c < ncols: the per-chunk partial weight gradients added up. */
void FN(ck_sum_partials)(const T *part, ptrdiff_t chunks, ptrdiff_t part_size, ptrdiff_t r0, ptrdiff_t r1,
                         ptrdiff_t ncols, ptrdiff_t ld, T *out, ptrdiff_t ors, ptrdiff_t ocs) {
    double acc[256];
    for (ptrdiff_t r = r0; r < r1; r++)
        for (ptrdiff_t c0 = 0; c0 < ncols; c0 += 256) {
            const ptrdiff_t n = ncols - c0 < 256 ? ncols - c0 : 256;
            for (ptrdiff_t c = 0; c < n; c++) acc[c] = 0;
            for (ptrdiff_t ch = 0; ch < chunks; ch++) {
                const T *restrict src = part + ch * part_size + r * ld + c0;
                for (ptrdiff_t c = 0; c < n; c++) acc[c] += src[c];
            }
            for (ptrdiff_t c = 0; c < n; c++) out[r * ors + (c0 + c) * ocs] = (T)acc[c];
        }
}

/* dst[c*ldd + r] = src[r*lds + c] for r < rows, c < cols (a transposed copy). */
void FN(ck_transpose)(const T *src, ptrdiff_t rows, ptrdiff_t lds, ptrdiff_t cols, T *dst, ptrdiff_t ldd) {
    ptrdiff_t done = 0;
    for (; done + VL <= rows; done += VL) /* VL rows at a time: each column becomes one vector store */
        for (ptrdiff_t c = 0; c < cols; c++) {
            V v;
#pragma GCC unroll 16
            for (int l = 0; l < VL; l++) v[l] = src[(done + l) * lds + c];
            FN(vstore)(dst + c * ldd + done, v);
        }
    src += done * lds;
    dst += done;
    rows -= done;
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += 8)
        for (ptrdiff_t c0 = 0; c0 < cols; c0 += 64) {
            const ptrdiff_t r1 = r0 + 8 < rows ? r0 + 8 : rows, c1 = c0 + 64 < cols ? c0 + 64 : cols;
            for (ptrdiff_t c = c0; c < c1; c++)
                for (ptrdiff_t r = r0; r < r1; r++) dst[c * ldd + r] = src[r * lds + c];
        }
}

/* dst plane p (DH x DW, row stride DW, plane stride dps) <- src plane p (H x W, plane stride sps) placed
 * with its top-left corner at (top, left) (negative: the src is cropped). With zero != 0 the rest of each
 * dst plane is set to zero; without, it is left alone (a scratch buffer whose borders are already zero,
 * reused for image after image of the same shape).
 * With check != 0, returns 1 if a copied element is not finite (inf or NaN), else 0. */
int FN(ck_embed)(const T *src, ptrdiff_t planes, ptrdiff_t sps, ptrdiff_t H, ptrdiff_t W, T *dst, ptrdiff_t dps,
                 ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top, ptrdiff_t left, int zero, int check) {
    const ptrdiff_t r0 = top > 0 ? top : 0, r1 = top + H < DH ? top + H : DH; /* dst rows with data */
    const ptrdiff_t c0 = left > 0 ? left : 0, c1 = left + W < DW ? left + W : DW;
    const ptrdiff_t n = c1 - c0;
    UT bad = 0; /* 1 once a copied element has all exponent bits set */
    for (ptrdiff_t p = 0; p < planes; p++) {
        const T *s = src + p * sps;
        T *d = dst + p * dps;
        if (zero) {
            for (ptrdiff_t e = 0; e < r0 * DW; e++) d[e] = 0;
            for (ptrdiff_t e = (r1 > r0 ? r1 : r0) * DW; e < DH * DW; e++) d[e] = 0;
        }
        if (n <= 0) {
            if (zero)
                for (ptrdiff_t e = 0; e < DH * DW; e++) d[e] = 0;
            continue;
        }
        for (ptrdiff_t r = r0; r < r1; r++) {
            T *restrict drow = d + r * DW;
            const T *restrict srow = s + (r - top) * W - left;
            if (zero) {
                for (ptrdiff_t c = 0; c < c0; c++) drow[c] = 0;
                for (ptrdiff_t c = c1; c < DW; c++) drow[c] = 0;
            }
            VI nonfinite = {0}; /* lanes whose exponent bits are all set: inf or NaN */
            if (n >= VL) { /* whole vectors, the last one overlapping the one before it */
                ptrdiff_t c = c0;
                for (; c + VL <= c1; c += VL) {
                    const V v = FN(vload)(srow + c);
                    FN(vstore)(drow + c, v);
                    nonfinite |= ((VI)v & EXP_MASK) == EXP_MASK;
                }
                if (c < c1) {
                    const V v = FN(vload)(srow + c1 - VL);
                    FN(vstore)(drow + c1 - VL, v);
                    nonfinite |= ((VI)v & EXP_MASK) == EXP_MASK;
                }
            } else {
                const V v = FN(vload_part)(srow + c0, n); /* zeros past n: finite */
                FN(vstore_part)(drow + c0, v, n);
                nonfinite |= ((VI)v & EXP_MASK) == EXP_MASK;
            }
            if (check)
                for (int l = 0; l < VL; l++) bad |= nonfinite[l];
        }
    }
    return bad != 0;
}

/* Row phase a of stride (sh, sw) of `planes` contiguous H x W planes, all its sw column phases b: plane p
 * of column phase b (DH x DW, at xq + (b*planes + p)*DH*DW) at row top + i, column left + j <-
 * x[p][i*sh + a][j*sw + b]. The rest of xq is left as it is. */
void FN(ck_phase_split)(const T *x, ptrdiff_t planes, ptrdiff_t H, ptrdiff_t W, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t a,
                        T *xq, ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t top, ptrdiff_t left) {
    const ptrdiff_t bs = planes * DH * DW;
    for (ptrdiff_t p = 0; p < planes; p++)
        for (ptrdiff_t i = 0; i * sh + a < H; i++) {
            const T *restrict src = x + (p * H + i * sh + a) * W;
            T *restrict dst = xq + (p * DH + top + i) * DW + left;
            if (sw == 2) { /* the common stride as one de-interleave, which the compiler vectorises */
                T *restrict d1 = dst + bs;
                const ptrdiff_t n = W / 2;
                for (ptrdiff_t j = 0; j < n; j++) {
                    dst[j] = src[2 * j];
                    d1[j] = src[2 * j + 1];
                }
                if (W & 1) dst[n] = src[W - 1];
            } else
                for (ptrdiff_t b = 0; b < sw; b++)
                    for (ptrdiff_t j = 0; j * sw + b < W; j++) dst[b * bs + j] = src[j * sw + b];
        }
}

/* Its inverse: x[p][i*sh + a][j*sw + b] <- plane p of column phase b of xq (DH x DW, at xq + (b*planes +
 * p)*DH*DW) at row i, column j, for every position inside the H x W planes of x in row phase a. */
void FN(ck_phase_merge)(const T *xq, ptrdiff_t planes, ptrdiff_t DH, ptrdiff_t DW, ptrdiff_t sh, ptrdiff_t sw,
                        ptrdiff_t a, T *x, ptrdiff_t H, ptrdiff_t W) {
    const ptrdiff_t bs = planes * DH * DW;
    for (ptrdiff_t p = 0; p < planes; p++)
        for (ptrdiff_t i = 0; i * sh + a < H; i++) {
            const T *restrict src = xq + (p * DH + i) * DW;
            T *restrict dst = x + (p * H + i * sh + a) * W;
            if (sw == 2) { /* one interleave */
                const T *restrict s1 = src + bs;
                const ptrdiff_t n = W / 2;
                for (ptrdiff_t j = 0; j < n; j++) {
                    dst[2 * j] = src[j];
                    dst[2 * j + 1] = s1[j];
                }
                if (W & 1) dst[W - 1] = src[n];
            } else
                for (ptrdiff_t b = 0; b < sw; b++)
                    for (ptrdiff_t j = 0; j * sw + b < W; j++) dst[j * sw + b] = src[b * bs + j];
        }
}
