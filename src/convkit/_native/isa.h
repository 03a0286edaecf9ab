/* The instruction sets convkit's kernels are compiled for, in one place: each isa_<name>.c defines CK_ISA
 * (its name) and CK_VBYTES (its vector width in bytes), is compiled with its own -m flags (see
 * CMakeLists.txt) and includes kernels.h. The register tiles below are sized for the register file of that
 * instruction set:
 *   CK_MRMAX x CK_NV vectors  for ck_shift_gemm (forward, input gradient)
 *   CK_RM x CK_RJ vectors     for ck_dw_reduce (weight gradient, few filters)
 *   CK_OMR x CK_ONV vectors   for ck_dw_outer (weight gradient, many filters)
 *   CK_OMR1 x 1 vector        for ck_dw_outer when the filters fit in one vector: more rows, so that
 *                             enough independent sums hide the FMA latency
 * The vector types and the masked loads and stores (the only intrinsics) are in vec.h.
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
