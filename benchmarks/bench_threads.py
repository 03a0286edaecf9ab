"""convkit with 1 thread vs 2 threads on the conv2d forward + backward of the large-channel shapes
(interleaved in one process), and a check that the results are bit-identical.

    python benchmarks/bench_threads.py [--dtype float32] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

SHAPES = [
    ("64->64 32x32", 64, 64, 32, 1),
    ("128->128 16x16", 128, 128, 16, 1),
    ("LeNet conv2 6->16 13x13", 6, 16, 13, 0),
]
BATCH = 64


def run(dtype: str, repeats: int) -> list[dict]:
    configure_threads(2)
    import numpy as np

    import convkit
    from convkit import functional as F

    rows = []
    for name, C, Fo, size, pad in SHAPES:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((BATCH, C, size, size)).astype(dtype)
        w = (rng.standard_normal((Fo, C, 3, 3)) * 0.1).astype(dtype)
        b = rng.standard_normal(Fo).astype(dtype)
        out_side = size + 2 * pad - 2
        dout = rng.standard_normal((BATCH, Fo, out_side, out_side)).astype(dtype)

        def step(threads, x=x, w=w, b=b, dout=dout, pad=pad):
            convkit.set_num_threads(threads)
            out, cache = F.conv2d_forward(x, w, b, 1, pad)
            return (out, *F.conv2d_backward(dout, cache))

        results = {n: step(n) for n in (1, 2)}
        identical = all(np.array_equal(a, b) for a, b in zip(results[1], results[2]))
        times = interleaved({"1": lambda: step(1), "2": lambda: step(2)}, repeats=repeats)
        convkit.set_num_threads(2)
        row = {
            "shape": name,
            "dtype": dtype,
            "one_thread_ms": times["1"] * 1e3,
            "two_threads_ms": times["2"] * 1e3,
            "speedup": times["1"] / times["2"],
            "target_speedup": 1.8 if C >= 64 else None,
            "identical": identical,
        }
        rows.append(row)
        print(
            f"{name:24s} {dtype} 1 thread {row['one_thread_ms']:8.2f} ms  "
            f"2 threads {row['two_threads_ms']:8.2f} ms  x{row['speedup']:.2f}  identical={identical}",
            flush=True,
        )
    return rows


def main() -> None:
    args = parser(__doc__, threads=False).parse_args()
    write_json(args.json, "threads", run(args.dtype, args.repeats))


if __name__ == "__main__":
    main()
