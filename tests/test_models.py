"""The lab models: their shapes, whole-model gradient checks in float64, LeNet learning the digits."""

import numpy as np
import pytest

from convkit import layers, models
from convkit.demo import train_lenet_on_digits
from convkit.functional import softmax_cross_entropy
from convkit.gradcheck import numerical_gradient, relative_error
from convkit.schedules import cosine_schedule


def model_gradient_errors(model, x, y):
    """Errors of d(loss)/d(param) from backward vs centered differences, for every parameter."""
    out = model.forward(x, training=True)
    _, dout = softmax_cross_entropy(out, y)
    model.backward(dout)
    errors = {}
    for name, param, grad in model.named_parameters():
        analytic = grad.copy()

        def loss_of(_):  # the parameter is perturbed in place; the loss includes the L2 penalty
            data_loss = softmax_cross_entropy(model.forward(x, training=True), y)[0]
            return np.array(data_loss + model.regularization_loss())

        numeric = numerical_gradient(loss_of, param, np.array(1.0), h=1e-6)
        # A bias followed by batch norm has a true gradient of zero: compare it absolutely.
        exact_zero = np.abs(analytic).max() < 1e-12
        errors[name] = np.abs(numeric).max() if exact_zero else relative_error(analytic, numeric)
    return errors


@pytest.mark.parametrize(
    "make, input_shape",
    [
        (lambda: models.two_layer_net(12, 7, 4, weight_scale=0.5, reg=0.1, dtype="float64"), (12,)),
        (
            lambda: models.fully_connected_net(
                [6, 5], 4, input_dim=12, normalization="batchnorm", reg=0.05, dtype="float64"
            ),
            (12,),
        ),
        (
            lambda: models.three_layer_convnet(
                (2, 6, 6), num_filters=3, filter_size=3, hidden_dim=5, num_classes=4, dtype="float64"
            ),
            (2, 6, 6),
        ),
        (lambda: models.lenet(num_classes=4, in_channels=1, image_size=14, dtype="float64"), (1, 14, 14)),
    ],
    ids=["two_layer_net", "fully_connected_net_bn", "three_layer_convnet", "lenet"],
)
def test_whole_model_gradients_match_numerical(rng, make, input_shape):
    model = make()
    model.build(seed=0)
    x = rng.normal(size=(3, *input_shape))
    y = rng.integers(0, 4, size=3)
    for name, error in model_gradient_errors(model, x, y).items():
        assert error < 1e-6, (name, error)


def test_output_shapes():
    assert models.two_layer_net().predict(np.zeros((2, 3072))).shape == (2, 10)
    assert models.fully_connected_net([20, 10], dropout=0.5).predict(np.zeros((2, 3072))).shape == (2, 10)
    assert models.three_layer_convnet().predict(np.zeros((2, 3, 32, 32))).shape == (2, 10)
    model = models.lenet()
    assert model.predict(np.zeros((2, 1, 28, 28))).shape == (2, 10)
    assert model.count_params() == (6 * 9 + 6) + (16 * 6 * 9 + 16) + (400 * 120 + 120) + (120 * 84 + 84) + 850


def test_lenet_max_shift_augments_training_only(rng):
    plain, shifted = models.lenet(), models.lenet(max_shift=2)
    assert isinstance(shifted.layers[0], layers.RandomShift) and shifted.layers[0].max_shift == (2, 2)
    assert [type(layer) for layer in shifted.layers[1:]] == [type(layer) for layer in plain.layers]
    plain.build(seed=0)
    shifted.build(seed=0)
    shifted.set_weights(plain.get_weights())
    x = rng.normal(size=(3, 1, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(shifted.predict(x), plain.predict(x))  # the identity at inference
    assert not np.array_equal(shifted.forward(x, training=True), plain.forward(x, training=True))


def test_cosine_schedule_decays_from_the_base_rate_towards_zero():
    schedule = cosine_schedule(0.1, epochs=4).schedule
    rates = [schedule(epoch, 0.1) for epoch in range(5)]
    np.testing.assert_allclose(rates, [0.1, 0.0853553, 0.05, 0.0146447, 0.0], rtol=1e-5, atol=1e-12)


def test_lenet_learns_the_embedded_digits():
    """The demo's recipe, shortened to 10 epochs (the demo runs 30 and reaches about 98%)."""
    _, history, results = train_lenet_on_digits(epochs=10, seed=0, verbose=0)
    assert len(history.epoch) == 10
    assert results["accuracy"] >= 0.95


@pytest.mark.parametrize(
    "make, input_shape, n_params, optimizer",
    [
        (models.keras_mnist_convnet, (1, 28, 28), 34_826, "adam"),  # the Keras example's summary
        (models.tf_fashion_cnn, (1, 28, 28), 3_274_634, "adam"),
        (models.resnet20, (3, 32, 32), 272_474, "sgd"),  # "0.27M" in He et al.'s table 6
        (models.vgg_cifar, (3, 32, 32), 596_938, "sgd"),
        (models.mobilenet_cifar, (3, 32, 32), 136_778, "adam"),
    ],
)
def test_zoo_models_build_and_train_a_step(make, input_shape, n_params, optimizer):
    model = make()
    model.compile(optimizer=optimizer, loss="cross_entropy")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, *input_shape)).astype(np.float32)
    y = np.array([0, 3, 9, 3])
    before = model.predict(x)
    assert before.shape == (4, 10) and before.dtype == np.float32
    assert sum(param.size for _, param, _ in model.named_parameters()) == n_params
    model.train_on_batch(x, y)
    assert not np.array_equal(model.predict(x), before)


def test_resnet20_stages_halve_the_image_and_widen_the_channels():
    model = models.resnet20(num_classes=4, in_channels=1, image_size=16)
    model.build((1, 16, 16))
    residual_shapes = [
        layer.compute_output_shape(layer.input_shape)
        for layer in model.layers
        if isinstance(layer, layers.Residual)
    ]
    assert residual_shapes == [(16, 16, 16)] * 3 + [(32, 8, 8)] * 3 + [(64, 4, 4)] * 3
    assert model.predict(np.zeros((2, 1, 16, 16), np.float32)).shape == (2, 4)
