/* convkit kernels built for the "avx512" instruction set (flags in CMakeLists.txt); see isa.h. */
#define CK_ISA avx512
#define CK_VBYTES 64
#include "kernels.h"
