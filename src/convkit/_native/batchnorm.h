/* ---------------------------------------------------------------------------------------------------
 * Batch norm over x (N, C, L), channels c0 <= c < c1
 *
 * ck_bn_sums: s1[c] = sum x (or sum y when y is given), s2[c] = sum (x - mean[c]) * (y ? y : x - mean[c]);
 * with a gate (ga, gd, optional, with y), y counts only where vfmadd(ga[c], x - mean[c], gd[c]) > 0: where
 * the ReLU after a fused batch norm was open, its input recomputed from x with the forward's scale ga and
 * shift gd exactly as ck_bn_affine computed it (one vfmadd), instead of read from its output.
 * One pass, vectorised: rows of L >= VL elements use vector partial sums (lanes summed in order into a
 * double per row); short rows (L < VL, e.g. L = 1 after a dense layer) are summed column-wise over n,
 * vectorised across the contiguous channels, into doubles. A fixed order either way.
 * ck_bn_affine: out = a[c] * (x - e[c]) + b[c] * y + d[c] (y optional, gated as above), then + z
 * (optional: a residual block's shortcut, added last, as a separate sum would): the normalisation and the
 * input gradient, centred before scaling so that a large mean cancels exactly; with relu, max(out, 0) row
 * by row while the row is in cache (the fused ReLU).
 * ck_bn_row_sums / ck_bn_row_affine: the same on rows r0 <= r < r1 of the (N*C, L) matrix (row r in channel
 * r % C), one pair of sums per row, in double: callers give threads consecutive rows, which they read in
 * memory order, and add a channel's rows in a fixed order. Without a mean, each row's squares are taken
 * about the row's own mean (s[2r + 1] = sum (x - m)^2, m = (T)(sum x / L)), read again while in cache: one
 * pass over memory for a batch's statistics, and a large offset cancels within the row.
 * --------------------------------------------------------------------------------------------------- */

/* y where the gate's value g is > 0, else 0: a select (inf/NaN in y never meet a zero) */
static inline __attribute__((always_inline)) V FN(bn_gated)(V y, V g) { return (V)((VI)y & (VI)(g > 0)); }
static inline __attribute__((always_inline)) T FN(bn_gated1)(T y, T g) { return g > 0 ? y : 0; }

/* the vector at offset l of ck_bn_sums' rows: a1 += y (or x), a2 += (x - m) * (y or x - m), y gated by
 * (ga, gd) where gated. The products are added by explicit FMAs here and in the other sums: a gated and an
 * ungated loop are compiled apart, and the compiler need not contract both alike (it did not, on AVX2's
 * scalar tail), while the fused ReLU must sum exactly as the unfused pair does. */
static inline __attribute__((always_inline)) void FN(bn_sums_step)(const T *x, const T *y, int has_y, int gated, V ga,
                                                                   V gd, ptrdiff_t l, T m, V *a1, V *a2) {
    const V xv = FN(vload)(x + l) - m;
    V yv = has_y ? FN(vload)(y + l) : xv;
    if (gated) yv = FN(bn_gated)(yv, FN(vfmadd)(ga, xv, gd));
    *a1 += has_y ? yv : FN(vload)(x + l);
    *a2 = FN(vfmadd)(xv, yv, *a2);
}

/* one row of ck_bn_sums (L elements, any L): *r1 = sum y (or x), *r2 = sum (x - m) * (y or x - m), y gated
 * by the row's channel's gate coefficients *ga, *gd (optional) */
static inline __attribute__((always_inline)) void FN(bn_row_sums)(const T *xr, const T *yr, int has_y, const T *ga,
                                                                  const T *gd, ptrdiff_t L, T m, T *r1, T *r2) {
    const V gav = (V){0} + (ga ? *ga : 0), gdv = (V){0} + (ga ? *gd : 0);
    /* four chains of partial sums: one would wait out the add's latency at every vector */
    V a1 = (V){0}, b1 = (V){0}, c1 = (V){0}, d1 = (V){0}, a2 = (V){0}, b2 = (V){0}, c2 = (V){0}, d2 = (V){0};
    const ptrdiff_t nv = L - L % VL;
    ptrdiff_t l = 0;
    for (; l + 4 * VL <= nv; l += 4 * VL) {
        FN(bn_sums_step)(xr, yr, has_y, !!ga, gav, gdv, l, m, &a1, &a2);
        FN(bn_sums_step)(xr, yr, has_y, !!ga, gav, gdv, l + VL, m, &b1, &b2);
        FN(bn_sums_step)(xr, yr, has_y, !!ga, gav, gdv, l + 2 * VL, m, &c1, &c2);
        FN(bn_sums_step)(xr, yr, has_y, !!ga, gav, gdv, l + 3 * VL, m, &d1, &d2);
    }
    for (; l < nv; l += VL) FN(bn_sums_step)(xr, yr, has_y, !!ga, gav, gdv, l, m, &a1, &a2);
    T t1 = FN(hsum)((a1 + b1) + (c1 + d1)), t2 = FN(hsum)((a2 + b2) + (c2 + d2));
    for (; l < L; l++) {
        const T xv = xr[l] - m;
        T yv = has_y ? yr[l] : xv;
        if (ga) yv = FN(bn_gated1)(yv, FN(fmadd1)(*ga, xv, *gd));
        t1 += has_y ? yv : xr[l];
        t2 = FN(fmadd1)(xv, yv, t2);
    }
    *r1 = t1;
    *r2 = t2;
}

