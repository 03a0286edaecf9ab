/* ---------------------------------------------------------------------------------------------------
 * Batch norm over x (N, C, L), channels c0 <= c < c1
 *
 * ck_bn_sums: s1[c] = sum x (or sum y when y is given), s2[c] = sum (x - mean[c]) * (y ? y : x - mean[c]);
 * with a gate g (optional, with y), y counts only where g > 0 (the ReLU after a fused batch norm).
 * One pass, vectorised: rows of L >= VL elements use vector partial sums (lanes summed in order into a
 * double per row); short rows (L < VL, e.g. L = 1 after a dense layer) are summed column-wise over n,
 * vectorised across the contiguous channels, into doubles. A fixed order either way.
 * ck_bn_affine: out = a[c] * (x - e[c]) + b[c] * y + d[c] (y optional, gated by g as above), then + z
 * (optional: a residual block's shortcut, added last, as a separate sum would): the normalisation and the
 * input gradient, centred before scaling so that a large mean cancels exactly; with relu, max(out, 0) row
 * by row while the row is in cache (the fused ReLU).
 * --------------------------------------------------------------------------------------------------- */

/* y where the gate g is > 0, else 0: a select (inf/NaN in y never meet a zero) */
static inline __attribute__((always_inline)) V FN(bn_gated)(V y, V g) { return (V)((VI)y & (VI)(g > 0)); }
static inline __attribute__((always_inline)) T FN(bn_gated1)(T y, T g) { return g > 0 ? y : 0; }

/* the vector at offset l of ck_bn_sums' rows: a1 += y (or x), a2 += (x - m) * (y or x - m), y gated by g */
static inline __attribute__((always_inline)) void FN(bn_sums_step)(const T *x, const T *y, const T *g, int has_y,
                                                                   ptrdiff_t l, T m, V *a1, V *a2) {
    const V xv = FN(vload)(x + l) - m;
    const V yv = !has_y ? xv : g ? FN(bn_gated)(FN(vload)(y + l), FN(vload)(g + l)) : FN(vload)(y + l);
    *a1 += has_y ? yv : FN(vload)(x + l);
    *a2 += xv * yv;
}

