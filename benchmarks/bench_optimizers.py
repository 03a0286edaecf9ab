"""Optimizer steps on 3.3M float32 parameters (the TF-tutorial CNN's): convkit's one compiled pass per
parameter vs torch.optim (its default, foreach) and a NumPy copy of the same bytes (interleaved, median).

Bytes of a step: every array it reads (parameter, gradient, slots) and writes (parameter, slots), once.
GB/s = those bytes / the step's time; the NumPy copy moves as many bytes (half read, half written) and is
the memory speed the step could reach. The target is the step at >= 0.5x the copy's GB/s.

    python benchmarks/bench_optimizers.py --threads 2 [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

# (class name shared by convkit.optimizers and torch.optim, keyword arguments, arrays read, arrays written)
CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}, 3, 2),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, 3, 2),
    ("Adam", {}, 4, 3),
    ("Adam", {"amsgrad": True}, 5, 4),
    ("AdamW", {}, 4, 3),
    ("Adamax", {}, 4, 3),
    ("RMSprop", {}, 3, 2),
    ("RMSprop", {"centered": True, "momentum": 0.9}, 5, 4),
]
# the TF-tutorial CNN's parameters: conv 5x5 1->32, 5x5 32->64, dense 3136->1024, 1024->10
SHAPES = [(32, 1, 5, 5), (32,), (64, 32, 5, 5), (64,), (3136, 1024), (1024,), (1024, 10), (10,)]
TARGET_VS_COPY = 0.5


def step_case(np, torch, name, kwargs, params, grads, nbytes):
    """{contestant: fn}: one step of convkit's and torch's optimizer from copies of params, and a NumPy
    copy of nbytes (half read, half written)."""
    from convkit import optimizers

    optimizer = getattr(optimizers, name)(**kwargs)
    ours = [p.copy() for p in params]
    tparams = [torch.tensor(p, requires_grad=True) for p in params]
    for t, g in zip(tparams, grads):
        t.grad = torch.from_numpy(g)
    topt = getattr(torch.optim, name)(tparams, **kwargs)
    source = np.ones(nbytes // 8, np.float32)
    target = np.empty_like(source)

    def convkit_step():
        optimizer.apply_gradients((str(i), p, g) for i, (p, g) in enumerate(zip(ours, grads)))

    return {"convkit": convkit_step, "torch": topt.step, "copy": lambda: np.copyto(target, source)}


def run(threads: int, repeats: int) -> list[dict]:
    configure_threads(threads)
    import numpy as np
    import torch

    rng = np.random.default_rng(0)
    params = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [(0.01 * rng.standard_normal(s)).astype(np.float32) for s in SHAPES]
    size = sum(p.size for p in params)
    rows = []
    for name, kwargs, reads, writes in CASES:
        nbytes = (reads + writes) * size * 4
        contestants = step_case(np, torch, name, kwargs, params, grads, nbytes)
        times = interleaved(contestants, repeats=repeats, min_time=0.1)
        gbs = {k: nbytes / v / 1e9 for k, v in times.items()}
        label = name + "".join(f" {k}={v}" for k, v in kwargs.items() if k != "lr")
        row = {
            "optimizer": label,
            "parameters": size,
            "threads": threads,
            "convkit_ms": times["convkit"] * 1e3,
            "torch_ms": times["torch"] * 1e3,
            "convkit_gb_s": gbs["convkit"],
            "torch_gb_s": gbs["torch"],
            "copy_gb_s": gbs["copy"],
            "vs_copy": gbs["convkit"] / gbs["copy"],
            "vs_torch": times["torch"] / times["convkit"],
            "target_vs_copy": TARGET_VS_COPY,
        }
        print(
            f"{label:38s} {threads}t  convkit {row['convkit_ms']:6.2f} ms {gbs['convkit']:5.1f} GB/s  "
            f"torch {row['torch_ms']:6.2f} ms  copy {gbs['copy']:5.1f} GB/s  x{row['vs_copy']:.2f} the copy",
            flush=True,
        )
        rows.append(row)
    return rows


def main() -> None:
    args = parser(__doc__, dtype=False).parse_args()
    write_json(args.json, "optimizers", run(args.threads, args.repeats))


if __name__ == "__main__":
    main()
