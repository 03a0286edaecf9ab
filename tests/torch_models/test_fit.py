"""The training loop: learning, history, reproducibility, resume, clipping, mixed precision."""

import math

import pytest
import torch
from torch import nn

import torch_models
from torch_models.train import evaluate, fit, image_folder_loaders, load_checkpoint, state_dict_digest

requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def _small_regularized_cnn():
    """BatchNorm and dropout: a resumed run repeats only if random state and buffers come back too."""
    return torch_models.regularized_residual_cnn(3, 1, widths=(4, 8), dropout=0.3)


def test_fit_reduces_the_loss_on_an_image_folder(image_folder):
    loaders = image_folder_loaders(image_folder, image_size=16, batch_size=4)
    torch.manual_seed(0)
    model = torch_models.simple_cnn(loaders.num_classes, loaders.in_channels, width=8)
    history = fit(
        model, loaders.train, loaders.test, optimizer="adamax", lr=2e-2, epochs=6, seed=0, progress=False
    )
    assert len(history) == 6
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.val_accuracy[-1] >= 2 / 3


def test_history_records_every_epoch(separable_loader):
    model = torch_models.simple_cnn(3, 1, width=4)
    history = fit(
        model,
        separable_loader(),
        separable_loader(shuffle=False),
        epochs=2,
        track_grad_norms=True,
        progress=False,
    )
    for name in ("loss", "val_loss", "epoch_time", "images_per_second"):
        values = getattr(history, name)
        assert len(values) == 2 and all(v > 0 and math.isfinite(v) for v in values)
    for name in ("accuracy", "macro_f1", "val_accuracy", "val_macro_f1"):
        assert all(0 <= v <= 1 for v in getattr(history, name))
    layers = {name.rpartition(".")[0] for name, _ in model.named_parameters()}
    assert len(history.grad_norms) == 2
    assert all(set(norms) == layers and min(norms.values()) > 0 for norms in history.grad_norms)
    assert history.to_dict()["loss"] == history.loss

    without_val = fit(model, separable_loader(), epochs=1, progress=False)
    assert without_val.val_loss == [None] and without_val.grad_norms == []


def test_a_seed_makes_runs_repeat(separable_loader):
    digests = []
    for _ in range(2):
        torch.manual_seed(0)
        model = _small_regularized_cnn()
        fit(model, separable_loader(), epochs=2, seed=3, progress=False)
        digests.append(state_dict_digest(model))
    assert digests[0] == digests[1]


def test_resume_continues_identically(separable_loader, tmp_path):
    checkpoint = tmp_path / "run" / "checkpoint.pt"
    checkpoint.parent.mkdir()
    options = {"optimizer": "adamax", "lr": 1e-2, "weight_decay": 1e-3, "seed": 7, "progress": False}

    torch.manual_seed(0)
    straight = _small_regularized_cnn()
    straight_history = fit(straight, separable_loader(), separable_loader(shuffle=False), epochs=3, **options)

    torch.manual_seed(0)
    first = _small_regularized_cnn()
    fit(
        first,
        separable_loader(),
        separable_loader(shuffle=False),
        epochs=2,
        checkpoint_path=checkpoint,
        **options,
    )
    assert load_checkpoint(checkpoint)["history"]["loss"] == straight_history.loss[:2]

    torch.manual_seed(123)  # a different initialization: everything must come from the checkpoint
    resumed = _small_regularized_cnn()
    resumed_history = fit(
        resumed,
        separable_loader(),
        separable_loader(shuffle=False),
        epochs=3,
        resume_from=checkpoint,
        **options,
    )
    assert state_dict_digest(resumed) == state_dict_digest(straight)
    assert resumed_history.loss == straight_history.loss
    assert resumed_history.val_accuracy == straight_history.val_accuracy


