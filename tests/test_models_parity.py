"""The model zoo against its ``to_torch`` copy: the same logits, input gradients and weight gradients."""

import numpy as np
import pytest

from convkit import models
from convkit.functional import softmax_cross_entropy
from convkit.interop import to_torch

torch = pytest.importorskip("torch", reason="torch is the reference of the parity tests in this file")


@pytest.mark.parametrize(
    "make, input_shape",
    [
        (models.keras_mnist_convnet, (1, 28, 28)),
        (models.tf_fashion_cnn, (1, 28, 28)),
        (models.resnet20, (3, 16, 16)),
        (models.vgg_cifar, (3, 16, 16)),
        (models.mobilenet_cifar, (3, 16, 16)),
    ],
)
def test_zoo_model_equals_its_torch_copy(make, input_shape, rng):
    model = make(in_channels=input_shape[0], image_size=input_shape[1], dtype="float64")
    model.build(input_shape, seed=0)
    net = to_torch(model).double().train()
    x = rng.standard_normal((3, *input_shape))
    y = np.array([1, 0, 7])

    out = model.forward(x, training=True)
    loss, dout = softmax_cross_entropy(out, y)
    dx = model.backward(dout)
    tx = torch.tensor(x, requires_grad=True)
    t_out = net(tx)
    t_loss = torch.nn.functional.cross_entropy(t_out, torch.tensor(y))
    t_loss.backward()

    if any(type(m).__name__ == "Dropout" for m in net.modules()):  # masks differ: compare eval mode only
        net.eval()
        np.testing.assert_allclose(model.predict(x), net(tx).detach().numpy(), rtol=1e-10, atol=1e-10)
        return
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(loss, t_loss.item(), rtol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    grads = [grad for _, _, grad in model.named_parameters()]
    t_grads = [p.grad.numpy() for p in net.parameters()]
    assert len(grads) == len(t_grads)
    for grad, t_grad in zip(grads, t_grads):
        t_grad = t_grad if t_grad.shape == grad.shape else t_grad.T  # Dense: (in, out) vs torch's (out, in)
        np.testing.assert_allclose(grad, t_grad, rtol=1e-8, atol=1e-12)
