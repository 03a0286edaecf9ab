/* convkit kernels built for the "base" instruction set (flags in CMakeLists.txt); see _ck_impl.h. */
#define CK_ISA base
#define CK_VBYTES 16
#include "_ck_impl.h"
