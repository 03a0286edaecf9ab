/* Vector types, loads and stores for one element type on one instruction set: the only place with
 * intrinsics. Included by kernels_t.h (T, UT, V, VI, VL, FN defined). */

typedef T V __attribute__((vector_size(CK_VBYTES)));
typedef UT VI __attribute__((vector_size(CK_VBYTES))); /* the same lanes as bits */

static inline __attribute__((always_inline)) V FN(vload)(const T *p) {
    V v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) void FN(vstore)(T *p, V v) { __builtin_memcpy(p, &v, sizeof v); }

/* The first n lanes of v stored at p, 0 < n < VL; nothing past p + n is touched (AVX-512's masked stores;
 * on AVX2 16-, 8- and 4-byte stores of the halves: AVX2's masked store is microcoded on AMD cores, ~12
 * cycles, and took 42% of F(2x2, 5x5)'s input transform on a Zen 4). */
static inline __attribute__((always_inline)) void FN(vstore_part)(T *p, V v, ptrdiff_t n) {
#if CK_VBYTES == 64 && defined(__AVX512F__)
    if (sizeof(T) == 4)
        _mm512_mask_storeu_ps((void *)p, (__mmask16)((1u << n) - 1), (__m512)v);
    else
        _mm512_mask_storeu_pd((void *)p, (__mmask8)((1u << n) - 1), (__m512d)v);
#elif CK_VBYTES == 32 && defined(__AVX2__)
    if (sizeof(T) == 4) {
        float *q = (float *)(void *)p;
        __m128 half = _mm256_castps256_ps128((__m256)v);
        if (n >= 4) {
            _mm_storeu_ps(q, half);
            half = _mm256_extractf128_ps((__m256)v, 1);
            q += 4;
            n -= 4;
        }
        if (n >= 2) {
            _mm_storel_pi((__m64 *)(void *)q, half);
            half = _mm_movehl_ps(half, half);
            q += 2;
            n -= 2;
        }
        if (n) _mm_store_ss(q, half);
    } else {
        double *q = (double *)(void *)p;
        __m128d half = _mm256_castpd256_pd128((__m256d)v);
        if (n >= 2) {
            _mm_storeu_pd(q, half);
            half = _mm256_extractf128_pd((__m256d)v, 1);
            q += 2;
            n -= 2;
        }
        if (n) _mm_store_sd(q, half);
    }
#else
    for (ptrdiff_t e = 0; e < n; e++) p[e] = v[e];
#endif
}

/* p[0 .. n) in the first n lanes, zeros in the others, 0 < n < VL; nothing past p + n is read. */
static inline __attribute__((always_inline)) V FN(vload_part)(const T *p, ptrdiff_t n) {
#if CK_VBYTES == 64 && defined(__AVX512F__)
    if (sizeof(T) == 4) return (V)_mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1), (const void *)p);
    return (V)_mm512_maskz_loadu_pd((__mmask8)((1u << n) - 1), (const void *)p);
#elif CK_VBYTES == 32 && defined(__AVX2__)
    VI lane;
    for (int l = 0; l < VL; l++) lane[l] = (UT)l;
    const VI mask = (VI)(lane < (UT)n);
    if (sizeof(T) == 4) return (V)_mm256_maskload_ps((const float *)(const void *)p, (__m256i)mask);
    return (V)_mm256_maskload_pd((const double *)(const void *)p, (__m256i)mask);
#else
    V v = {0};
    for (ptrdiff_t e = 0; e < n; e++) v[e] = p[e];
    return v;
#endif
}

/* p[0 .. n) with n of any size: a whole vector for n >= VL, zeros for n <= 0, else vload_part. */
static inline __attribute__((always_inline)) V FN(vload_upto)(const T *p, ptrdiff_t n) {
    if (n >= VL) return FN(vload)(p);
    if (n <= 0) return (V){0};
    return FN(vload_part)(p, n);
}

/* The first n lanes of v stored at p, n of any size (nothing stored for n <= 0). */
static inline __attribute__((always_inline)) void FN(vstore_upto)(T *p, V v, ptrdiff_t n) {
    if (n >= VL)
        FN(vstore)(p, v);
    else if (n > 0)
        FN(vstore_part)(p, v, n);
}

