/* ---------------------------------------------------------------------------------------------------
 * Batch norm over x (N, C, L), channels c0 <= c < c1
 *
 * ck_bn_sums: s1[c] = sum x (or sum y when y is given), s2[c] = sum (x - mean[c]) * (y ? y : x - mean[c]).
 * One pass, vectorised: rows of L >= VL elements use vector partial sums (lanes summed in order into a
 * double per row); short rows (L < VL, e.g. L = 1 after a dense layer) are summed column-wise over n,
 * vectorised across the contiguous channels, into doubles. A fixed order either way.
 * ck_bn_affine: out = a[c] * (x - e[c]) + b[c] * y + d[c] (y optional): the normalisation and the input
 * gradient, centred before scaling so that a large mean cancels exactly.
 * --------------------------------------------------------------------------------------------------- */

void FN(ck_bn_sums)(const T *x, const T *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0, ptrdiff_t c1,
                    const double *mean, double *s1, double *s2) {
    if (L >= VL) {
        for (ptrdiff_t c = c0; c < c1; c++) {
            const T m = mean ? (T)mean[c] : (T)0;
            double t1 = 0, t2 = 0;
            for (ptrdiff_t n = 0; n < N; n++) {
                const T *xr = x + (n * C + c) * L;
                const T *yr = y ? y + (n * C + c) * L : xr;
                V a1 = (V){0}, a2 = (V){0};
                const ptrdiff_t nv = L - L % VL;
                for (ptrdiff_t l = 0; l < nv; l += VL) {
                    const V xv = FN(vload)(xr + l) - m;
                    const V yv = y ? FN(vload)(yr + l) : xv;
                    a1 += y ? yv : FN(vload)(xr + l);
                    a2 += xv * yv;
                }
                T r1 = FN(hsum)(a1), r2 = FN(hsum)(a2);
                for (ptrdiff_t l = nv; l < L; l++) {
                    const T xv = xr[l] - m, yv = y ? yr[l] : xv;
                    r1 += y ? yv : xr[l];
                    r2 += xv * yv;
                }
                t1 += r1;
                t2 += r2;
            }
            if (s1) s1[c] = t1;
            if (s2) s2[c] = t2;
        }
        return;
    }
    /* short rows: columns j = c*L + l of the (N, C*L) matrix, up to 8 vectors of columns at a time (the
     * last vector of a block ends at the block's last column and overlaps the one before: the overlapping
     * lanes are masked out); vector partial sums over 64 rows at a time go into doubles */
    const ptrdiff_t j0 = c0 * L, j1 = c1 * L, ld = C * L;
    double t1[8 * VL], t2[8 * VL];
    for (ptrdiff_t jb = j0; jb < j1; jb += 8 * VL) {
        const ptrdiff_t nj = j1 - jb < 8 * VL ? j1 - jb : 8 * VL;
        for (ptrdiff_t j = 0; j < nj; j++) t1[j] = t2[j] = 0;
        if (nj < VL || ld < VL) { /* fewer columns than lanes: one by one, in double */
            for (ptrdiff_t n = 0; n < N; n++)
                for (ptrdiff_t j = 0; j < nj; j++) {
                    const double m = mean ? mean[(jb + j) / L] : 0;
                    const double xv = x[n * ld + jb + j], dv = xv - m;
                    const double yv = y ? (double)y[n * ld + jb + j] : dv;
                    t1[j] += y ? yv : xv;
                    t2[j] += dv * yv;
                }
        } else {
            const ptrdiff_t nvec = (nj + VL - 1) / VL, last = nj - VL; /* start of the last vector */
            V mv[8];
            VI keep[8]; /* all ones for the lanes a vector adds */
            for (ptrdiff_t v = 0; v < nvec; v++) {
                const ptrdiff_t start = v * VL < last ? v * VL : last;
                for (ptrdiff_t l = 0; l < VL; l++) {
                    mv[v][l] = mean ? (T)mean[(jb + start + l) / L] : (T)0;
                    keep[v][l] = start + l >= v * VL ? (UT)-1 : 0;
                }
            }
            for (ptrdiff_t n0 = 0; n0 < N; n0 += 64) {
                const ptrdiff_t n1 = n0 + 64 < N ? n0 + 64 : N;
                V p1[8], p2[8];
                for (ptrdiff_t v = 0; v < nvec; v++) p1[v] = p2[v] = (V){0};
                for (ptrdiff_t n = n0; n < n1; n++) {
                    const T *xr = x + n * ld + jb;
                    const T *yr = y ? y + n * ld + jb : xr;
                    for (ptrdiff_t v = 0; v < nvec; v++) {
                        const ptrdiff_t start = v * VL < last ? v * VL : last;
                        const V xv = (V)((VI)FN(vload)(xr + start) & keep[v]);
                        const V dv = (V)((VI)(xv - mv[v]) & keep[v]);
                        const V yv = y ? (V)((VI)FN(vload)(yr + start) & keep[v]) : dv;
                        p1[v] += y ? yv : xv;
                        p2[v] += dv * yv;
                    }
                }
                for (ptrdiff_t v = 0; v < nvec; v++) {
                    const ptrdiff_t start = v * VL < last ? v * VL : last;
                    for (ptrdiff_t l = 0; l < VL; l++) {
                        t1[start + l] += p1[v][l];
                        t2[start + l] += p2[v][l];
                    }
                }
            }
        }
        for (ptrdiff_t j = 0; j < nj; j++) { /* the columns of a channel are consecutive */
            const ptrdiff_t c = (jb + j) / L;
            if ((jb + j) % L == 0) {
                if (s1) s1[c] = 0;
                if (s2) s2[c] = 0;
            }
            if (s1) s1[c] += t1[j];
            if (s2) s2[c] += t2[j];
        }
    }
}

