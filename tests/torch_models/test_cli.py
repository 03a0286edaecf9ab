"""``python -m torch_models.train``: single process in-process, and two processes under torchrun (gloo)."""

import json
import socket
import subprocess
import sys

import pytest

from torch_models.train import load_checkpoint, state_dict_digest
from torch_models.train.cli import main


def _args(image_folder, out_dir, *extra):
    options = "--model lenet --image-size 28 --batch-size 4 --workers 0 --optimizer adamax --no-progress"
    return [*options.split(), "--data", f"imagefolder:{image_folder}", "--out-dir", str(out_dir), *extra]


def test_cli_trains_checkpoints_and_resumes(image_folder, tmp_path):
    out = tmp_path / "run"
    assert main(_args(image_folder, out, "--epochs", "1")) == 0
    results = json.loads((out / "results.json").read_text())
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert results["classes"] == ["blue", "green", "red"] and results["world_size"] == 1
    assert results["replica_digests"] == [state_dict_digest(checkpoint["model"])]
    assert len(results["history"]["loss"]) == 1

    assert main(_args(image_folder, out, "--epochs", "2", "--resume")) == 0
    resumed = json.loads((out / "results.json").read_text())
    assert resumed["history"]["loss"][0] == results["history"]["loss"][0]
    assert len(resumed["history"]["loss"]) == 2


def test_cli_optimizer_options_reach_the_optimizer(image_folder, tmp_path):
    out = tmp_path / "nesterov"
    extra = ("--epochs", "1", "--optimizer", "sgd", "--momentum", "0.9", "--nesterov")
    assert main([*_args(image_folder, out, *extra)]) == 0
    checkpoint = load_checkpoint(out / "checkpoint.pt")
    assert checkpoint["optimizer_name"] == "sgd"
    assert checkpoint["optimizer_options"] == {"momentum": 0.9, "nesterov": True}
    group = checkpoint["optimizer"]["param_groups"][0]
    assert group["momentum"] == 0.9 and group["nesterov"]


def test_cli_rejects_bad_arguments(image_folder, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--data", "cifar"])
    assert exit_info.value.code == 2
    assert "expected 'digits' or 'imagefolder:PATH'. Received: 'cifar'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(_args(image_folder, tmp_path / "empty", "--resume"))
    assert "--resume: no checkpoint at" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_two_processes_end_with_identical_weights(image_folder, tmp_path, subprocess_env):
    out = tmp_path / "ddp"
    env = {**subprocess_env, "MASTER_ADDR": "127.0.0.1", "GLOO_SOCKET_IFNAME": "lo"}
    launcher = "-m torch.distributed.run --nnodes=1 --nproc_per_node=2 --rdzv-backend=c10d "
    launcher += f"--rdzv-endpoint=127.0.0.1:{_free_port()}"
    options = (
        "--model regularized_residual_cnn --image-size 16 --batch-size 2 --epochs 1 --workers 0 --no-progress"
    )
    command = [sys.executable, *launcher.split(), "-m", "torch_models.train", *options.split()]
    command += ["--data", f"imagefolder:{image_folder}", "--out-dir", str(out)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]

    results = json.loads((out / "results.json").read_text())
    assert results["world_size"] == 2
    first, second = results["replica_digests"]
    assert first == second  # parameters and BatchNorm statistics agree bit for bit
    assert state_dict_digest(load_checkpoint(out / "checkpoint.pt")["model"]) == first
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "results.json"]  # rank 0 only
