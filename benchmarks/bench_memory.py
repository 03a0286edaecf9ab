"""Memory: peak extra resident memory of one conv2d forward + backward on (64, 64, 32, 32), convkit vs
PyTorch, and the resident memory over a 10,000-step LeNet training run (no growth allowed).

Each peak is measured in a fresh process: inputs are allocated and the library warmed up on a small
problem, the kernel's high-water mark is reset (/proc/self/clear_refs) and the peak (VmHWM) minus the
resident memory before the call is reported. Linux only.

    python benchmarks/bench_memory.py --threads 2 [--steps 10000] [--json out.json]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, parser, write_json  # noqa: E402

SHAPE = (64, 64, 32, 32)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def peak_child(lib: str, threads: int) -> None:
    """Runs in a child process: print the peak extra memory in MB of one forward + backward."""
    configure_threads(threads)
    import numpy as np
    import torch
    import torch.nn.functional as tF

    from convkit import functional as F

    rng = np.random.default_rng(0)
    N, C, H, W = SHAPE
    x = rng.standard_normal(SHAPE).astype(np.float32)
    w = (rng.standard_normal((C, C, 3, 3)) * 0.1).astype(np.float32)
    b = np.zeros(C, np.float32)
    dout = rng.standard_normal(SHAPE).astype(np.float32)
    if lib == "convkit":
        def step(x, w, b, dout):
            out, cache = F.conv2d_forward(x, w, b, 1, 1)
            return out, F.conv2d_backward(dout, cache)

        step(x[:2], w, b, dout[:2])  # warm-up: thread pool, first-touch of the code
        args = (x, w, b, dout)
    else:
        def step(x, w, b, dout):
            out = tF.conv2d(x, w, b, padding=1)
            out.backward(dout)
            return out, (x.grad, w.grad, b.grad)

        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        step(torch.tensor(x[:2], requires_grad=True), wt, bt, torch.from_numpy(dout[:2]))
        wt.grad = bt.grad = None
        args = (xt, wt, bt, torch.from_numpy(dout))
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    before = _status_kb("VmRSS")
    result = step(*args)
    peak = _status_kb("VmHWM")
    del result
    print(json.dumps({"peak_extra_mb": (peak - before) / 1024}))


def peak_extra(lib: str, threads: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", lib, "--threads", str(threads)],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_extra_mb"]


def rss_run(threads: int, steps: int, batch: int = 64) -> dict:
    """RSS (MB) during `steps` LeNet training steps (train_on_batch on random batches of the digits).

    A memory check, not a timing: BLAS threads are told to sleep right away (see configure_threads) so that
    a dense layer on numpy's BLAS does not make the 10,000 steps crawl next to convkit's OpenMP threads."""
    configure_threads(threads, idle_blas=True)
    import numpy as np

    import convkit

    (x, y), _ = convkit.datasets.load_digits(28)
    model = convkit.models.lenet()
    model.compile(optimizer="adamax", loss="cross_entropy")
    model.build(x.shape[1:])
    rng = np.random.default_rng(0)
    samples = {}
    for step in range(1, steps + 1):
        index = rng.integers(0, len(x), batch)
        model.train_on_batch(x[index], y[index])
        if step % (steps // 10) == 0:
            samples[step] = _status_kb("VmRSS") / 1024
    first = samples[min(samples)]
    last = samples[max(samples)]
    return {"steps": steps, "rss_mb": samples, "growth_mb": last - first, "first_sample_step": min(samples)}


def run(threads: int, steps: int) -> dict:
    convkit_mb = peak_extra("convkit", threads)
    torch_mb = peak_extra("torch", threads)
    print(
        f"conv2d fwd+bwd {SHAPE} peak extra memory: convkit {convkit_mb:.1f} MB, torch {torch_mb:.1f} MB",
        flush=True,
    )
    leak = rss_run(threads, steps)
    print(
        f"LeNet {steps} training steps: RSS {leak['rss_mb'][leak['first_sample_step']]:.1f} MB at step "
        f"{leak['first_sample_step']}, growth to the last step {leak['growth_mb']:+.1f} MB",
        flush=True,
    )
    return {
        "shape": list(SHAPE),
        "convkit_peak_extra_mb": convkit_mb,
        "torch_peak_extra_mb": torch_mb,
        "training_rss": leak,
    }


def main() -> None:
    options = parser(__doc__, dtype=False)
    options.add_argument("--steps", type=int, default=10_000)
    options.add_argument("--child", choices=["convkit", "torch"])
    args = options.parse_args()
    if args.child:
        peak_child(args.child, args.threads)
        return
    write_json(args.json, "memory", run(args.threads, args.steps))


if __name__ == "__main__":
    main()
