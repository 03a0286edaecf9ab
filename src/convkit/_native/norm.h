/* ---------------------------------------------------------------------------------------------------
 * Layer and group normalization over rows of x (R, D): a row is one sample (LayerNorm: G = 1, L = 1,
 * cg = D) or one group of one sample (GroupNorm: row r = n * G + g holds channels g * cg .. g * cg + cg - 1
 * of sample n, each of L positions, D = cg * L). Element j of row r uses the affine parameter
 * (r % G) * cg + j / L.
 *
 * ck_rownorm_forward: rows r0 <= r < r1; the mean and the biased variance of each row in double, two
 * passes in index order; out = (x - mean) * inv_std * w + b.
 * ck_rownorm_backward: rows r0 <= r < r1; dx = inv_std * (g - mean(g) - xhat * mean(g * xhat)),
 * g = dout * w, the row sums in double in index order.
 * ck_rownorm_param_grads: affine parameters i0 <= i < i1; dw[i] = sum dout * xhat, db[i] = sum dout over
 * the rows of group i / cg, sample after sample, in double.
 * Each output element is computed by one call in a fixed order: the results do not depend on how the
 * caller splits the rows or the parameters between threads.
 * --------------------------------------------------------------------------------------------------- */

void FN(ck_rownorm_forward)(const T *x, ptrdiff_t D, ptrdiff_t L, ptrdiff_t cg, ptrdiff_t G, const T *w,
                            const T *b, double eps, ptrdiff_t r0, ptrdiff_t r1, T *out, double *mean,
                            double *inv_std) {
    for (ptrdiff_t r = r0; r < r1; r++) {
        const T *xr = x + r * D;
        T *orow = out + r * D;
        const ptrdiff_t base = (r % G) * cg;
        double s = 0;
        for (ptrdiff_t j = 0; j < D; j++) s += xr[j];
        const double m = s / (double)D;
        double q = 0;
        for (ptrdiff_t j = 0; j < D; j++) {
            const double d = xr[j] - m;
            q += d * d;
        }
        const double inv = 1.0 / __builtin_sqrt(q / (double)D + eps);
        mean[r] = m;
        inv_std[r] = inv;
        for (ptrdiff_t j = 0; j < D; j++) {
            const ptrdiff_t i = base + j / L;
            orow[j] = (T)((xr[j] - m) * inv) * w[i] + b[i];
        }
    }
}

void FN(ck_rownorm_backward)(const T *dout, const T *x, const double *mean, const double *inv_std, const T *w,
                             ptrdiff_t D, ptrdiff_t L, ptrdiff_t cg, ptrdiff_t G, ptrdiff_t r0, ptrdiff_t r1,
                             T *dx) {
    for (ptrdiff_t r = r0; r < r1; r++) {
        const T *xr = x + r * D, *gr = dout + r * D;
        T *dr = dx + r * D;
        const ptrdiff_t base = (r % G) * cg;
        const double m = mean[r], inv = inv_std[r];
        double s1 = 0, s2 = 0;
        for (ptrdiff_t j = 0; j < D; j++) {
            const double g = (double)gr[j] * w[base + j / L];
            s1 += g;
            s2 += g * ((xr[j] - m) * inv);
        }
        const double a = s1 / (double)D, c = s2 / (double)D;
        for (ptrdiff_t j = 0; j < D; j++) {
            const double g = (double)gr[j] * w[base + j / L];
            dr[j] = (T)(inv * (g - a - (xr[j] - m) * inv * c));
        }
    }
}

void FN(ck_rownorm_param_grads)(const T *dout, const T *x, const double *mean, const double *inv_std,
                                ptrdiff_t R, ptrdiff_t D, ptrdiff_t L, ptrdiff_t cg, ptrdiff_t G, ptrdiff_t i0,
                                ptrdiff_t i1, double *dw, double *db) {
    for (ptrdiff_t i = i0; i < i1; i++) dw[i] = db[i] = 0;
    for (ptrdiff_t g = 0; g < G; g++) { /* the parameters of group g in [i0, i1): columns j0 .. j1 */
        const ptrdiff_t lo = i0 > g * cg ? i0 : g * cg, hi = i1 < (g + 1) * cg ? i1 : (g + 1) * cg;
        if (lo >= hi) continue;
        const ptrdiff_t j0 = (lo - g * cg) * L, j1 = (hi - g * cg) * L;
        for (ptrdiff_t r = g; r < R; r += G) {
            const T *xr = x + r * D, *gr = dout + r * D;
            const double m = mean[r], inv = inv_std[r];
            for (ptrdiff_t j = j0; j < j1; j++) {
                const ptrdiff_t i = g * cg + j / L;
                dw[i] += (double)gr[j] * ((xr[j] - m) * inv);
                db[i] += gr[j];
            }
        }
    }
}
