"""Timing helpers shared by the benchmark scripts.

Every benchmark times its contestants (convkit, PyTorch, the NumPy reference) *interleaved* in the same
process: repeat r runs convkit, then torch, then numpy, then repeat r+1 ... so that load from other
processes hits all of them alike; the figure reported is the median over the repeats, and comparisons are
ratios of medians measured in the same run.

Thread counts are fixed before numpy/torch are imported (``configure_threads``), which is why each
benchmark script runs in its own process (``run.py`` starts one per thread count).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

# ``run.py --isa avx2`` (CONVKIT_BENCH_ISA=avx2 in each suite's environment) limits every contestant to
# AVX2 on an AVX-512 machine: convkit's kernels (set_simd_level), OpenBLAS, PyTorch's ATen kernels, oneDNN
# and MKL. A stand-in for an AVX2-only CPU: the same instructions, not its caches or clocks.
ISA_VARIABLE = "CONVKIT_BENCH_ISA"
ISA_LIMITS = {
    "avx2": {
        "OPENBLAS_CORETYPE": "Haswell",
        "ATEN_CPU_CAPABILITY": "avx2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    }
}


def configure_threads(n: int, idle_blas: bool = False) -> None:
    """Use n threads in convkit (OpenMP), numpy's BLAS and torch, and the instruction-set limit of
    ``ISA_VARIABLE`` if set. Call before importing numpy.

    idle_blas: let OpenBLAS's worker threads sleep as soon as a product is done. By default they spin for
    ~0.1 s after each call, taking a core from whatever runs next: in an interleaved benchmark that is the
    *next contestant* (convkit or torch right after the NumPy reference), which then runs on one core.
    Set where the NumPy reference is a contestant; not in the LeNet benchmark, where a library that calls
    BLAS between its own parallel kernels must live with the spinning, as a user's process would.
    """
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    if idle_blas:
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = "4"  # 2**4 cycles of spinning: sleep right away
    isa = os.environ.get(ISA_VARIABLE)
    os.environ.update(ISA_LIMITS.get(isa, {}))
    import torch

    import convkit
    from convkit import _kernels

    if isa:
        _kernels.set_simd_level(isa)
    convkit.set_num_threads(n)
    torch.set_num_threads(n)
    torch.set_num_interop_threads(1)


def time_once(fn, min_time: float = 0.02) -> float:
    """Seconds per call of fn: calls it enough times to last at least min_time, returns the mean."""
    calls = 0
    start = time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / calls


def interleaved(contestants: dict, repeats: int = 7, warmup: int = 1, min_time: float = 0.02) -> dict:
    """{name: median seconds per call} for fn in contestants, timed round-robin ``repeats`` times."""
    for fn in contestants.values():
        for _ in range(warmup):
            fn()
    samples = {name: [] for name in contestants}
    for _ in range(repeats):
        for name, fn in contestants.items():
            samples[name].append(time_once(fn, min_time))
    return {name: statistics.median(values) for name, values in samples.items()}


def machine() -> dict:
    import numpy as np
    import torch

    import convkit
    from convkit import _kernels

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "convkit": convkit.__version__,
        "simd": _kernels.simd_level(),
        "isa_limit": os.environ.get(ISA_VARIABLE),
        "torch_isa": torch.backends.cpu.get_cpu_capability(),
    }


def parser(doc: str, threads: bool = True, dtype: bool = True) -> argparse.ArgumentParser:
    """The options the benchmark scripts share: [--threads N] [--dtype D] --repeats R --json PATH."""
    parser = argparse.ArgumentParser(description=doc)
    if threads:
        parser.add_argument("--threads", type=int, default=2)
    if dtype:
        parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json")
    return parser


def write_json(path: str | None, key: str, results) -> None:
    """``{"machine": machine(), key: results}`` into path (run.py collects them); nothing without a path."""
    if path:
        Path(path).write_text(json.dumps({"machine": machine(), key: results}, indent=2))
