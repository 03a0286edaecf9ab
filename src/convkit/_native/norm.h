/* ---------------------------------------------------------------------------------------------------
 * Layer and group normalization over rows of x (R, D): a row is one sample (LayerNorm: G = 1, L = 1,
 * cg = D) or one group of one sample (GroupNorm: row r = n * G + g holds channels g * cg .. g * cg + cg - 1
 * of sample n, each of L positions, D = cg * L). Element j of row r uses the affine parameter
 * (r % G) * cg + j / L.
 *
 * ck_rownorm_forward: rows r0 <= r < r1; the mean, then the biased variance of each row (two passes, each
 * a sum of vector partial sums whose lanes are added in order into a double); out = (x - mean) * inv_std *
 * w + b, the parameter a constant over each channel's L positions.
 * ck_rownorm_backward: rows r0 <= r < r1; dx = inv_std * (g - mean(g) - xhat * mean(g * xhat)),
 * g = dout * w, the two row sums as in the forward pass. With L > 1 (GroupNorm) the sums go channel by
 * channel, sum dout -> pu[r*nc + c] and sum dout * (x - mean) -> pv[r*nc + c], times w[c] into the row
 * sums: the weight gradients are then sums over the samples of those partials (no second pass over the
 * data).
 * ck_rownorm_param_grads (L == 1: LayerNorm, GroupNorm of (N, C)): affine parameters i0 <= i < i1;
 * dw[i] = sum dout * xhat, db[i] = sum dout over the rows of group i / cg, sample after sample, in blocks
 * of parameters, in double.
 * Each output element is computed by one call in a fixed order: the results do not depend on how the
 * caller splits the rows or the parameters between threads.
 * --------------------------------------------------------------------------------------------------- */

#define CK_RN_BLOCK 512 /* parameters whose double sums a LayerNorm weight gradient keeps in L1 */

/* one term of rn_dot */
static inline __attribute__((always_inline)) V FN(rn_term)(const T *p, T m, const T *q, T qs, int square) {
    const V d = FN(vload)(p) - m;
    return square ? d * d : (q ? d * (FN(vload)(q) * qs) : d);
}

/* sum of (p[l] - m) * (q ? q[l] * qs : p[l] - m) over l < n (q == NULL, m = 0: sum of p): four vector
 * partial sums (independent chains) over blocks of 4 vectors, then one over the remaining vectors, added in a
 * fixed order, lanes in order, then the scalar tail */
static inline double FN(rn_dot)(const T *p, T m, const T *q, T qs, ptrdiff_t n, int square) {
    V a0 = (V){0}, a1 = (V){0}, a2 = (V){0}, a3 = (V){0};
    const ptrdiff_t n4 = n - n % (4 * VL), nv = n - n % VL;
    ptrdiff_t l = 0;
    for (; l < n4; l += 4 * VL) {
        a0 += FN(rn_term)(p + l, m, q ? q + l : NULL, qs, square);
        a1 += FN(rn_term)(p + l + VL, m, q ? q + l + VL : NULL, qs, square);
        a2 += FN(rn_term)(p + l + 2 * VL, m, q ? q + l + 2 * VL : NULL, qs, square);
        a3 += FN(rn_term)(p + l + 3 * VL, m, q ? q + l + 3 * VL : NULL, qs, square);
    }
    for (; l < nv; l += VL) a0 += FN(rn_term)(p + l, m, q ? q + l : NULL, qs, square);
    T r = FN(hsum)((a0 + a1) + (a2 + a3));
    for (; l < n; l++) {
        const T d = p[l] - m;
        r += square ? d * d : (q ? d * (q[l] * qs) : d);
    }
    return (double)r;
}

void FN(ck_rownorm_forward)(const T *x, ptrdiff_t D, ptrdiff_t L, ptrdiff_t cg, ptrdiff_t G, const T *w, const T *b,
                            double eps, ptrdiff_t r0, ptrdiff_t r1, T *out, double *mean, double *inv_std) {
    const ptrdiff_t nc = D / L; /* channels in a row */
    for (ptrdiff_t r = r0; r < r1; r++) {
        const T *xr = x + r * D;
        T *orow = out + r * D;
        const T *wr = w + (r % G) * cg, *br = b + (r % G) * cg;
        const double m = FN(rn_dot)(xr, 0, NULL, 0, D, 0) / (double)D;
        const double inv = 1.0 / __builtin_sqrt(FN(rn_dot)(xr, (T)m, NULL, 0, D, 1) / (double)D + eps);
        mean[r] = m;
        inv_std[r] = inv;
        const T tm = (T)m, tinv = (T)inv;
        if (L == 1) {
            for (ptrdiff_t j = 0; j < D; j++) orow[j] = (xr[j] - tm) * tinv * wr[j] + br[j];
        } else {
            for (ptrdiff_t c = 0; c < nc; c++) {
                const T wc = wr[c], bc = br[c];
                const T *xc = xr + c * L;
                T *oc = orow + c * L;
                for (ptrdiff_t l = 0; l < L; l++) oc[l] = (xc[l] - tm) * tinv * wc + bc;
            }
        }
    }
}

