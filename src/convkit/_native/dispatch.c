/* Run-time choice of the kernel set: AVX-512, AVX2+FMA or the portable baseline build.
 *
 * The x86-64 builds carry all three compilations of kernels.h (CK_X86_DISPATCH); on other targets and
 * compilers only the baseline exists. ck_select lets the tests force the baseline on any machine. */
#include "ck.h"

/* name -> ck_<name>_<type>_<isa> */
#define CK_NAME3(name, t, isa) ck_##name##_##t##_##isa

#define CK_DEFINE_ISA(ISA)                                                                                             \
    CK_FUNCTIONS(CK_D_F32_##ISA, float, uint32_t)                                                                      \
    CK_FUNCTIONS(CK_D_F64_##ISA, double, uint64_t)                                                                     \
    static const ck_ops_f32 ops_f32_##ISA = {CK_FUNCTIONS(CK_E_F32_##ISA, float, uint32_t)};                           \
    static const ck_ops_f64 ops_f64_##ISA = {CK_FUNCTIONS(CK_E_F64_##ISA, double, uint64_t)};                          \
    ptrdiff_t ck_shift_tile_cols_##ISA(int itemsize);                                                                  \
    ptrdiff_t ck_vector_lanes_##ISA(int itemsize);

#define CK_D_F32_base(ret, name, params) ret CK_NAME3(name, f32, base) params;
#define CK_D_F64_base(ret, name, params) ret CK_NAME3(name, f64, base) params;
#define CK_E_F32_base(ret, name, params) CK_NAME3(name, f32, base),
#define CK_E_F64_base(ret, name, params) CK_NAME3(name, f64, base),
CK_DEFINE_ISA(base)

#ifdef CK_X86_DISPATCH
#define CK_D_F32_avx2(ret, name, params) ret CK_NAME3(name, f32, avx2) params;
#define CK_D_F64_avx2(ret, name, params) ret CK_NAME3(name, f64, avx2) params;
#define CK_E_F32_avx2(ret, name, params) CK_NAME3(name, f32, avx2),
#define CK_E_F64_avx2(ret, name, params) CK_NAME3(name, f64, avx2),
CK_DEFINE_ISA(avx2)
#define CK_D_F32_avx512(ret, name, params) ret CK_NAME3(name, f32, avx512) params;
#define CK_D_F64_avx512(ret, name, params) ret CK_NAME3(name, f64, avx512) params;
#define CK_E_F32_avx512(ret, name, params) CK_NAME3(name, f32, avx512),
#define CK_E_F64_avx512(ret, name, params) CK_NAME3(name, f64, avx512),
CK_DEFINE_ISA(avx512)
#endif

const ck_ops_f32 *ck_f32 = &ops_f32_base;
const ck_ops_f64 *ck_f64 = &ops_f64_base;
ptrdiff_t ck_tile_cols_f32 = 0;
ptrdiff_t ck_tile_cols_f64 = 0;
ptrdiff_t ck_lanes_f32 = 0;
ptrdiff_t ck_lanes_f64 = 0;
static int ck_current = -1;

int ck_best_level(void) {
#ifdef CK_X86_DISPATCH
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return CK_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return CK_AVX2;
#endif
    return CK_BASE;
}

#define CK_USE(ISA)                                                                                                    \
    do {                                                                                                               \
        ck_f32 = &ops_f32_##ISA;                                                                                       \
        ck_f64 = &ops_f64_##ISA;                                                                                       \
        ck_tile_cols_f32 = ck_shift_tile_cols_##ISA(4);                                                                \
        ck_tile_cols_f64 = ck_shift_tile_cols_##ISA(8);                                                                \
        ck_lanes_f32 = ck_vector_lanes_##ISA(4);                                                                       \
        ck_lanes_f64 = ck_vector_lanes_##ISA(8);                                                                       \
    } while (0)

int ck_select(int level) {
    const int best = ck_best_level();
    if (level > best) level = best;
    switch (level) {
#ifdef CK_X86_DISPATCH
    case CK_AVX512: CK_USE(avx512); break;
    case CK_AVX2: CK_USE(avx2); break;
#endif
    default: level = CK_BASE; CK_USE(base);
    }
    ck_current = level;
    return level;
}

int ck_level(void) { return ck_current; }

const char *ck_level_name(int level) {
    switch (level) {
    case CK_AVX512: return "avx512";
    case CK_AVX2: return "avx2";
    default: return "baseline";
    }
}
