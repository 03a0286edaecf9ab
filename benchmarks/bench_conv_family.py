"""Depthwise, dilated and transposed convolutions, LayerNorm and GroupNorm, forward + backward: convkit vs
PyTorch (interleaved, median) on the layers' benchmark shapes; the target is 1.5x PyTorch.

    python benchmarks/bench_conv_family.py --threads 2 [--dtype float32] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

# (name, x shape, w shape, keyword arguments): w (F, C // groups, KH, KW), or (C, F, KH, KW) if transposed
CONV_CASES = [
    ("depthwise 3x3", (64, 64, 32, 32), (64, 1, 3, 3), {"padding": 1, "groups": 64}),
    ("depthwise 3x3", (64, 256, 8, 8), (256, 1, 3, 3), {"padding": 1, "groups": 256}),
    ("dilated 3x3 d2", (64, 64, 32, 32), (64, 64, 3, 3), {"padding": 2, "dilation": 2}),
    ("transposed 4x4 s2", (64, 64, 16, 16), (64, 64, 4, 4), {"stride": 2, "padding": 1}),
]
# (name, x shape, number of groups or None for LayerNorm over every non-batch axis)
NORM_CASES = [
    ("LayerNorm", (64, 64, 32, 32), None),
    ("GroupNorm 32 groups", (64, 64, 32, 32), 32),
]
TARGET = 1.5  # x PyTorch


def conv_case(np, torch, rng, dtype, x_shape, w_shape, kwargs, transposed):
    """(convkit fn, torch fn): one convolution's forward + backward through each."""
    import torch.nn.functional as tF

    from convkit import functional as F

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

    def convkit_fn():
        _, cache = forward(x, w, b, **kwargs)
        backward(dout, cache)

    def torch_fn():
        xt.grad = wt.grad = bt.grad = None
        torch_op(xt, wt, bt, **kwargs).backward(dout_t)

    return convkit_fn, torch_fn


def norm_case(np, torch, rng, dtype, x_shape, groups):
    """(convkit fn, torch fn): LayerNorm (groups None) or GroupNorm forward + backward through each."""
    import torch.nn.functional as tF

    from convkit import functional as F

    x = rng.standard_normal(x_shape).astype(dtype)
    affine_shape = x_shape[1:] if groups is None else x_shape[1:2]
    w = (1 + 0.1 * rng.standard_normal(affine_shape)).astype(dtype)
    b = (0.1 * rng.standard_normal(affine_shape)).astype(dtype)
    dout = rng.standard_normal(x_shape).astype(dtype)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    dout_t = torch.from_numpy(dout)
    if groups is None:
        forward, backward, extra = F.layernorm_forward, F.layernorm_backward, ()

        def torch_op():
            return tF.layer_norm(xt, affine_shape, wt, bt, eps=1e-5)
    else:
        forward, backward, extra = F.groupnorm_forward, F.groupnorm_backward, (groups,)

        def torch_op():
            return tF.group_norm(xt, groups, wt, bt, eps=1e-5)

    def convkit_fn():
        _, cache = forward(x, w, b, *extra)
        backward(dout, cache)

    def torch_fn():
        xt.grad = wt.grad = bt.grad = None
        torch_op().backward(dout_t)

    return convkit_fn, torch_fn


def run(threads: int, dtype: str, repeats: int) -> list[dict]:
    configure_threads(threads)
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    cases = [
        (name, x_shape, conv_case(np, torch, rng, dtype, x_shape, w_shape, kw, name.startswith("transposed")))
        for name, x_shape, w_shape, kw in CONV_CASES
    ]
    cases += [
        (name, x_shape, norm_case(np, torch, rng, dtype, x_shape, g)) for name, x_shape, g in NORM_CASES
    ]
    rows = []
    for name, x_shape, (convkit_fn, torch_fn) in cases:
        times = interleaved({"convkit": convkit_fn, "torch": torch_fn}, repeats=repeats)
        row = {
            "op": name,
            "shape": list(x_shape),
            "dtype": dtype,
            "threads": threads,
            "convkit_ms": times["convkit"] * 1e3,
            "torch_ms": times["torch"] * 1e3,
            "vs_torch": times["torch"] / times["convkit"],
            "target_vs_torch": TARGET,
        }
        rows.append(row)
        print(
            f"{name:20s} {str(x_shape):18s} {dtype} {threads}t  convkit {row['convkit_ms']:8.2f} ms"
            f"  torch {row['torch_ms']:8.2f} ms  x{row['vs_torch']:.2f}",
            flush=True,
        )
    return rows


def main() -> None:
    args = parser(__doc__).parse_args()
    write_json(args.json, "ops", run(args.threads, args.dtype, args.repeats))


if __name__ == "__main__":
    main()
