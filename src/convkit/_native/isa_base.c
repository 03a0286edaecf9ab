/* convkit kernels built for the "base" instruction set (flags in CMakeLists.txt); see isa.h. */
#define CK_ISA base
#define CK_VBYTES 16
#include "kernels.h"