void FN(ck_bn_sums)(const T *x, const T *y, const T *g, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L, ptrdiff_t c0,
                    ptrdiff_t c1, const double *mean, double *s1, double *s2) {
    if (L >= VL) {
        for (ptrdiff_t c = c0; c < c1; c++) {
            const T m = mean ? (T)mean[c] : (T)0;
            double t1 = 0, t2 = 0;
            for (ptrdiff_t n = 0; n < N; n++) {
                const T *xr = x + (n * C + c) * L;
                const T *yr = y ? y + (n * C + c) * L : xr;
                const T *gr = g ? g + (n * C + c) * L : NULL;
                /* four chains of partial sums: one would wait out the add's latency at every vector */
                V a1 = (V){0}, b1 = (V){0}, c1 = (V){0}, d1 = (V){0}, a2 = (V){0}, b2 = (V){0}, c2 = (V){0},
                  d2 = (V){0};
                const ptrdiff_t nv = L - L % VL;
                ptrdiff_t l = 0;
                for (; l + 4 * VL <= nv; l += 4 * VL) {
                    FN(bn_sums_step)(xr, yr, gr, !!y, l, m, &a1, &a2);
                    FN(bn_sums_step)(xr, yr, gr, !!y, l + VL, m, &b1, &b2);
                    FN(bn_sums_step)(xr, yr, gr, !!y, l + 2 * VL, m, &c1, &c2);
                    FN(bn_sums_step)(xr, yr, gr, !!y, l + 3 * VL, m, &d1, &d2);
                }
                for (; l < nv; l += VL) FN(bn_sums_step)(xr, yr, gr, !!y, l, m, &a1, &a2);
                T r1 = FN(hsum)((a1 + b1) + (c1 + d1)), r2 = FN(hsum)((a2 + b2) + (c2 + d2));
                for (; l < L; l++) {
                    const T xv = xr[l] - m, yv = !y ? xv : g ? FN(bn_gated1)(yr[l], gr[l]) : yr[l];
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
                    const double yv = !y ? dv
                        : g              ? (double)FN(bn_gated1)(y[n * ld + jb + j], g[n * ld + jb + j])
                                         : (double)y[n * ld + jb + j];
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
                    const T *gr = g ? g + n * ld + jb : NULL;
                    for (ptrdiff_t v = 0; v < nvec; v++) {
                        const ptrdiff_t start = v * VL < last ? v * VL : last;
                        const V xv = (V)((VI)FN(vload)(xr + start) & keep[v]);
                        const V dv = (V)((VI)(xv - mv[v]) & keep[v]);
                        V yv = y ? (V)((VI)FN(vload)(yr + start) & keep[v]) : dv;
                        if (g) yv = FN(bn_gated)(yv, FN(vload)(gr + start));
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

/* o[l] = a * (x[l] - e) + b * y'[l] + d (+ z[l]) for l < n, y' = y gated by g (y, g, z optional; b unused
 * without y), then max(o, 0) with relu; a, e, b, d are VL lanes each (per-column coefficients) or broadcasts. One
 * vector expression for every element, the tail loaded and stored in part: whether y is gated never changes
 * how an element is rounded. */
static inline __attribute__((always_inline)) void FN(bn_affine_run)(const T *x, const T *y, const T *g, const T *z,
                                                                    ptrdiff_t n, const T *av, const T *ev, const T *bv,
                                                                    const T *dv, int lanes, int relu, T *o) {
    for (ptrdiff_t l = 0; l < n; l += VL) {
        const ptrdiff_t m = n - l < VL ? n - l : VL, k = lanes ? l : 0;
        const V a = lanes ? FN(vload)(av + k) : (V){0} + *av, e = lanes ? FN(vload)(ev + k) : (V){0} + *ev;
        const V d = lanes ? FN(vload)(dv + k) : (V){0} + *dv;
        const V xv = m == VL ? FN(vload)(x + l) : FN(vload_part)(x + l, m);
        V r = a * (xv - e);
        if (y) {
            const V b = lanes ? FN(vload)(bv + k) : (V){0} + *bv;
            V yv = m == VL ? FN(vload)(y + l) : FN(vload_part)(y + l, m);
            if (g) yv = FN(bn_gated)(yv, m == VL ? FN(vload)(g + l) : FN(vload_part)(g + l, m));
            r += b * yv;
        }
        r += d;
        if (z) r += m == VL ? FN(vload)(z + l) : FN(vload_part)(z + l, m);
        if (m == VL)
            FN(vstore)(o + l, r);
        else
            FN(vstore_part)(o + l, r, m);
    }
    if (relu) FN(ck_relu_inplace)(o, 0, n);
}

void FN(ck_bn_affine)(const T *x, const T *y, const T *g, const T *z, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L,
                      ptrdiff_t c0, ptrdiff_t c1, const T *a, const T *e, const T *b, const T *d, int relu, T *out) {
    if (L >= VL) {
        for (ptrdiff_t n = 0; n < N; n++)
            for (ptrdiff_t c = c0; c < c1; c++) {
                const ptrdiff_t row = (n * C + c) * L;
                FN(bn_affine_run)(x + row, y ? y + row : NULL, g ? g + row : NULL, z ? z + row : NULL, L, a + c, e + c,
                                  y ? b + c : NULL, d + c, 0, relu, out + row);
            }
        return;
    }
    const ptrdiff_t j0 = c0 * L, j1 = c1 * L;
    T acol[256 + VL], ecol[256 + VL], bcol[256 + VL], dcol[256 + VL]; /* + VL: a tail vector reads past nj */
    for (ptrdiff_t jb = j0; jb < j1; jb += 256) {
        const ptrdiff_t nj = j1 - jb < 256 ? j1 - jb : 256;
        for (ptrdiff_t j = 0; j < nj + VL; j++) {
            const ptrdiff_t c = j < nj ? (jb + j) / L : c0;
            acol[j] = a[c];
            ecol[j] = e[c];
            bcol[j] = y ? b[c] : 0;
            dcol[j] = d[c];
        }
        for (ptrdiff_t n = 0; n < N; n++) {
            const ptrdiff_t row = n * C * L + jb;
            FN(bn_affine_run)(x + row, y ? y + row : NULL, g ? g + row : NULL, z ? z + row : NULL, nj, acol, ecol, bcol,
                              dcol, 1, relu, out + row);
        }
    }
}