void FN(ck_rownorm_backward)(const T *dout, const T *x, const double *mean, const double *inv_std, const T *w,
                             ptrdiff_t D, ptrdiff_t L, ptrdiff_t cg, ptrdiff_t G, ptrdiff_t r0, ptrdiff_t r1, T *dx,
                             double *pu, double *pv) {
    const ptrdiff_t nc = D / L;
    for (ptrdiff_t r = r0; r < r1; r++) {
        const T *xr = x + r * D, *gr = dout + r * D;
        T *dr = dx + r * D;
        const T *wr = w + (r % G) * cg;
        const T tm = (T)mean[r], tinv = (T)inv_std[r];
        double s1 = 0, s2 = 0; /* sum of g = dout * w, and of g * (x - mean) */
        if (L == 1) {
            V a1 = (V){0}, a2 = (V){0};
            const ptrdiff_t nv = D - D % VL;
            for (ptrdiff_t j = 0; j < nv; j += VL) {
                const V g = FN(vload)(gr + j) * FN(vload)(wr + j);
                a1 += g;
                a2 += g * (FN(vload)(xr + j) - tm);
            }
            T t1 = FN(hsum)(a1), t2 = FN(hsum)(a2);
            for (ptrdiff_t j = nv; j < D; j++) {
                const T g = gr[j] * wr[j];
                t1 += g;
                t2 += g * (xr[j] - tm);
            }
            s1 = t1;
            s2 = t2;
        } else {
            for (ptrdiff_t c = 0; c < nc; c++) {
                const double u = FN(rn_dot)(gr + c * L, 0, NULL, 0, L, 0);
                const double v = FN(rn_dot)(xr + c * L, tm, gr + c * L, 1, L, 0);
                pu[r * nc + c] = u;
                pv[r * nc + c] = v;
                s1 += u * wr[c];
                s2 += v * wr[c];
            }
        }
        const T a = (T)(s1 / (double)D), k = (T)(s2 / (double)D * inv_std[r] * inv_std[r]);
        if (L == 1) {
            for (ptrdiff_t j = 0; j < D; j++) dr[j] = tinv * (gr[j] * wr[j] - a - (xr[j] - tm) * k);
        } else {
            for (ptrdiff_t c = 0; c < nc; c++) {
                const T wc = wr[c];
                const T *xc = xr + c * L, *gc = gr + c * L;
                T *dc = dr + c * L;
                for (ptrdiff_t l = 0; l < L; l++) dc[l] = tinv * (gc[l] * wc - a - (xc[l] - tm) * k);
            }
        }
    }
}

void FN(ck_rownorm_param_grads)(const T *dout, const T *x, const double *mean, const double *inv_std, ptrdiff_t R,
                                ptrdiff_t D, ptrdiff_t cg, ptrdiff_t G, ptrdiff_t i0, ptrdiff_t i1, double *dw,
                                double *db) {
    for (ptrdiff_t i = i0; i < i1; i++) dw[i] = db[i] = 0;
    for (ptrdiff_t g = 0; g < G; g++) { /* the parameters of group g in [i0, i1) */
        const ptrdiff_t lo = i0 > g * cg ? i0 : g * cg, hi = i1 < (g + 1) * cg ? i1 : (g + 1) * cg;
        /* blocks of CK_RN_BLOCK parameters (their sums stay in L1) over every sample in order */
        for (ptrdiff_t b0 = lo; b0 < hi; b0 += CK_RN_BLOCK) {
            const ptrdiff_t b1 = b0 + CK_RN_BLOCK < hi ? b0 + CK_RN_BLOCK : hi;
            for (ptrdiff_t r = g; r < R; r += G) {
                const T *restrict gj = dout + r * D - g * cg, *restrict xj = x + r * D - g * cg;
                const double m = mean[r], inv = inv_std[r];
                double *restrict dwi = dw, *restrict dbi = db;
                for (ptrdiff_t i = b0; i < b1; i++) {
                    dwi[i] += (double)gj[i] * (((double)xj[i] - m) * inv);
                    dbi[i] += (double)gj[i];
                }
            }
        }
    }
}