def test_resume_needs_the_same_optimizer(separable_loader, tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    model = torch_models.simple_cnn(3, 1, width=4)
    fit(model, separable_loader(), epochs=1, optimizer="adam", checkpoint_path=checkpoint, progress=False)
    with pytest.raises(
        ValueError, match=r"fit: resume_from was trained with optimizer='adam'\. Received: optimizer='sgd'"
    ):
        fit(model, separable_loader(), epochs=2, optimizer="sgd", resume_from=checkpoint, progress=False)
    with pytest.raises(
        ValueError,
        match=r"fit: resume_from was trained with optimizer_options=\{\}\. "
        r"Received: optimizer_options=\{'amsgrad': True\}",
    ):
        fit(
            model,
            separable_loader(),
            epochs=2,
            optimizer="adam",
            optimizer_options={"amsgrad": True},
            resume_from=checkpoint,
            progress=False,
        )


def test_clip_grad_norm_bounds_the_update(separable_loader):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(144, 3))
    before = torch.cat([p.detach().flatten() for p in model.parameters()])
    one_batch = separable_loader(n=8, batch_size=8)
    nesterov = {"momentum": 0.9, "nesterov": True}
    fit(
        model,
        one_batch,
        optimizer="sgd",
        optimizer_options=nesterov,
        lr=1.0,
        epochs=1,
        clip_grad_norm=0.01,
        progress=False,
    )
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    # first Nesterov step: update = lr * (g + 0.9 * g) with |g| clipped to 0.01
    torch.testing.assert_close((after - before).norm(), torch.tensor(0.019), rtol=1e-4, atol=0)


def test_bf16_autocast_and_channels_last_on_cpu(separable_loader):
    torch.manual_seed(0)
    model = torch_models.simple_cnn(3, 1, width=4)
    history = fit(
        model,
        separable_loader(),
        separable_loader(shuffle=False),
        epochs=1,
        amp="bf16",
        channels_last=True,
        device="cpu",
        progress=False,
    )
    assert math.isfinite(history.loss[0]) and math.isfinite(history.val_loss[0])
    assert model.features[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_evaluate(separable_loader):
    model = torch_models.simple_cnn(3, 1, width=4)
    loader = separable_loader(shuffle=False)
    result = evaluate(model, loader, device="cpu")
    assert result["count"] == 24 and 0 <= result["accuracy"] <= 1
    with torch.no_grad():
        logits = torch.cat([model(x) for x, _ in loader])
        labels = torch.cat([y for _, y in loader])
    assert result["loss"] == pytest.approx(nn.functional.cross_entropy(logits, labels).item(), rel=1e-5)
    assert result["accuracy"] == pytest.approx((logits.argmax(1) == labels).double().mean().item())


def test_fit_bad_arguments(separable_loader):
    model, loader = torch_models.simple_cnn(3, 1, width=4), separable_loader()
    cases = [
        ({"optimizer": "lamb"}, ValueError, r"fit: optimizer must be one of .*Received: optimizer='lamb'"),
        ({"epochs": 0}, ValueError, r"fit: epochs must be a positive int\. Received: epochs=0"),
        ({"lr": -1.0}, ValueError, r"fit: lr must be a positive float\. Received: lr=-1\.0"),
        ({"clip_grad_norm": 0}, ValueError, r"fit: clip_grad_norm must be a positive float"),
        ({"amp": "fp8"}, ValueError, r"fit: amp must be one of"),
        ({"amp": "fp16", "device": "cpu"}, ValueError, r"fit: amp='fp16' needs a CUDA device"),
        (
            {"device": "tpu:9"},
            ValueError,
            r"fit: device must be 'auto' or a torch device\. Received: device='tpu:9'",
        ),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            fit(model, loader, progress=False, **kwargs)
    with pytest.raises(TypeError, match=r"fit: model must be a torch\.nn\.Module\. Received: model=function"):
        fit(torch_models.simple_cnn, loader)


@requires_cuda
@pytest.mark.parametrize("amp", ["bf16", "fp16"])
def test_mixed_precision_channels_last_on_cuda(separable_loader, amp):
    torch.manual_seed(0)
    model = torch_models.resnet18(3, 1, small_input=True)
    history = fit(
        model,
        separable_loader(n=48),
        separable_loader(shuffle=False),
        optimizer="adam",
        lr=1e-3,
        epochs=3,
        amp=amp,
        channels_last=True,
        device="cuda",
        progress=False,
    )
    assert next(model.parameters()).is_cuda
    assert model.conv1.weight.is_contiguous(memory_format=torch.channels_last)
    assert all(math.isfinite(v) for v in history.loss)
    assert history.loss[-1] < history.loss[0]


@requires_cuda
def test_resume_on_cuda(separable_loader, tmp_path):
    checkpoint = tmp_path / "checkpoint.pt"
    model = torch_models.simple_cnn(3, 1, width=4)
    fit(
        model,
        separable_loader(),
        epochs=1,
        amp="fp16",
        device="cuda",
        checkpoint_path=checkpoint,
        progress=False,
    )
    assert load_checkpoint(checkpoint)["scaler"]["scale"] > 0
    history = fit(
        model, separable_loader(), epochs=2, amp="fp16", device="cuda", resume_from=checkpoint, progress=False
    )
    assert len(history) == 2