void FN(ck_bn_affine)(const T *x, const T *y, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0, ptrdiff_t c1,
                      const T *a, const T *e, const T *b, const T *d, T *out) {
    if (L >= VL) {
        for (ptrdiff_t n = 0; n < N; n++)
            for (ptrdiff_t c = c0; c < c1; c++) {
                const T *restrict xr = x + (n * C + c) * L;
                T *restrict o = out + (n * C + c) * L;
                const T ac = a[c], ec = e[c], dc = d[c];
                if (y) {
                    const T *restrict yr = y + (n * C + c) * L;
                    const T bc = b[c];
                    for (ptrdiff_t l = 0; l < L; l++) o[l] = ac * (xr[l] - ec) + bc * yr[l] + dc;
                } else {
                    for (ptrdiff_t l = 0; l < L; l++) o[l] = ac * (xr[l] - ec) + dc;
                }
            }
        return;
    }
    const ptrdiff_t j0 = c0 * L, j1 = c1 * L;
    T acol[256], ecol[256], bcol[256], dcol[256];
    for (ptrdiff_t jb = j0; jb < j1; jb += 256) {
        const ptrdiff_t nj = j1 - jb < 256 ? j1 - jb : 256;
        for (ptrdiff_t j = 0; j < nj; j++) {
            const ptrdiff_t c = (jb + j) / L;
            acol[j] = a[c];
            ecol[j] = e[c];
            bcol[j] = y ? b[c] : 0;
            dcol[j] = d[c];
        }
        for (ptrdiff_t n = 0; n < N; n++) {
            const T *restrict xr = x + n * C * L + jb;
            T *restrict o = out + n * C * L + jb;
            if (y) {
                const T *restrict yr = y + n * C * L + jb;
                for (ptrdiff_t j = 0; j < nj; j++) o[j] = acol[j] * (xr[j] - ecol[j]) + bcol[j] * yr[j] + dcol[j];
            } else {
                for (ptrdiff_t j = 0; j < nj; j++) o[j] = acol[j] * (xr[j] - ecol[j]) + dcol[j];
            }
        }
    }
}
