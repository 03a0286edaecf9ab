"""The dense layers' GEMMs: convkit's packed GEMM vs NumPy's BLAS (np.matmul), GFLOP/s (interleaved, median).

Each dense layer (batch N, D inputs, M outputs) runs three products, with the operands exactly as
``functional/affine.py`` passes them to ``_kernels.gemm``: forward x (N, D) @ w (D, M) + b, the input
gradient dout @ w.T (a transposed view) and the weight gradient x.T (a transposed view) @ dout. NumPy
computes the same products of the same arrays with ``np.matmul(..., out=)``; OpenBLAS's threads sleep
between calls (see ``configure_threads``).

    python benchmarks/bench_gemm.py --threads 2 [--dtype float32] [--repeats 7] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

# (model, batch N, inputs D, outputs M)
LAYERS = [
    ("LeNet fc1", 64, 256, 120),
    ("LeNet fc2", 64, 120, 84),
    ("TF-tutorial CNN fc1", 100, 3136, 1024),
    ("ResNet-20 head", 128, 64, 10),
]
SQUARE = 2048
TARGET = 0.9  # x numpy's GFLOP/s


def products(np, rng, n: int, d: int, m: int, dtype: str):
    """[(name, (rows, inner, cols), convkit operands, numpy operands)] for one dense layer."""
    x = rng.standard_normal((n, d)).astype(dtype)
    w = rng.standard_normal((d, m)).astype(dtype)
    b = rng.standard_normal(m).astype(dtype)
    dout = rng.standard_normal((n, m)).astype(dtype)
    return [
        ("forward", (n, d, m), (x, w, b)),
        ("dX", (n, m, d), (dout, w.T, None)),
        ("dW", (d, n, m), (x.T, dout, None)),
    ]


def run(threads: int, dtype: str, repeats: int) -> list[dict]:
    configure_threads(threads, idle_blas=True)
    import numpy as np

    from convkit import _kernels

    rng = np.random.default_rng(0)
    cases = []
    for name, n, d, m in LAYERS:
        cases += [(f"{name} {kind}", shape, ops) for kind, shape, ops in products(np, rng, n, d, m, dtype)]
    a = rng.standard_normal((SQUARE, SQUARE)).astype(dtype)
    cases.append((f"{SQUARE}^3", (SQUARE, SQUARE, SQUARE), (a, a.T.copy(), None)))
    rows = []
    for name, (rows_, inner, cols), (a, b, bias) in cases:
        out_ck = np.empty((rows_, cols), dtype)
        out_np = np.empty((rows_, cols), dtype)

        def convkit_fn(a=a, b=b, bias=bias, out=out_ck):
            _kernels.gemm(a, b, out, bias, False, threads)

        def numpy_fn(a=a, b=b, out=out_np):
            np.matmul(a, b, out=out)

        times = interleaved({"convkit": convkit_fn, "numpy": numpy_fn}, repeats=repeats)
        flops = 2.0 * rows_ * inner * cols
        row = {
            "gemm": name,
            "shape": [rows_, inner, cols],
            "dtype": dtype,
            "threads": threads,
            "convkit_gflops": flops / times["convkit"] / 1e9,
            "numpy_gflops": flops / times["numpy"] / 1e9,
            "vs_numpy": times["numpy"] / times["convkit"],
            "target_vs_numpy": TARGET,
        }
        rows.append(row)
        print(
            f"{name:28s} {str((rows_, inner, cols)):20s} {dtype} {threads}t  convkit "
            f"{row['convkit_gflops']:7.1f} GFLOP/s  numpy {row['numpy_gflops']:7.1f} GFLOP/s  "
            f"x{row['vs_numpy']:.2f}",
            flush=True,
        )
    return rows


def main() -> None:
    args = parser(__doc__).parse_args()
    write_json(args.json, "gemm", run(args.threads, args.dtype, args.repeats))


if __name__ == "__main__":
    main()
