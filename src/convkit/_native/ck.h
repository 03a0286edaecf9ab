/* convkit compute kernels: the run-time dispatch table (the kernels themselves: kernels_t.h and the family headers it includes). */
#ifndef CONVKIT_NATIVE_CK_H
#define CONVKIT_NATIVE_CK_H
#include <stddef.h>
#include <stdint.h>

#include "ck_table.h"

#define CK_MEMBER(ret, name, params) ret(*name) params;
typedef struct {
    CK_FUNCTIONS(CK_MEMBER, float, uint32_t)
} ck_ops_f32;
typedef struct {
    CK_FUNCTIONS(CK_MEMBER, double, uint64_t)
} ck_ops_f64;
#undef CK_MEMBER

/* Instruction-set levels, best last. */
enum { CK_BASE = 0, CK_AVX2 = 1, CK_AVX512 = 2 };

extern const ck_ops_f32 *ck_f32;
extern const ck_ops_f64 *ck_f64;
extern ptrdiff_t ck_tile_cols_f32; /* output columns of one shift_gemm tile */
extern ptrdiff_t ck_tile_cols_f64;
extern ptrdiff_t ck_lanes_f32; /* vector lanes */
extern ptrdiff_t ck_lanes_f64;

/* Scratch memory that each thread keeps from call to call (slots 0 .. CK_SCRATCH_SLOTS-1): at least
 * `bytes`, 64-byte aligned, contents undefined; NULL when out of memory. Reusing it spares the page
 * faults (and the kernel's zeroing of fresh pages) that a malloc/free per call and thread costs on large
 * convolutions. Freed when the thread ends. */
#define CK_SCRATCH_SLOTS 8 /* their uses: the Slot enum of conv_plan.pxi */
void *ck_scratch(int slot, size_t bytes);

/* Fresh outputs of 4 MB and more written by several threads: small pages (see scratch.c). */
void ck_no_huge_pages(void *p, size_t n);

int ck_best_level(void); /* the best level this CPU (and this build) supports */
int ck_select(int level); /* use that level; returns the level now in use (clamped to the best) */
int ck_level(void); /* the level in use */
const char *ck_level_name(int level);

#endif