/* A lane mask in the form the instruction set loads with: one bit per lane (AVX-512's mask registers) or
 * all-ones lanes. Kept in tables built once per call, so it is loaded with memcpy (no alignment). */
#if CK_VBYTES == 64 && defined(__AVX512F__)
typedef uint32_t VM;
#else
typedef VI VM;
#endif

/* the mask of the lanes l whose bit l is set in bits */
static inline VM FN(vmask)(uint32_t bits) {
#if CK_VBYTES == 64 && defined(__AVX512F__)
    return bits;
#else
    VM m;
    for (int l = 0; l < VL; l++) m[l] = (bits >> l) & 1 ? ~(UT)0 : 0;
    return m;
#endif
}

/* p[l] in the lanes of mask m, zeros in the others; nothing is read outside the mask, so p may point
 * anywhere so long as the masked lanes are inside an array. */
static inline __attribute__((always_inline)) V FN(vload_mask)(const T *p, const VM *mp) {
    VM m;
    __builtin_memcpy(&m, mp, sizeof m);
#if CK_VBYTES == 64 && defined(__AVX512F__)
    if (sizeof(T) == 4) return (V)_mm512_maskz_loadu_ps((__mmask16)m, (const void *)p);
    return (V)_mm512_maskz_loadu_pd((__mmask8)m, (const void *)p);
#elif CK_VBYTES == 32 && defined(__AVX2__)
    if (sizeof(T) == 4) return (V)_mm256_maskload_ps((const float *)(const void *)p, (__m256i)m);
    return (V)_mm256_maskload_pd((const double *)(const void *)p, (__m256i)m);
#else
    V v = {0};
    for (int l = 0; l < VL; l++)
        if (m[l]) v[l] = p[l];
    return v;
#endif
}

/* the lanes of v summed in order */
static inline __attribute__((always_inline)) T FN(hsum)(V v) {
    T s = v[0];
#pragma GCC unroll 16
    for (int l = 1; l < VL; l++) s += v[l];
    return s;
}

/* a * b + c in every lane, rounded once where the instruction set has FMA (AVX2, AVX-512, aarch64) and
 * twice where it has none (SSE2): the same bits wherever it is called, whatever the compiler contracts
 * elsewhere. For a value that a later pass recomputes and must find equal (batch norm's ReLU gate). */
static inline __attribute__((always_inline)) V FN(vfmadd)(V a, V b, V c) {
#if CK_VBYTES == 64 && defined(__AVX512F__)
    if (sizeof(T) == 4) return (V)_mm512_fmadd_ps((__m512)a, (__m512)b, (__m512)c);
    return (V)_mm512_fmadd_pd((__m512d)a, (__m512d)b, (__m512d)c);
#elif CK_VBYTES == 32 && defined(__FMA__)
    if (sizeof(T) == 4) return (V)_mm256_fmadd_ps((__m256)a, (__m256)b, (__m256)c);
    return (V)_mm256_fmadd_pd((__m256d)a, (__m256d)b, (__m256d)c);
#elif defined(__aarch64__)
    V r;
    for (int l = 0; l < VL; l++)
        r[l] = sizeof(T) == 4 ? __builtin_fmaf(a[l], b[l], c[l]) : __builtin_fma(a[l], b[l], c[l]);
    return r;
#else
    V p = a * b; /* no FMA instruction to contract into */
    return p + c;
#endif
}

/* vfmadd's value for one element (a scalar tail that must round as the vector body does) */
static inline __attribute__((always_inline)) T FN(fmadd1)(T a, T b, T c) {
    return FN(vfmadd)((V){0} + a, (V){0} + b, (V){0} + c)[0];
}

/* max(v, 0) in every lane, NaN kept (as np.maximum(v, 0)): the fused ReLU of every kernel family */
static inline __attribute__((always_inline)) V FN(vrelu)(V v) { return (V)((VI)v & (VI)((v > 0) | (v != v))); }
