/* convkit compute kernels for one instruction set (isa.h), both element types: kernels_t.h instantiated
 * for float and for double. */
#include "isa.h"

#define CK_T float
#define CK_TNAME f32
#define UT uint32_t /* the unsigned integer of CK_T's size, and its exponent bits */
#define EXP_MASK 0x7f800000u
typedef uint32_t __attribute__((may_alias)) ck_u32a;
#define UTA ck_u32a
#include "kernels_t.h"
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
#include "kernels_t.h"
#undef CK_T
#undef CK_TNAME
#undef UT
#undef UTA
#undef EXP_MASK

/* Geometry for the callers (scratch sizes): shift_gemm tile columns, vector lanes. */
ptrdiff_t CK_CAT3(ck_shift_tile, cols, CK_ISA)(int itemsize) { return CK_NV * (CK_VBYTES / itemsize); }
ptrdiff_t CK_CAT3(ck_vector, lanes, CK_ISA)(int itemsize) { return CK_VBYTES / itemsize; }
