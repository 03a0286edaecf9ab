"""LeNet training under load: convkit's 2-thread throughput on a quiet machine vs with one other CPU-bound
process (``python -c "while True: pass"``) running beside it, and 1-thread throughput under the same load.

Epochs alternate quiet / loaded / loaded with 1 thread, so that other load on the machine hits all three
alike; the figures are medians over the repeats. The busy process is killed after each loaded epoch (and
on any error). torch is not imported: convkit loads the OpenMP runtime itself, so OpenMP's wait policy
(or the OMP_WAIT_POLICY / GOMP_SPINCOUNT given in the environment) is what is measured.

    python benchmarks/bench_load.py [--threads 2] [--repeats 7] [--json out.json]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import parser, write_json  # noqa: E402

N_IMAGES = 1536
BATCH = 64
BUSY = "while True: pass"


def run(threads: int, repeats: int) -> list[dict]:
    import numpy as np

    import convkit
    from convkit import _threads

    (x, y), _ = convkit.datasets.load_digits(28)
    reps = -(-N_IMAGES // len(x))
    x = np.ascontiguousarray(np.tile(x, (reps, 1, 1, 1))[:N_IMAGES], dtype="float32")
    y = np.tile(y, reps)[:N_IMAGES].astype(np.int64)
    model = convkit.models.lenet()
    model.compile(optimizer="adamax", loss="cross_entropy")

    def epoch(n_threads: int) -> float:
        convkit.set_num_threads(n_threads)
        start = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
        return N_IMAGES / (time.perf_counter() - start)

    def loaded_epoch(n_threads: int) -> float:
        busy = subprocess.Popen([sys.executable, "-c", BUSY])
        try:
            time.sleep(0.1)  # let it start spinning
            return epoch(n_threads)
        finally:
            busy.kill()
            busy.wait()

    epoch(threads)  # warm-up: buffers, kernels
    samples = {"quiet": [], "loaded": [], "loaded_1": []}
    for _ in range(repeats):
        samples["quiet"].append(epoch(threads))
        samples["loaded"].append(loaded_epoch(threads))
        samples["loaded_1"].append(loaded_epoch(1))
    quiet, loaded, loaded_1 = (statistics.median(v) for v in samples.values())
    row = {
        "benchmark": f"LeNet train batch {BATCH}",
        "threads": threads,
        "wait_policy": _threads.wait_policy(),
        "quiet_img_s": quiet,
        "loaded_img_s": loaded,
        "loaded_one_thread_img_s": loaded_1,
        "kept": loaded / quiet,
        "vs_one_thread": loaded / loaded_1,
        "target_kept": 0.45,
    }
    print(
        f"under load ({row['wait_policy']}): {threads} threads quiet {quiet:8.0f} img/s, "
        f"with one busy process {loaded:8.0f} img/s = {row['kept']:.2f} kept; "
        f"1 thread with the busy process {loaded_1:8.0f} img/s",
        flush=True,
    )
    return [row]


def main() -> None:
    args = parser(__doc__, dtype=False).parse_args()
    write_json(args.json, "load", run(args.threads, args.repeats))


if __name__ == "__main__":
    main()
