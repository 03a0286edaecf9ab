/* convkit kernels built for the "avx512" instruction set (flags in CMakeLists.txt); see _ck_impl.h. */
#define CK_ISA avx512
#define CK_VBYTES 64
#include "_ck_impl.h"
