"""Sequential: compile / fit / evaluate / predict / summary / weights, and its input checks."""

import numpy as np
import pytest

import convkit as ck
from convkit import callbacks, layers, optimizers


def blobs(rng, n=120, features=4, classes=3):
    """Linearly separable classes: a cluster per class."""
    centres = rng.normal(scale=4.0, size=(classes, features))
    y = rng.integers(0, classes, size=n)
    x = centres[y] + rng.normal(size=(n, features))
    return x.astype(np.float32), y


def mlp(seed=0, dtype="float32"):
    model = ck.Sequential(
        [
            layers.Dense(16, input_shape=(4,), dtype=dtype),
            layers.ReLU(dtype=dtype),
            layers.Dense(3, dtype=dtype),
        ]
    )
    model.compile(optimizer=optimizers.Adam(lr=1e-2), loss="cross_entropy", metrics=["accuracy"])
    model.build(seed=seed)
    return model


def test_fit_learns_and_reports_history(rng):
    x, y = blobs(rng)
    model = mlp()
    history = model.fit(x, y, epochs=15, batch_size=16, validation_split=0.25, verbose=0, seed=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 15 and history.epoch == list(range(15))
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    results = model.evaluate(x, y, verbose=0)
    assert set(results) == {"loss", "accuracy"} and results["accuracy"] > 0.9


def test_validation_split_holds_out_the_last_samples(rng):
    x, y = blobs(rng, n=40)
    model = mlp()
    history = model.fit(x, y, epochs=1, batch_size=8, validation_split=0.25, shuffle=False, verbose=0)
    val = model.evaluate(x[-10:], y[-10:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(val["loss"], rel=1e-6)


def test_fit_with_validation_data_and_initial_epoch(rng):
    x, y = blobs(rng)
    model = mlp()
    history = model.fit(x, y, epochs=4, initial_epoch=2, validation_data=(x[:20], y[:20]), verbose=0)
    assert history.epoch == [2, 3] and len(history.history["val_accuracy"]) == 2


def test_same_seed_gives_identical_training(rng):
    x, y = blobs(rng)
    runs = []
    for _ in range(2):
        model = ck.Sequential(
            [
                layers.Dense(16, input_shape=(4,)),
                layers.ReLU(),
                layers.Dropout(0.3),
                layers.Dense(3),
            ]
        )
        model.compile(optimizer="adamax", loss="cross_entropy")
        model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=7)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_predict_shape_dtype_and_eval_mode(rng):
    x, y = blobs(rng, n=50)
    model = ck.Sequential([layers.Dense(8, input_shape=(4,)), layers.Dropout(0.5), layers.Dense(3)])
    model.build(seed=1)
    out = model.predict(x, batch_size=7)
    assert out.shape == (50, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, model.predict(x, batch_size=7))  # dropout off: deterministic
    np.testing.assert_allclose(out, model.predict(x, batch_size=50), rtol=1e-5, atol=1e-6)


def test_verbose_fit_prints_epochs_progress_and_throughput(rng, capsys):
    x, y = blobs(rng, n=64)
    mlp().fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "4/4 [==============================]" in out and "loss:" in out and "img/s" in out


def test_summary_lists_layers_shapes_and_totals(capsys):
    model = ck.Sequential(
        [
            layers.Conv2D(6, 3, input_shape=(1, 28, 28)),
            layers.ReLU(),
            layers.MaxPool2D(2),
            layers.Flatten(),
            layers.Dense(10),
            layers.BatchNorm(),
        ]
    )
    model.summary()
    text = capsys.readouterr().out
    assert "(None, 6, 26, 26)" in text and "(None, 1014)" in text and "(None, 10)" in text
    trainable = 6 * 9 + 6 + 1014 * 10 + 10 + 20
    assert f"Trainable params: {trainable:,}" in text
    assert "Non-trainable params: 20" in text and f"Total params: {trainable + 20:,}" in text


def test_get_set_weights_round_trip_in_place():
    model = mlp()
    weights = model.get_weights()
    params_before = [p for _, p, _ in model.named_parameters()]
    model.set_weights([w * 0 + 1 for w in weights])
    assert all(np.all(p == 1) for _, p, _ in model.named_parameters())
    assert all(a is b for a, (_, b, _) in zip(params_before, model.named_parameters()))
    with pytest.raises(ValueError, match="expected 4 arrays"):
        model.set_weights(weights[:2])
    with pytest.raises(ValueError, match="shape"):
        model.set_weights([w.T if w.ndim == 2 else w for w in weights])


@pytest.mark.parametrize("name", ["sgd", "momentum", "rmsprop", "adam", "adamax", "adamw"])
def test_compile_accepts_optimizer_names(rng, name):
    x, y = blobs(rng, n=32)
    model = mlp()
    model.compile(optimizer=name, loss="cross_entropy")
    assert isinstance(model.optimizer, optimizers.Optimizer)
    model.fit(x, y, epochs=1, verbose=0)
    assert model.optimizer.iterations == 1


def test_mse_regression(rng):
    x = rng.normal(size=(64, 3)).astype(np.float32)
    target = x @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)
    model = ck.Sequential([layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer=optimizers.SGD(lr=0.1), loss="mse")
    history = model.fit(x, target, epochs=30, batch_size=16, verbose=0, seed=0)
    assert history.history["loss"][-1] < 1e-3


def test_top5_metric():
    """Every row scores class c as 8 - c: labels 0, 2 and 4 are among the top five, 5 and 7 are not."""
    x = np.tile(np.arange(8, 0, -1, dtype=np.float32), (5, 1))
    y = np.array([0, 2, 4, 5, 7])
    model = ck.Sequential([layers.Dense(8, use_bias=False, input_shape=(8,))])
    model.build()
    model.set_weights([np.eye(8, dtype=np.float32)])  # the logits are x
    model.compile(optimizer="adam", loss="cross_entropy", metrics=["accuracy", "top5"])
    results = model.evaluate(x, y, verbose=0)
    assert results["accuracy"] == pytest.approx(1 / 5)
    assert results["top5"] == pytest.approx(3 / 5)


def test_bad_inputs_have_clear_errors(rng):
    x, y = blobs(rng, n=20)
    model = mlp()
    with pytest.raises(ValueError, match=r"len\(x\)=20, len\(y\)=19"):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match=r"labels in \[0, 3\)"):
        model.fit(x, np.full(20, 3), verbose=0)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(N, 4\). Received: x.shape=\(20, 5\)"):
        model.fit(np.zeros((20, 5)), y, verbose=0)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="Unknown loss"):
        model.compile(loss="hinge")
    with pytest.raises(ValueError, match="Unknown metric"):
        model.compile(metrics=["auc"])
    with pytest.raises(TypeError, match="expected a convkit Layer"):
        model.add("dense")
    with pytest.raises(RuntimeError, match="compile"):
        ck.Sequential([layers.Dense(2, input_shape=(4,))]).fit(x, y, verbose=0)


