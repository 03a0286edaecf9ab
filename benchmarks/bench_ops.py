"""Max/avg pooling and batch norm, forward + backward: convkit vs PyTorch (interleaved, median).

    python benchmarks/bench_ops.py --threads 2 [--dtype float32] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

POOL_SHAPES = [(64, 6, 26, 26), (64, 16, 11, 11), (64, 64, 32, 32)]
BN_SHAPES = [(64, 16, 11, 11), (64, 64, 32, 32), (256, 120)]


def run(threads: int, dtype: str, repeats: int) -> list[dict]:
    configure_threads(threads)
    import numpy as np
    import torch
    import torch.nn.functional as tF

    from convkit import functional as F

    rows = []

    def record(name, shape, convkit_fn, torch_fn):
        times = interleaved({"convkit": convkit_fn, "torch": torch_fn}, repeats=repeats)
        row = {
            "op": name,
            "shape": list(shape),
            "dtype": dtype,
            "threads": threads,
            "convkit_ms": times["convkit"] * 1e3,
            "torch_ms": times["torch"] * 1e3,
            "vs_torch": times["torch"] / times["convkit"],
            "target_vs_torch": 1.0,
        }
        rows.append(row)
        print(
            f"{name:12s} {str(shape):20s} {dtype} {threads}t  convkit {row['convkit_ms']:7.3f} ms"
            f"  torch {row['torch_ms']:7.3f} ms  x{row['vs_torch']:.2f}",
            flush=True,
        )

    rng = np.random.default_rng(0)
    for shape in POOL_SHAPES:
        x = rng.standard_normal(shape).astype(dtype)
        xt = torch.tensor(x, requires_grad=True)
        out_shape = (shape[0], shape[1], shape[2] // 2, shape[3] // 2)
        dout = rng.standard_normal(out_shape).astype(dtype)
        dout_t = torch.from_numpy(dout)
        for kind, fwd, bwd, tfn in (
            ("maxpool 2x2", F.maxpool2d_forward, F.maxpool2d_backward, tF.max_pool2d),
            ("avgpool 2x2", F.avgpool2d_forward, F.avgpool2d_backward, tF.avg_pool2d),
        ):

            def convkit_fn(fwd=fwd, bwd=bwd, x=x, dout=dout):
                _, cache = fwd(x, 2)
                bwd(dout, cache)

            def torch_fn(tfn=tfn, xt=xt, dout_t=dout_t):
                xt.grad = None
                tfn(xt, 2).backward(dout_t)

            record(kind, shape, convkit_fn, torch_fn)

    for shape in BN_SHAPES:
        C = shape[1]
        x = rng.standard_normal(shape).astype(dtype)
        gamma, beta = np.ones(C, dtype), np.zeros(C, dtype)
        rmean, rvar = np.zeros(C, dtype), np.ones(C, dtype)
        dout = rng.standard_normal(shape).astype(dtype)
        xt = torch.tensor(x, requires_grad=True)
        gt = torch.ones(C, dtype=xt.dtype, requires_grad=True)
        bt = torch.zeros(C, dtype=xt.dtype, requires_grad=True)
        rmt, rvt = torch.zeros(C, dtype=xt.dtype), torch.ones(C, dtype=xt.dtype)
        dout_t = torch.from_numpy(dout)

        def convkit_bn(x=x, gamma=gamma, beta=beta, rmean=rmean, rvar=rvar, dout=dout):
            _, cache = F.batchnorm_forward(x, gamma, beta, rmean, rvar, training=True)
            F.batchnorm_backward(dout, cache)

        def torch_bn(xt=xt, gt=gt, bt=bt, rmt=rmt, rvt=rvt, dout_t=dout_t):
            xt.grad = gt.grad = bt.grad = None
            tF.batch_norm(xt, rmt, rvt, gt, bt, training=True).backward(dout_t)

        record("batchnorm", shape, convkit_bn, torch_bn)
    return rows


def main() -> None:
    args = parser(__doc__).parse_args()
    write_json(args.json, "ops", run(args.threads, args.dtype, args.repeats))


if __name__ == "__main__":
    main()
