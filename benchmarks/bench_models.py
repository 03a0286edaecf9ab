"""Whole models, convkit vs PyTorch in one process: training images/s and inference images/s.

The zoo: Keras' "simple MNIST convnet" (batch 128, Adam), the TensorFlow tutorial's Fashion-MNIST CNN
(batch 100, Adam), He et al.'s CIFAR ResNet-20 (batch 128, SGD with momentum 0.9, weight decay 1e-4), a
VGG-style CIFAR net with batch norm (batch 128, SGD with momentum) and a depthwise-separable MobileNet-style
CIFAR net (batch 128, Adam), on random data of the real shapes, in float32 (ResNet-20 in float64 too). The
torch net is ``convkit.interop.to_torch`` of the convkit one: the same layers and starting weights. A
training epoch is ``--batches`` batches: ``Sequential.fit`` (shuffling and batching included) vs the usual
torch loop (permutation, index, zero_grad, forward, cross-entropy, backward, step); inference is
``predict`` vs ``eval()`` + ``no_grad`` over the same images. convkit and torch alternate epoch by epoch;
the figures are medians over the repeats. convkit is imported first, so the OpenMP runtime the two share
runs with convkit's wait policy.

    python benchmarks/bench_models.py [--threads 2] [--repeats 5] [--batches 8] [--json out.json]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import configure_threads, interleaved, parser, write_json  # noqa: E402

# name, builder, input shape, batch size, optimizer: (convkit name, torch class name, keyword arguments)
ZOO = [
    ("Keras MNIST convnet", "keras_mnist_convnet", (1, 28, 28), 128, ("Adam", {})),
    ("TF-tutorial Fashion-MNIST CNN", "tf_fashion_cnn", (1, 28, 28), 100, ("Adam", {})),
    (
        "CIFAR ResNet-20",
        "resnet20",
        (3, 32, 32),
        128,
        ("SGD", {"lr": 0.1, "momentum": 0.9, "weight_decay": 1e-4}),
    ),
    (
        "VGG-style CIFAR net (BN)",
        "vgg_cifar",
        (3, 32, 32),
        128,
        ("SGD", {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4}),
    ),
    ("MobileNet-style CIFAR net", "mobilenet_cifar", (3, 32, 32), 128, ("Adam", {})),
]
FLOAT64 = ("resnet20",)  # also timed in float64 (the float64 rows, with LeNet's in bench_lenet.py)
TARGET_TRAIN = 1.5
TARGET_INFERENCE = 2.0


def run(threads: int, repeats: int, batches: int) -> list[dict]:
    configure_threads(threads)
    rows = [_time_model(*entry, threads, repeats, batches) for entry in ZOO]
    for entry in ZOO:
        if entry[1] in FLOAT64:
            rows.append(_time_model(*entry, threads, repeats, batches, "float64"))
    return rows


def _time_model(name, builder, shape, batch, optimizer, threads, repeats, batches, dtype="float32") -> dict:
    import numpy as np
    import torch
    from torch import nn

    import convkit
    from convkit import interop

    opt_name, opt_args = optimizer
    n = batch * batches
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, *shape)).astype(dtype)
    y = rng.integers(0, 10, n)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model = getattr(convkit.models, builder)(dtype=dtype)
    model.build(shape)
    tmodel = interop.to_torch(model)
    model.compile(optimizer=getattr(convkit.optimizers, opt_name)(**opt_args), loss="cross_entropy")
    topt = getattr(torch.optim, opt_name)(tmodel.parameters(), **opt_args)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(0)

    def convkit_train():
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)

    def torch_train():
        tmodel.train()
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch):
            index = order[start : start + batch]
            topt.zero_grad()
            loss_fn(tmodel(xt[index]), yt[index]).backward()
            topt.step()

    def convkit_predict():
        model.predict(x, batch_size=batch)

    def torch_predict():
        tmodel.eval()
        with torch.no_grad():
            for start in range(0, n, batch):
                tmodel(xt[start : start + batch])

    train = interleaved({"convkit": convkit_train, "torch": torch_train}, repeats=repeats, min_time=0.0)
    infer = interleaved({"convkit": convkit_predict, "torch": torch_predict}, repeats=repeats, min_time=0.0)
    row = {
        "model": name,
        "dtype": dtype,
        "batch": batch,
        "optimizer": opt_name,
        "threads": threads,
        "train_convkit_img_s": n / train["convkit"],
        "train_torch_img_s": n / train["torch"],
        "train_vs_torch": train["torch"] / train["convkit"],
        "inference_convkit_img_s": n / infer["convkit"],
        "inference_torch_img_s": n / infer["torch"],
        "inference_vs_torch": infer["torch"] / infer["convkit"],
        "target_train": TARGET_TRAIN,
        "target_inference": TARGET_INFERENCE,
    }
    print(
        f"{name:30s} {dtype} batch {batch:3d} {opt_name:4s} {threads}t  "
        f"train {row['train_convkit_img_s']:7.0f} vs {row['train_torch_img_s']:7.0f} img/s "
        f"x{row['train_vs_torch']:.2f}  inference {row['inference_convkit_img_s']:7.0f} vs "
        f"{row['inference_torch_img_s']:7.0f} img/s x{row['inference_vs_torch']:.2f}",
        flush=True,
    )
    return row


def main() -> None:
    p = parser(__doc__, dtype=False)
    p.add_argument("--batches", type=int, default=8, help="batches per timed epoch")
    args = p.parse_args()
    write_json(args.json, "models", run(args.threads, args.repeats, args.batches))


if __name__ == "__main__":
    main()