def test_nan_loss_raises_unless_terminate_on_nan(rng):
    x, y = blobs(rng, n=32)
    x[5, 0] = np.nan
    with pytest.raises(ValueError, match="training loss became nan"):
        mlp().fit(x, y, batch_size=8, shuffle=False, verbose=0)
    model = mlp()
    history = model.fit(
        x, y, epochs=3, batch_size=8, shuffle=False, callbacks=[callbacks.TerminateOnNaN()], verbose=0
    )
    assert model.stop_training and history.epoch == [0]


def test_early_stopping_inside_fit(rng):
    x, y = blobs(rng, n=60)
    model = mlp()
    model.compile(optimizer=optimizers.SGD(lr=0.0), loss="cross_entropy")  # no progress at all
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2)
    history = model.fit(x, y, epochs=20, validation_split=0.2, callbacks=[stopper], verbose=0)
    assert len(history.epoch) == 3


class _RecordsBackward(layers.Layer):
    """The identity, counting its backward calls."""

    calls = 0

    def call(self, x, training):
        return x

    def backward(self, dout):
        type(self).calls += 1
        return dout


@pytest.mark.parametrize("activation", [None, "relu"])
def test_training_step_skips_only_the_unneeded_input_gradient(rng, activation):
    # train_on_batch backpropagates down to the first layer with parameters and asks it for its own grads
    # only: the same grads as the full backward, and no call at all into the layers before it
    def make():
        return ck.Sequential(
            [
                _RecordsBackward(input_shape=(2, 5, 5), dtype="float64"),
                layers.Conv2D(3, 3, activation=activation, seed=0, dtype="float64"),
                layers.Flatten(),
                layers.Dense(4, activation=activation, seed=1, dtype="float64"),
                layers.Dense(3, seed=2, dtype="float64"),
            ]
        )

    x = rng.standard_normal((6, 2, 5, 5))
    y = rng.integers(0, 3, 6)
    stepped, reference = make(), make()
    stepped.compile(optimizer=optimizers.SGD(lr=0.0), loss="cross_entropy")
    _RecordsBackward.calls = 0
    stepped.train_on_batch(x, y)
    assert _RecordsBackward.calls == 0
    out = reference.forward(x, training=True)
    reference.backward(ck.losses.get("cross_entropy")(out, y)[1])
    assert _RecordsBackward.calls == 1
    for (name, _, grad), (_, _, expected) in zip(stepped.named_parameters(), reference.named_parameters()):
        np.testing.assert_array_equal(grad, expected, err_msg=name)


