/* Shifted-row GEMM drivers: the direct convolution, the im2col tiles and the dense GEMM. */

/* tile + bias (+ the residual z, laid out as out; NULL for none), then max(., 0) with relu: the sum and ReLU
 * of a separate pass (ck_add_relu_inplace, ck_relu_inplace), bit for bit, while the tile is in registers */
static inline __attribute__((always_inline)) V FN(shift_out)(V acc, T bv, const T *z, ptrdiff_t n, int relu) {
    V r = acc + bv;
    if (z) r += n >= VL ? FN(vload)(z) : FN(vload_part)(z, n);
    return relu ? FN(vrelu)(r) : r;
}

/* Write rows of a tile (q0 .. q0+nvalid-1 on the wide grid of row period wq) to the owc valid columns of
 * each output row: out[m*ldo + (q / wq)*owc + q % wq] = shift_out(tile + bias[m]) for q % wq < owc. */
static void FN(store_tile)(const T *buf, int mr, ptrdiff_t m0, const T *bias, const T *z, int relu, ptrdiff_t q0,
                           ptrdiff_t nvalid, ptrdiff_t wq, ptrdiff_t owc, T *out, ptrdiff_t ldo) {
    const ptrdiff_t row0 = q0 / wq, col0 = q0 - row0 * wq;
    for (int i = 0; i < mr; i++) {
        const T *src = buf + i * NR;
        const T bv = bias ? bias[m0 + i] : (T)0;
        T *orow = out + (m0 + i) * ldo;
        const T *zrow = z ? z + (m0 + i) * ldo : NULL;
        ptrdiff_t row = row0, col = col0, t = 0;
        while (t < nvalid) {
            ptrdiff_t seg = wq - col;
            if (seg > nvalid - t) seg = nvalid - t;
            ptrdiff_t keep = owc - col;
            if (keep > seg) keep = seg;
            T *dst = orow + row * owc + col;
            const T *zd = zrow ? zrow + row * owc + col : NULL;
            const T *s = src + t;
            if (keep >= VL) { /* whole vectors, the last one overlapping the one before it */
                ptrdiff_t e = 0;
                for (; e + VL <= keep; e += VL)
                    FN(vstore)(dst + e, FN(shift_out)(FN(vload)(s + e), bv, zd ? zd + e : NULL, VL, relu));
                if (e < keep)
                    FN(vstore)(dst + keep - VL,
                               FN(shift_out)(FN(vload)(s + keep - VL), bv, zd ? zd + keep - VL : NULL, VL, relu));
            } else if (keep > 0) { /* buf has a vector of slack at its end */
                FN(vstore_part)(dst, FN(shift_out)(FN(vload)(s), bv, zd, keep, relu), keep);
            }
            t += seg;
            row++;
            col = 0;
        }
    }
}

/* The vectors of the next tile with `left` vectors of the range left: whole tiles, then the rest, CK_NV + 1
 * of them as two tiles (a 1-vector tile is bound by its loads). */
static inline int FN(tile_vectors)(ptrdiff_t left) {
    return left == CK_NV + 1 ? (int)(left + 1) / 2 : left < CK_NV ? (int)left : CK_NV;
}

/* out <- bias + A (M x K, packed by ck_pack_a) times B (+ z, then ReLU: shift_out), for wide columns
 * q_begin <= q < q_end.
 * B row k: base[off[k] + q]. With tail (K x NR scratch, tail_off: K entries) only q < q_end is ever read:
 * the last, partial tile is copied into tail first. With tail = NULL the caller guarantees that the rows
 * are readable up to a whole tile past q_end (slack at the end of its buffer). The last tiles are
 * narrower where the range runs short (tile_vectors). */
