"""Depthwise, dilated and transposed convolutions, forward + backward: convkit vs PyTorch (interleaved,
median), the shapes the issue names; the target is 1.5x PyTorch.

    python benchmarks/bench_conv_family.py --threads 2 [--dtype float32] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

# (name, x shape, w shape, keyword arguments): w (F, C // groups, KH, KW), or (C, F, KH, KW) if transposed
CASES = [
    ("depthwise 3x3", (64, 64, 32, 32), (64, 1, 3, 3), {"padding": 1, "groups": 64}),
    ("depthwise 3x3", (64, 256, 8, 8), (256, 1, 3, 3), {"padding": 1, "groups": 256}),
    ("dilated 3x3 d2", (64, 64, 32, 32), (64, 64, 3, 3), {"padding": 2, "dilation": 2}),
    ("transposed 4x4 s2", (64, 64, 16, 16), (64, 64, 4, 4), {"stride": 2, "padding": 1}),
]


def run(threads: int, dtype: str, repeats: int) -> list[dict]:
    configure_threads(threads)
    import numpy as np
    import torch
    import torch.nn.functional as tF

    from convkit import functional as F

    rows = []
    rng = np.random.default_rng(0)
    for name, x_shape, w_shape, kwargs in CASES:
        transposed = name.startswith("transposed")
        forward, backward = (
            (F.conv_transpose2d_forward, F.conv_transpose2d_backward)
            if transposed
            else (F.conv2d_forward, F.conv2d_backward)
        )
        torch_op = tF.conv_transpose2d if transposed else tF.conv2d
        x = rng.standard_normal(x_shape).astype(dtype)
        w = (0.1 * rng.standard_normal(w_shape)).astype(dtype)
        b = np.zeros(w_shape[1] if transposed else w_shape[0], dtype)
        out, _ = forward(x, w, b, **kwargs)
        dout = rng.standard_normal(out.shape).astype(dtype)
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        dout_t = torch.from_numpy(dout)

        def convkit_fn(x=x, w=w, b=b, dout=dout, forward=forward, backward=backward, kwargs=kwargs):
            _, cache = forward(x, w, b, **kwargs)
            backward(dout, cache)

        def torch_fn(xt=xt, wt=wt, bt=bt, dout_t=dout_t, torch_op=torch_op, kwargs=kwargs):
            xt.grad = wt.grad = bt.grad = None
            torch_op(xt, wt, bt, **kwargs).backward(dout_t)

        times = interleaved({"convkit": convkit_fn, "torch": torch_fn}, repeats=repeats)
        row = {
            "op": name,
            "shape": list(x_shape),
            "dtype": dtype,
            "threads": threads,
            "convkit_ms": times["convkit"] * 1e3,
            "torch_ms": times["torch"] * 1e3,
            "vs_torch": times["torch"] / times["convkit"],
            "target_vs_torch": 1.5,
        }
        rows.append(row)
        print(
            f"{name:18s} {str(x_shape):18s} {dtype} {threads}t  convkit {row['convkit_ms']:8.2f} ms"
            f"  torch {row['torch_ms']:8.2f} ms  x{row['vs_torch']:.2f}",
            flush=True,
        )
    return rows


def main() -> None:
    args = parser(__doc__).parse_args()
    write_json(args.json, "ops", run(args.threads, args.dtype, args.repeats))


if __name__ == "__main__":
    main()
