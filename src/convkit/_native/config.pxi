# ---------------------------------------------------------------------------------------------------------
# Build and run-time configuration: OpenMP, the SIMD level of the kernels
# ---------------------------------------------------------------------------------------------------------

cdef extern from *:
    """
    #ifdef _OPENMP
    #include <omp.h>
    #define CONVKIT_HAS_OPENMP 1
    static int ck_omp_max_threads(void) { return omp_get_max_threads(); }
    #else
    #define CONVKIT_HAS_OPENMP 0
    static int ck_omp_max_threads(void) { return 1; }
    #endif
    """
    int CONVKIT_HAS_OPENMP
    int ck_omp_max_threads() noexcept nogil


ck_select(ck_best_level())

_SIMD_LEVELS = {"baseline": 0, "avx2": 1, "avx512": 2}


def openmp_enabled():
    """True when the extension was compiled with OpenMP."""
    return bool(CONVKIT_HAS_OPENMP)


def openmp_max_threads():
    """What OpenMP would use by default (honours OMP_NUM_THREADS); 1 in a build without OpenMP."""
    return ck_omp_max_threads()


def simd_level():
    """The instruction set the convolution kernels run with: "avx512", "avx2" or "baseline"."""
    return ck_level_name(ck_level()).decode()


def best_simd_level():
    """The best instruction set this CPU and this build support."""
    return ck_level_name(ck_best_level()).decode()


def set_simd_level(name):
    """Run the convolution kernels with ``name`` ("avx512", "avx2", "baseline"; clamped to what the CPU
    supports). For tests and benchmarks; returns the level now in use."""
    if name not in _SIMD_LEVELS:
        raise ValueError(f"set_simd_level: name must be one of {sorted(_SIMD_LEVELS)}. Received: {name!r}")
    return ck_level_name(ck_select(_SIMD_LEVELS[name])).decode()
