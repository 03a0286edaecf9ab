/* convkit compute kernels for one element type and one instruction set; included by kernels.h.
 *
 * Before inclusion: CK_T (float or double), CK_TNAME (f32 or f64), CK_ISA (avx512, avx2 or base) and
 * CK_VBYTES (the vector width in bytes) are defined. Every public function gets the suffix
 * _<CK_TNAME>_<CK_ISA>; dispatch.c picks one set at run time.
 *
 * Vectors are GCC/Clang vector extensions: the compiler maps them to the registers of the instruction
 * set this file is compiled for (zmm, ymm, xmm/NEON). Unaligned loads and stores go through memcpy.
 *
 * Arithmetic order never depends on the caller's tiling of the output: every output element of
 * ck_shift_gemm is one dot product over k = 0..K-1 in order; the weight-gradient kernels add image after
 * image in the caller's order, each in a fixed order (ck_dw_reduce: per vector lane, the lanes summed in
 * order at the end; ck_dw_outer: q in order). The caller gives each thread whole output elements, so
 * results do not depend on the thread count.
 */

#define T CK_T
#define FN(name) CK_CAT3(name, CK_TNAME, CK_ISA)
#define V FN(ck_vec)
#define VI FN(ck_ivec)
#define VM FN(ck_vmask)
#define VL ((ptrdiff_t)(CK_VBYTES / sizeof(T)))
#define NR (CK_NV * VL) /* width of a shift_gemm tile, in output columns */

/* in this order: a header uses only what the ones before it define */
#include "vec.h"
#include "gemm.h"
#include "winograd.h"
#include "shift.h"
#include "dw.h"
#include "layout.h"
#include "im2col.h"
#include "depthwise.h"
#include "pool.h"
#include "elementwise.h"
#include "batchnorm.h"
#include "norm.h"
#include "optimizers.h"

#undef T
#undef FN
#undef V
#undef VI
#undef VM
#undef VL
#undef NR