void FN(ck_bn_sums)(const T *x, const T *y, const T *ga, const T *gd, ptrdiff_t N, ptrdiff_t C, ptrdiff_t L,
                    ptrdiff_t c0, ptrdiff_t c1, const double *mean, double *s1, double *s2) {
    if (L >= VL) {
        for (ptrdiff_t c = c0; c < c1; c++) {
            const T m = mean ? (T)mean[c] : (T)0;
            double t1 = 0, t2 = 0;
            for (ptrdiff_t n = 0; n < N; n++) {
                const ptrdiff_t row = (n * C + c) * L;
                T r1, r2;
                FN(bn_row_sums)(x + row, y ? y + row : x + row, !!y, ga ? ga + c : NULL, ga ? gd + c : NULL, L, m, &r1,
                                &r2);
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
                    double yv = y ? (double)y[n * ld + jb + j] : dv;
                    if (ga) { /* the gate in T, as the vectors compute it */
                        const ptrdiff_t c = (jb + j) / L;
                        yv = FN(fmadd1)(ga[c], x[n * ld + jb + j] - (T)m, gd[c]) > 0 ? yv : 0;
                    }
                    t1[j] += y ? yv : xv;
                    t2[j] = __builtin_fma(dv, yv, t2[j]);
                }
        } else {
            const ptrdiff_t nvec = (nj + VL - 1) / VL, last = nj - VL; /* start of the last vector */
            V mv[8], gav[8], gdv[8];
            VI keep[8]; /* all ones for the lanes a vector adds */
            for (ptrdiff_t v = 0; v < nvec; v++) {
                const ptrdiff_t start = v * VL < last ? v * VL : last;
                for (ptrdiff_t l = 0; l < VL; l++) {
                    const ptrdiff_t c = (jb + start + l) / L;
                    mv[v][l] = mean ? (T)mean[c] : (T)0;
                    gav[v][l] = ga ? ga[c] : 0;
                    gdv[v][l] = ga ? gd[c] : 0;
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
                        V yv = y ? (V)((VI)FN(vload)(yr + start) & keep[v]) : dv;
                        if (ga) yv = FN(bn_gated)(yv, FN(vfmadd)(gav[v], xv - mv[v], gdv[v]));
                        p1[v] += y ? yv : xv;
                        p2[v] = FN(vfmadd)(dv, yv, p2[v]);
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

/* o[l] = a * (x[l] - e) + b * y'[l] + d (+ z[l]) for l < n, y' = y gated by (ga, gd) (y, ga / gd, z optional;
 * b unused without y), then max(o, 0) with relu; a, e, b, d, ga, gd are VL lanes each (per-column
 * coefficients) or broadcasts. Without y, vfmadd(a, x - e, d): the value a gate recomputes. One vector
 * expression for every element, the tail loaded and stored in part: whether y is gated never changes how an
 * element is rounded. */
static inline __attribute__((always_inline)) void FN(bn_affine_run)(const T *x, const T *y, const T *ga, const T *gd,
                                                                    const T *z, ptrdiff_t n, const T *av, const T *ev,
                                                                    const T *bv, const T *dv, int lanes, int relu,
                                                                    T *o) {
    for (ptrdiff_t l = 0; l < n; l += VL) {
        const ptrdiff_t m = n - l < VL ? n - l : VL, k = lanes ? l : 0;
        const V a = lanes ? FN(vload)(av + k) : (V){0} + *av, e = lanes ? FN(vload)(ev + k) : (V){0} + *ev;
        const V d = lanes ? FN(vload)(dv + k) : (V){0} + *dv;
        const V xv = m == VL ? FN(vload)(x + l) : FN(vload_part)(x + l, m);
        V r;
        if (y) {
            const V b = lanes ? FN(vload)(bv + k) : (V){0} + *bv;
            V yv = m == VL ? FN(vload)(y + l) : FN(vload_part)(y + l, m);
            if (ga) {
                const V gav = lanes ? FN(vload)(ga + k) : (V){0} + *ga, gdv = lanes ? FN(vload)(gd + k) : (V){0} + *gd;
                yv = FN(bn_gated)(yv, FN(vfmadd)(gav, xv - e, gdv));
            }
            r = FN(vfmadd)(b, yv, a * (xv - e)) + d; /* explicit: gated or not, one rounding sequence */
        } else {
            r = FN(vfmadd)(a, xv - e, d);
        }
        if (z) r += m == VL ? FN(vload)(z + l) : FN(vload_part)(z + l, m);
        if (m == VL)
            FN(vstore)(o + l, r);
        else
            FN(vstore_part)(o + l, r, m);
    }
    if (relu) FN(ck_relu_inplace)(o, 0, n);
}

void FN(ck_bn_row_sums)(const T *x, const T *y, const T *ga, const T *gd, ptrdiff_t C, ptrdiff_t L, ptrdiff_t r0,
                        ptrdiff_t r1, const double *mean, double *s) {
    for (ptrdiff_t r = r0; r < r1; r++) {
        const T *xr = x + r * L;
        T t1, t2;
        if (mean) {
            const ptrdiff_t c = r % C;
            FN(bn_row_sums)(xr, y ? y + r * L : xr, !!y, ga ? ga + c : NULL, ga ? gd + c : NULL, L, (T)mean[c], &t1,
                            &t2);
        } else { /* the row's sum, then its squares about its own mean while the row is in cache */
            FN(bn_row_sums)(xr, xr, 0, NULL, NULL, L, 0, &t1, &t2);
            FN(bn_row_sums)(xr, xr, 0, NULL, NULL, L, (T)(t1 / L), &t1, &t2);
        }
        s[2 * r] = t1;
        s[2 * r + 1] = t2;
    }
}

void FN(ck_bn_row_affine)(const T *x, const T *y, const T *ga, const T *gd, const T *z, ptrdiff_t C, ptrdiff_t L,
                          ptrdiff_t r0, ptrdiff_t r1, const T *a, const T *e, const T *b, const T *d, int relu,
                          T *out) {
    for (ptrdiff_t r = r0; r < r1; r++) {
        const ptrdiff_t row = r * L, c = r % C;
        FN(bn_affine_run)(x + row, y ? y + row : NULL, ga ? ga + c : NULL, ga ? gd + c : NULL, z ? z + row : NULL, L,
                          a + c, e + c, y ? b + c : NULL, d + c, 0, relu, out + row);
    }
}

void FN(ck_bn_affine)(const T *x, const T *y, const T *ga, const T *gd, const T *z, ptrdiff_t N, ptrdiff_t C,
                      ptrdiff_t L, ptrdiff_t c0, ptrdiff_t c1, const T *a, const T *e, const T *b, const T *d, int relu,
                      T *out) {
    if (L >= VL) {
        for (ptrdiff_t n = 0; n < N; n++)
            FN(ck_bn_row_affine)(x, y, ga, gd, z, C, L, n * C + c0, n * C + c1, a, e, b, d, relu, out);
        return;
    }
    const ptrdiff_t j0 = c0 * L, j1 = c1 * L;
    /* + VL: a tail vector reads past nj */
    T acol[256 + VL], ecol[256 + VL], bcol[256 + VL], dcol[256 + VL], gacol[256 + VL], gdcol[256 + VL];
    for (ptrdiff_t jb = j0; jb < j1; jb += 256) {
        const ptrdiff_t nj = j1 - jb < 256 ? j1 - jb : 256;
        for (ptrdiff_t j = 0; j < nj + VL; j++) {
            const ptrdiff_t c = j < nj ? (jb + j) / L : c0;
            acol[j] = a[c];
            ecol[j] = e[c];
            bcol[j] = y ? b[c] : 0;
            dcol[j] = d[c];
            gacol[j] = ga ? ga[c] : 0;
            gdcol[j] = ga ? gd[c] : 0;
        }
        for (ptrdiff_t n = 0; n < N; n++) {
            const ptrdiff_t row = n * C * L + jb;
            FN(bn_affine_run)(x + row, y ? y + row : NULL, ga ? gacol : NULL, ga ? gdcol : NULL, z ? z + row : NULL, nj,
                              acol, ecol, bcol, dcol, 1, relu, out + row);
        }
    }
}
