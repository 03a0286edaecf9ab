"""conv2d forward + backward (dx, dw, db): convkit vs PyTorch vs the NumPy im2col reference.

    python benchmarks/bench_conv.py --threads 2 [--dtype float32] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

# (name, C, F, size, padding): batch 64, 3x3 kernel, stride 1 -- the five reference shapes
SHAPES = [
    ("1->6 28x28 p0", 1, 6, 28, 0),
    ("6->16 13x13 p0", 6, 16, 13, 0),
    ("3->64 32x32", 3, 64, 32, 1),
    ("64->64 32x32", 64, 64, 32, 1),
    ("128->128 16x16", 128, 128, 16, 1),
]
BATCH = 64


def _time_shape(F, ref, torch, tF, x, w, b, dout, pad, repeats, numpy_ref):
    """Median seconds of one forward + backward per contestant, interleaved."""
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dout_t = torch.from_numpy(dout)

    def convkit_step():
        _, cache = F.conv2d_forward(x, w, b, 1, pad)
        F.conv2d_backward(dout, cache)

    def torch_step():
        xt.grad = wt.grad = bt.grad = None
        tF.conv2d(xt, wt, bt, padding=pad).backward(dout_t)

    def numpy_step():
        _, cache = ref.conv_forward(x, w, b, 1, pad)
        ref.conv_backward(dout, cache)

    contestants = {"convkit": convkit_step, "torch": torch_step}
    if numpy_ref:
        contestants["numpy"] = numpy_step
    return interleaved(contestants, repeats=repeats)


def run(threads: int, dtype: str, repeats: int, shapes=None, numpy_ref: bool = True) -> list[dict]:
    configure_threads(threads, idle_blas=numpy_ref)
    import numpy as np
    import numpy_reference as ref
    import torch
    import torch.nn.functional as tF

    from convkit import functional as F

    rows = []
    for name, C, Fo, size, pad in SHAPES:
        if shapes and name not in shapes:
            continue
        rng = np.random.default_rng(0)
        x = rng.standard_normal((BATCH, C, size, size)).astype(dtype)
        w = (rng.standard_normal((Fo, C, 3, 3)) * 0.1).astype(dtype)
        b = rng.standard_normal(Fo).astype(dtype)
        out_shape = (BATCH, Fo, size + 2 * pad - 2, size + 2 * pad - 2)
        dout = rng.standard_normal(out_shape).astype(dtype)
        times = _time_shape(F, ref, torch, tF, x, w, b, dout, pad, repeats, numpy_ref)
        row = {
            "shape": name,
            "dtype": dtype,
            "threads": threads,
            "convkit_ms": times["convkit"] * 1e3,
            "torch_ms": times["torch"] * 1e3,
            "vs_torch": times["torch"] / times["convkit"],
            "target_vs_torch": 1.5,  # the target, the many-channel shapes included
        }
        line = (
            f"{name:16s} {dtype} {threads}t  convkit {row['convkit_ms']:8.2f} ms  "
            f"torch {row['torch_ms']:8.2f} ms  x{row['vs_torch']:.2f}"
        )
        if numpy_ref:
            row.update(
                numpy_ms=times["numpy"] * 1e3, vs_numpy=times["numpy"] / times["convkit"], target_vs_numpy=3.0
            )
            line += f"  numpy {row['numpy_ms']:8.2f} ms  x{row['vs_numpy']:.2f}"
        rows.append(row)
        print(line, flush=True)
    return rows


def main() -> None:
    options = parser(__doc__)
    options.add_argument("--shapes", nargs="*")
    options.add_argument("--no-numpy", action="store_true")
    args = options.parse_args()
    write_json(args.json, "conv", run(args.threads, args.dtype, args.repeats, args.shapes, not args.no_numpy))


if __name__ == "__main__":
    main()
