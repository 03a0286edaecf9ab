/* convkit kernels built for the "avx2" instruction set (flags in CMakeLists.txt); see isa.h. */
#define CK_ISA avx2
#define CK_VBYTES 32
#include "kernels.h"