# -- train_on_batch ------------------------------------------------------------------------------------------
def test_train_on_batch_returns_the_loss_and_metrics_as_keras_does(rng):
    x, y = blobs(rng, n=16)
    model = mlp()
    loss, accuracy = model.train_on_batch(x, y)
    assert isinstance(loss, float) and 0.0 <= accuracy <= 1.0
    logs = model.train_on_batch(x, y, return_dict=True)
    assert list(logs) == ["loss", "accuracy"] and logs["loss"] < loss
    model.compile(optimizer="sgd", loss="cross_entropy")
    assert isinstance(model.train_on_batch(x, y), float)


def test_train_on_batch_is_the_step_fit_takes(rng):
    x, y = blobs(rng, n=24)
    stepped, fitted = mlp(), mlp()
    logs = stepped.train_on_batch(x, y, return_dict=True)
    history = fitted.fit(x, y, epochs=1, batch_size=24, shuffle=False, verbose=0)
    assert logs == {key: values[0] for key, values in history.history.items()}
    for a, b in zip(stepped.get_weights(), fitted.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_train_on_batch_builds_the_model_and_checks_its_inputs_first(rng):
    x, y = blobs(rng, n=8)
    model = ck.Sequential([layers.Dense(3, seed=0)])
    with pytest.raises(RuntimeError, match="train_on_batch: call compile"):
        model.train_on_batch(x, y)
    model.compile(optimizer="sgd", loss="cross_entropy")
    with pytest.raises(ValueError, match=r"train_on_batch: x and y must have the same length. .*len\(y\)=7"):
        model.train_on_batch(x, y[:7])
    model.train_on_batch(x, y)
    assert model.built and model.input_shape == (4,)
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"train_on_batch: the model expects .* Received: x.shape=\(8, 5\)"):
        model.train_on_batch(np.zeros((8, 5)), y)
    with pytest.raises(TypeError, match=r"train_on_batch: y must hold integer .* Received: y.dtype"):
        model.train_on_batch(x, y.astype(np.float32))
    with pytest.raises(ValueError, match=r"train_on_batch: y must hold labels .* Received: y\[0\]=3"):
        model.train_on_batch(x, np.full(8, 3))
    with pytest.raises(TypeError, match=r"train_on_batch: x must be .* Received: x.dtype=complex"):
        model.train_on_batch(x.astype(complex), y)
    with pytest.raises(ValueError, match="train_on_batch: x holds no samples"):
        model.train_on_batch(x[:0], y[:0])
    for a, b in zip(model.get_weights(), weights):
        np.testing.assert_array_equal(a, b)


# -- callbacks fit adds -------------------------------------------------------------------------------------
def test_fit_returns_its_history_callback_run_after_the_given_callbacks(rng):
    x, y = blobs(rng, n=32)
    model = mlp()
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: 0.5**epoch)
    history = model.fit(x, y, epochs=2, batch_size=8, callbacks=[schedule], verbose=0)
    assert isinstance(history, callbacks.History) and model.history is history
    assert history.history["lr"] == [1.0, 0.5] and history.epoch == [0, 1]


def bn_mlp(seed=0):
    model = ck.Sequential(
        [layers.Dense(16, input_shape=(4,)), layers.BatchNorm(), layers.ReLU(), layers.Dense(3)]
    )
    model.compile(optimizer=optimizers.Adam(lr=1e-2), loss="cross_entropy")
    model.build(seed=seed)
    return model


def optimizer_state(model):
    return {key: value.copy() for key, value in model.optimizer.get_state().items()}


def assert_same_arrays(before, after):
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("use_terminate", [False, True])
def test_a_non_finite_batch_is_not_applied(rng, use_terminate):
    x, y = blobs(rng, n=32)
    model = bn_mlp()
    model.fit(x[:16], y[:16], batch_size=8, shuffle=False, verbose=0)  # optimizer slots exist
    weights, state = model.get_weights(), optimizer_state(model)
    bad = x.copy()
    bad[3, 0] = np.nan  # the first batch of the next fit
    if use_terminate:
        with pytest.warns(RuntimeWarning, match="TerminateOnNaN"):
            model.fit(bad, y, batch_size=8, shuffle=False, callbacks=[callbacks.TerminateOnNaN()], verbose=0)
    else:
        with pytest.raises(ValueError, match="training loss became nan"):
            model.fit(bad, y, batch_size=8, shuffle=False, verbose=0)
    assert_same_arrays(weights, model.get_weights())
    after = optimizer_state(model)
    assert after.keys() == state.keys()
    assert_same_arrays(list(state.values()), [after[key] for key in state])


def test_train_on_batch_skips_an_infinite_gradient(rng):
    x, y = blobs(rng, n=8)
    model = bn_mlp()
    model.train_on_batch(x, y)
    weights, state = model.get_weights(), optimizer_state(model)
    x[0, 0] = np.inf
    assert not np.isfinite(model.train_on_batch(x, y))
    assert_same_arrays(weights, model.get_weights())
    assert_same_arrays(list(state.values()), list(optimizer_state(model).values()))
    assert np.isfinite(model.train_on_batch(x[1:], y[1:]))  # the model still trains
