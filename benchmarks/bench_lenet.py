"""LeNet on 28x28 digits: training throughput (Adamax, batch 64 and 256) and inference, convkit vs PyTorch.

Both sides train the same architecture (convkit.models.lenet / torch_models.lenet) on the same data: the
embedded digits resized to 28x28, tiled to 3072 images. convkit runs ``Sequential.fit`` (shuffling and
batching included, verbose=0); PyTorch runs the usual loop (a permutation, index the batch, zero_grad,
forward, cross-entropy, backward, step). Inference: ``predict`` vs ``model.eval()`` + ``no_grad`` in
batches of 256. The figure is images per second over one epoch; median of the interleaved repeats.

    python benchmarks/bench_lenet.py --threads 2 [--dtype float32] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # torch_models, when run from a checkout

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

N_IMAGES = 3072
INFERENCE_BATCH = 256
TRAIN_TARGET, INFERENCE_TARGET = 3.0, 2.0  # x PyTorch, the model zoo's targets for LeNet


def run(threads: int, dtype: str, repeats: int, batches=(64, 256)) -> list[dict]:
    configure_threads(threads)
    import numpy as np
    import torch
    from torch import nn

    import convkit
    import torch_models

    (x, y), _ = convkit.datasets.load_digits(28)
    reps = -(-N_IMAGES // len(x))
    x = np.ascontiguousarray(np.tile(x, (reps, 1, 1, 1))[:N_IMAGES], dtype=dtype)
    y = np.tile(y, reps)[:N_IMAGES].astype(np.int64)
    torch_dtype = torch.float64 if dtype == "float64" else torch.float32
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)

    rows = []
    for batch in batches:
        model = convkit.models.lenet(dtype=dtype)
        model.compile(optimizer="adamax", loss="cross_entropy")
        tmodel = torch_models.lenet().to(torch_dtype)
        topt = torch.optim.Adamax(tmodel.parameters())
        loss_fn = nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(0)

        def convkit_epoch(model=model, batch=batch):
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)

        def torch_epoch(tmodel=tmodel, topt=topt, batch=batch, loss_fn=loss_fn, generator=generator):
            tmodel.train()
            order = torch.randperm(N_IMAGES, generator=generator)
            for start in range(0, N_IMAGES, batch):
                index = order[start : start + batch]
                xb, yb = xt[index], yt[index]
                topt.zero_grad()
                loss = loss_fn(tmodel(xb), yb)
                loss.backward()
                topt.step()

        times = interleaved({"convkit": convkit_epoch, "torch": torch_epoch}, repeats=repeats, min_time=0.0)
        rows.append(_row(f"train batch {batch}", dtype, threads, times, TRAIN_TARGET))

    model = convkit.models.lenet(dtype=dtype)
    model.build((1, 28, 28))
    tmodel = torch_models.lenet().to(torch_dtype).eval()

    def convkit_predict():
        model.predict(x, batch_size=INFERENCE_BATCH)

    def torch_predict():
        with torch.no_grad():
            for start in range(0, N_IMAGES, INFERENCE_BATCH):
                tmodel(xt[start : start + INFERENCE_BATCH])

    times = interleaved({"convkit": convkit_predict, "torch": torch_predict}, repeats=repeats, min_time=0.0)
    rows.append(_row(f"inference batch {INFERENCE_BATCH}", dtype, threads, times, INFERENCE_TARGET))
    return rows


def _row(name, dtype, threads, times, target):
    row = {
        "benchmark": name,
        "dtype": dtype,
        "threads": threads,
        "convkit_img_s": N_IMAGES / times["convkit"],
        "torch_img_s": N_IMAGES / times["torch"],
        "vs_torch": times["torch"] / times["convkit"],
        "target_vs_torch": target,
    }
    print(
        f"LeNet {name:20s} {dtype} {threads}t  convkit {row['convkit_img_s']:9.0f} img/s"
        f"  torch {row['torch_img_s']:9.0f} img/s  x{row['vs_torch']:.2f}",
        flush=True,
    )
    return row


def main() -> None:
    args = parser(__doc__).parse_args()
    write_json(args.json, "lenet", run(args.threads, args.dtype, args.repeats))


if __name__ == "__main__":
    main()