void FN(ck_shift_gemm)(ptrdiff_t M, ptrdiff_t K, const T *apack, const T *base, const ptrdiff_t *off, const T *bias,
                       const T *z, int relu, ptrdiff_t q_begin, ptrdiff_t q_end, ptrdiff_t wq, ptrdiff_t owc, T *out,
                       ptrdiff_t ldo, T *tail, ptrdiff_t *tail_off) {
    T buf[CK_MRMAX * NR + VL] __attribute__((aligned(64)));
    ptrdiff_t qo[CK_NV];
    for (int j = 0; j < CK_NV; j++) qo[j] = j * VL;
    for (ptrdiff_t q0 = q_begin, width; q0 < q_end; q0 += width) {
        const int nv = FN(tile_vectors)((q_end - q0 + VL - 1) / VL);
        width = nv * VL;
        ptrdiff_t nvalid = q_end - q0;
        const T *bq;
        const ptrdiff_t *o;
        if (nvalid >= width || !tail) {
            if (nvalid > width) nvalid = width;
            bq = base + q0;
            o = off;
        } else {
            for (ptrdiff_t k = 0; k < K; k++) {
                const T *src = base + off[k] + q0;
                T *dst = tail + k * NR;
                ptrdiff_t t = 0;
                for (; t < nvalid; t++) dst[t] = src[t];
                for (; t < width; t++) dst[t] = 0;
                tail_off[k] = k * NR;
            }
            bq = tail;
            o = tail_off;
        }
        const T *ap = apack;
        for (ptrdiff_t m0 = 0; m0 < M;) {
            const int mr = FN(panel_rows)(M - m0);
            FN(mk_shift_any)(mr, nv, K, ap, bq, o, qo, buf);
            FN(store_tile)(buf, mr, m0, bias, z, relu, q0, nvalid, wq, owc, out, ldo);
            ap += (ptrdiff_t)mr * K;
            m0 += mr;
        }
    }
}

/* The same product on whole output rows: out[m*ldo + r*owc + c] = bias[m] + sum_k A[m][k] * B[k][r*wq + c]
 * (+ z, then ReLU: shift_out) for rows r_begin <= r < r_end and c < owc, owc a multiple of VL. Every vector of a tile is a whole
 * vector of one output row (tiles may span rows): no dropped columns are computed, the stores are whole
 * vectors. The last tiles of the range, where it runs short, are narrower ones (fewer vectors). */
void FN(ck_shift_rows)(ptrdiff_t M, ptrdiff_t K, const T *apack, const T *base, const ptrdiff_t *off, const T *bias,
                       const T *z, int relu, ptrdiff_t r_begin, ptrdiff_t r_end, ptrdiff_t wq, ptrdiff_t owc, T *out,
                       ptrdiff_t ldo) {
    T buf[CK_MRMAX * NR] __attribute__((aligned(64)));
    ptrdiff_t qo[CK_NV], dst[CK_NV];
    const ptrdiff_t vpr = owc / VL, v_end = r_end * vpr;
    for (ptrdiff_t v0 = r_begin * vpr, nvec; v0 < v_end; v0 += nvec) {
        nvec = FN(tile_vectors)(v_end - v0);
        for (int j = 0; j < CK_NV; j++) {
            const ptrdiff_t v = j < nvec ? v0 + j : v0 + nvec - 1, r = v / vpr, c = (v - r * vpr) * VL;
            qo[j] = r * wq + c;
            dst[j] = r * owc + c;
        }
        const T *ap = apack;
        for (ptrdiff_t m0 = 0; m0 < M;) {
            const int mr = FN(panel_rows)(M - m0);
            FN(mk_shift_any)(mr, (int)nvec, K, ap, base, off, qo, buf);
            for (int i = 0; i < mr; i++) {
                const T bv = bias ? bias[m0 + i] : (T)0;
                T *orow = out + (m0 + i) * ldo;
                const T *zrow = z ? z + (m0 + i) * ldo : NULL;
                for (ptrdiff_t j = 0; j < nvec; j++)
                    FN(vstore)(
                        orow + dst[j],
                        FN(shift_out)(FN(vload)(buf + i * NR + j * VL), bv, zrow ? zrow + dst[j] : NULL, VL, relu));
            }
            ap += (ptrdiff_t)mr * K;
            m0 += mr;
        }
    }
}
