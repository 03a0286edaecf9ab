/* convkit compute kernels for one instruction set: both element types.
 *
 * Included by _ck_avx512.c, _ck_avx2.c and _ck_base.c, each compiled with its own -m flags (see
 * CMakeLists.txt) after defining CK_ISA and CK_VBYTES. The register tiles are sized for the register file
 * of that instruction set:
 *   CK_MRMAX x CK_NV vectors  for ck_shift_gemm (forward, input gradient)
 *   CK_RM x CK_RJ vectors     for ck_dw_reduce (weight gradient, few filters)
 *   CK_OMR x CK_ONV vectors   for ck_dw_outer (weight gradient, many filters)
 *   CK_OMR1 x 1 vector        for ck_dw_outer when the filters fit in one vector: more rows, so that
 *                             enough independent sums hide the FMA latency
 */
#include <stddef.h>

#define CK_CAT3_(a, b, c) a##_##b##_##c
#define CK_CAT3(a, b, c) CK_CAT3_(a, b, c)

#if CK_VBYTES >= 64 /* 32 zmm registers: 8 x 3 accumulators + 3 loads + 1 broadcast */
#define CK_MRMAX 8
#define CK_NV 3
#define CK_RM 4
#define CK_RJ 6
#define CK_OMR 6
#define CK_ONV 4
#define CK_OMR1 8
#elif CK_VBYTES >= 32 /* 16 ymm registers: 4 x 3 accumulators + 3 loads + 1 broadcast */
#define CK_MRMAX 4
#define CK_NV 3
#define CK_RM 3
#define CK_RJ 3
#define CK_OMR 4
#define CK_ONV 2
#define CK_OMR1 8
#else /* 16-byte vectors, no FMA assumed: leave room for the product temporaries */
#define CK_MRMAX 4
#define CK_NV 2
#define CK_RM 3
#define CK_RJ 3
#define CK_OMR 3
#define CK_ONV 2
#define CK_OMR1 6
#endif

#include <stdint.h>
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h> /* masked loads and stores */
#endif

#define CK_T float
#define CK_TNAME f32
#define UT uint32_t /* the unsigned integer of CK_T's size, and its exponent bits */
#define EXP_MASK 0x7f800000u
typedef uint32_t __attribute__((may_alias)) ck_u32a;
#define UTA ck_u32a
#include "_ck_impl_t.h"
#undef CK_T
#undef CK_TNAME
#undef UT
#undef UTA
#undef EXP_MASK

#define CK_T double
#define CK_TNAME f64
#define UT uint64_t
#define EXP_MASK 0x7ff0000000000000ull
typedef uint64_t __attribute__((may_alias)) ck_u64a;
#define UTA ck_u64a
#include "_ck_impl_t.h"
#undef CK_T
#undef CK_TNAME
#undef UT
#undef UTA
#undef EXP_MASK

/* Geometry for the callers (scratch sizes): shift_gemm tile columns, vector lanes. */
ptrdiff_t CK_CAT3(ck_shift_tile, cols, CK_ISA)(int itemsize) { return CK_NV * (CK_VBYTES / itemsize); }
ptrdiff_t CK_CAT3(ck_vector, lanes, CK_ISA)(int itemsize) { return CK_VBYTES / itemsize; }
