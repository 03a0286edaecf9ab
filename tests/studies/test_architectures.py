"""The architectures study runs Lab C on CIFAR-10 when it is asked for or found, else says it is absent."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from studies import StudyContext, architectures, data  # noqa: E402


def test_cifar10_is_used_when_found_under_the_data_root(tmp_path, monkeypatch, check_report):
    assert not architectures._has_cifar10(tmp_path) and not architectures._has_cifar10(None)
    (tmp_path / "cifar-10-batches-py").mkdir()
    assert architectures._has_cifar10(tmp_path)

    def random_cifar10(root):  # the real batches are checked against their MD5s: random images instead
        rng = np.random.default_rng(0)
        x_train, x_test = (rng.random((n, 3, 32, 32), dtype=np.float32) for n in (600, 300))
        return x_train, np.arange(600) % 10, x_test, np.arange(300) % 10

    monkeypatch.setattr(data, "_read_cifar10", random_cifar10)
    ctx = StudyContext(mode="tiny", data_root=tmp_path, out_dir=tmp_path / "out")
    report = architectures.run(ctx)
    readme = check_report(architectures, report)
    assert "CIFAR-10 (Krizhevsky's 32x32 colour images" in readme and "input size: 32x32" in readme
    assert "not available here" not in readme and "Beside the published" not in readme
    assert "the true object" in readme


def test_without_cifar10_the_report_says_how_to_run_it(tmp_path, check_report):
    report = architectures.run(StudyContext(mode="tiny", out_dir=tmp_path))
    readme = check_report(architectures, report)
    assert "CIFAR-10 is not available here; run with `--dataset cifar10 --data-root DIR`" in readme
