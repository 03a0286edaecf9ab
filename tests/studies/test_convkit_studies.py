"""The studies' command line, the data they pick and their determinism (convkit studies, no torch)."""

from __future__ import annotations

import json
import struct

import numpy as np

from studies import StudyContext, get_study
from studies.__main__ import main


def test_cli_runs_a_study_and_writes_the_index(tmp_path, capsys):
    assert main(["run", "two_layer_net", "--tiny", "--out", str(tmp_path)]) == 0
    index = (tmp_path / "README.md").read_text()
    headline = json.loads((tmp_path / "two_layer_net" / "results.json").read_text())["headline"]
    assert "[Two-layer net trained with fit](two_layer_net/README.md)" in index
    assert headline in index and "| tiny |" in index
    assert "two_layer_net" in capsys.readouterr().out


def write_fake_mnist(root, n_train: int = 120, n_test: int = 60) -> None:
    """Random images and labels in MNIST's IDX layout (``root/MNIST/raw/``, extracted)."""
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">IIII", 2051, n, 28, 28) + images.tobytes()
        )
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.tobytes())


def test_study_uses_mnist_when_asked_and_the_data_root_has_it(tmp_path):
    write_fake_mnist(tmp_path / "data")
    ctx = StudyContext(
        mode="tiny", seed=0, data_root=tmp_path / "data", out_dir=tmp_path / "out", dataset="mnist"
    )
    readme = (get_study("two_layer_net").run(ctx).save() / "README.md").read_text()
    assert "- data: MNIST, 120 train / 60 test" in readme and "UCI digits" not in readme


def test_same_seed_same_report(tmp_path):
    def headline(seed: int, folder: str) -> str:
        ctx = StudyContext(mode="tiny", seed=seed, out_dir=tmp_path / folder)
        return get_study("sgd_momentum").run(ctx).headline

    assert headline(0, "a") == headline(0, "b")
