"""save / load_model: one .npz with the architecture, weights, running stats, optimizer state."""

import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import pytest

import convkit as ck
from convkit import layers, optimizers, saving


def small_convnet(dropout=0.2):
    model = ck.Sequential(
        [
            layers.Conv2D(4, 3, padding="same", input_shape=(1, 8, 8)),
            layers.BatchNorm(),
            layers.ReLU(),
            layers.MaxPool2D(2),
            layers.Flatten(),
            layers.Dropout(dropout),
            layers.Dense(3),
        ]
    )
    model.compile(optimizer=optimizers.Adamax(lr=5e-3), loss="cross_entropy", metrics=["accuracy"])
    model.build(seed=3)
    return model


@pytest.fixture
def data_dir():
    return pathlib.Path(__file__).parent / "data"


@pytest.fixture
def data(rng):
    x = rng.normal(size=(48, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, size=48)
    return x, y


def test_round_trip_keeps_architecture_weights_and_outputs(tmp_path, data):
    x, y = data
    model = small_convnet()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = ck.load_model(path)
    assert [type(a) for a in loaded.layers] == [type(b) for b in model.layers]
    assert loaded.get_config() == model.get_config()
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert isinstance(loaded.optimizer, optimizers.Adamax) and loaded.optimizer.lr == 5e-3
    assert loaded.loss == "cross_entropy" and loaded.metrics == ["accuracy"]
    assert loaded.optimizer.iterations == model.optimizer.iterations == 3


def test_resuming_from_a_file_continues_exactly(tmp_path, data):
    x, y = data
    uninterrupted = small_convnet(dropout=0.0)  # a restarted dropout stream would differ
    uninterrupted.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, seed=0)

    first_half = small_convnet(dropout=0.0)
    first_half.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0, seed=0)
    first_half.save(tmp_path / "half.npz")
    resumed = ck.load_model(tmp_path / "half.npz")
    resumed.fit(x, y, epochs=2, initial_epoch=1, batch_size=16, shuffle=False, verbose=0, seed=0)
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_uncompiled_model_saves_and_loads(tmp_path):
    model = ck.Sequential([layers.Dense(2, input_shape=(3,))])
    model.save(tmp_path / "m.npz")
    loaded = ck.load_model(tmp_path / "m.npz")
    assert loaded.optimizer is None
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, data, monkeypatch):
    model = small_convnet()
    path = tmp_path / "model.npz"
    model.save(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_truncated_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "model.npz"
    small_convnet().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="not a readable convkit model file"):
        ck.load_model(path)


def test_corrupted_bytes_give_a_clear_error(tmp_path):
    path = tmp_path / "model.npz"
    small_convnet().save(path)
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="convkit model file"):
        ck.load_model(path)


def test_foreign_npz_is_rejected(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a readable convkit model file"):
        ck.load_model(path)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        ck.load_model(tmp_path / "absent.npz")


def test_a_file_saved_by_an_earlier_convkit_loads_and_predicts_the_same(data_dir):
    # written by convkit before saving and the weights walk were reorganised: conv, batch norm, a residual
    # block, pooling, dropout, dense layers, Adam's state
    model = ck.load_model(data_dir / "sequential_v1.npz")
    expected = np.load(data_dir / "sequential_v1_predictions.npz")
    assert [type(layer).__name__ for layer in model.layers][3] == "Residual"
    assert isinstance(model.optimizer, optimizers.Adam) and model.optimizer.iterations > 0
    # the same weights give the same predictions to float32 rounding (kernels may round differently from
    # version to version; a weight restored wrong is off by far more)
    np.testing.assert_allclose(model.predict(expected["x"]), expected["predictions"], rtol=1e-4, atol=1e-6)


def tiny_model():
    """A few-KB model file: one Dense layer, Adam's slots after one step."""
    model = ck.Sequential([layers.Dense(3, input_shape=(2,))])
    model.compile(optimizer="adam", loss="cross_entropy")
    model.build(seed=0)
    model.train_on_batch(np.ones((2, 2), np.float32), np.array([0, 1]))
    return model


def patched(data: bytes, signature: bytes, offset: int, value: int) -> bytes:
    """``data`` with byte ``offset`` of every zip record starting with ``signature`` set to ``value``."""
    out = bytearray(data)
    start = out.find(signature)
    while start >= 0:
        out[start + offset] = value
        start = out.find(signature, start + 1)
    return bytes(out)


LOCAL, CENTRAL = b"PK\x03\x04", b"PK\x01\x02"


def flipped_header_length(data: bytes, member: bytes) -> bytes:
    """``data`` with the lowest bit of the ``.npy`` header length of ``member`` flipped (the header then
    ends inside its dict, where numpy's tokenizer fails)."""
    magic = data.index(b"\x93NUMPY\x01\x00", data.index(member))
    out = bytearray(data)
    out[magic + 8] ^= 1
    return bytes(out)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda d: patched(patched(d, LOCAL, 8, 99), CENTRAL, 10, 99),  # an unknown compression method
        lambda d: patched(patched(d, LOCAL, 6, 1), CENTRAL, 8, 1),  # "encrypted" flag
        lambda d: flipped_header_length(d, b"__model__.npy"),
        lambda d: patched(d, CENTRAL, 24, 0x7F),  # uncompressed size of every member
    ],
    ids=["compression", "encryption", "npy-header-length", "member-size"],
)
def test_a_corrupted_zip_record_is_a_value_error_naming_the_file(tmp_path, corrupt):
    path = tmp_path / "model.npz"
    small_convnet().save(path)
    path.write_bytes(corrupt(path.read_bytes()))
    with pytest.raises(ValueError, match="model.npz is not a readable convkit model file"):
        ck.load_model(path)


def rewritten(path, change):
    """Rewrite the model file at ``path`` after ``change(header, arrays)`` edited its content in place."""
    header, arrays = saving.read(path)
    change(header, arrays)
    saving.write(path, {k: v for k, v in header.items() if k not in ("format", "version")}, arrays)


def set_array(name, value):
    def change(header, arrays):
        arrays[name] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (set_array("params/0/weight", np.float32(0.5)), r"'params/0/weight' must have shape \(2, 3\)"),
        (set_array("params/0/bias", np.zeros(3, np.float64)), "dtype float32"),
        (set_array("optimizer/0.weight/exp_avg", np.zeros((3, 2), np.float32)), "exp_avg' must have shape"),
        (set_array("optimizer/iterations", np.array(-1)), "negative step count"),
        (set_array("params/0/extra", np.zeros(1, np.float32)), r"unexpected \['params/0/extra'\]"),
        (lambda h, a: a.pop("optimizer/0.bias/exp_avg_sq"), r"missing \['optimizer/0.bias/exp_avg_sq'\]"),
        (lambda h, a: a.pop("params/0/bias"), r"missing \['params/0/bias'\]"),
        (lambda h, a: h.update(input_shape=[1, 60000, 60000]), "input_shape must hold at most"),
        (lambda h, a: h.update(input_shape=[2, 0]), "input_shape must be a list of positive ints"),
        (lambda h, a: h.update(input_shape="2"), "input_shape must be a list of positive ints"),
    ],
    ids=[
        "0-d-weight",
        "float64-bias",
        "slot-shape",
        "negative-iterations",
        "extra-array",
        "missing-slot",
        "missing-weight",
        "huge-input-shape",
        "zero-input-shape",
        "string-input-shape",
    ],
)
def test_an_inconsistent_file_is_a_value_error_naming_the_file(tmp_path, change, message):
    path = tmp_path / "model.npz"
    tiny_model().save(path)
    rewritten(path, change)
    with pytest.raises(ValueError, match=f"model.npz does not describe a consistent model: .*{message}"):
        ck.load_model(path)


def test_a_layer_output_too_large_is_rejected_before_any_weight_is_allocated(tmp_path):
    path = tmp_path / "model.npz"
    tiny_model().save(path)

    def huge_dense(header, arrays):
        header["config"]["layers"][0]["config"]["units"] = 2**40

    rewritten(path, huge_dense)
    with pytest.raises(ValueError, match="the output of .* must hold at most"):
        ck.load_model(path)


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_saved_file_gets_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        tiny_model().save(tmp_path / "model.npz")
    finally:
        os.umask(previous)
    assert os.stat(tmp_path / "model.npz").st_mode & 0o777 == mode


def test_the_next_save_removes_the_stale_temporaries_of_its_target(tmp_path):
    path = tmp_path / "model.npz"
    names = [".model.npz.0123456789abcdef.convkit.tmp", ".model.npz.fedcba9876543210.convkit.tmp"]
    for name in names:
        (tmp_path / name).write_bytes(b"half a model")
    stale = time.time() - saving.STALE_SECONDS - 60
    os.utime(tmp_path / names[0], (stale, stale))  # a save killed over an hour ago
    other = tmp_path / ".other.npz.0123456789abcdef.convkit.tmp"  # another target's
    other.write_bytes(b"")
    os.utime(other, (stale, stale))
    tiny_model().save(path)
    assert sorted(os.listdir(tmp_path)) == sorted([names[1], other.name, "model.npz"])


def test_saving_into_a_missing_folder_names_the_target(tmp_path):
    target = tmp_path / "absent" / "model.npz"
    with pytest.raises(FileNotFoundError) as info:
        tiny_model().save(target)
    assert info.value.filename == str(target) and "tmp" not in str(info.value).replace(str(tmp_path), "")


def loaded_or_value_error(path, weights, state):
    """``"same"`` if the file at ``path`` loads back ``weights`` and optimizer ``state`` bit for bit,
    ``"ValueError"`` if it is rejected; any other exception propagates and fails the test."""
    try:
        model = ck.load_model(path)
    except ValueError:
        return "ValueError"
    loaded = [*model.get_weights(), *model.optimizer.get_state().values()]
    assert [(a.dtype, a.shape, a.tobytes()) for a in loaded] == [
        (a.dtype, a.shape, a.tobytes()) for a in [*weights, *state]
    ]
    return "same"


def test_every_flipped_byte_and_every_truncation_loads_the_same_or_is_a_value_error(tmp_path):
    source, path = tmp_path / "model.npz", tmp_path / "damaged.npz"
    model = tiny_model()
    model.save(source)
    data = source.read_bytes()
    assert len(data) < 8000
    weights, state = model.get_weights(), list(model.optimizer.get_state().values())
    outcomes = []
    for position in range(len(data)):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        path.write_bytes(bytes(damaged))
        outcomes.append(loaded_or_value_error(path, weights, state))
    for length in range(len(data)):
        path.write_bytes(data[:length])
        assert loaded_or_value_error(path, weights, state) == "ValueError"
    assert outcomes.count("ValueError") > len(data) // 2  # most bytes are CRC-protected member data


KILLED_SAVER = """
import sys
import numpy as np
import convkit as ck
from convkit import callbacks, layers

path, mode = sys.argv[1], sys.argv[2]
model = ck.Sequential([layers.Dense(512, input_shape=(256,)), layers.ReLU(), layers.Dense(10)])
model.compile(optimizer="adam", loss="cross_entropy")
model.build(seed=0)
model.save(path)
print("ready", flush=True)
if mode == "save":
    for k in range(1, 10**6):  # version k: every weight equal to k
        model.set_weights([np.full_like(w, k) for w in model.get_weights()])
        model.save(path)
else:
    x, y = np.ones((8, 256), np.float32), np.zeros(8, np.int64)
    model.fit(x, y, epochs=10**6, batch_size=8, callbacks=[callbacks.ModelCheckpoint(path)], verbose=0)
"""


@pytest.mark.parametrize("mode", ["save", "checkpoint"])
def test_a_save_killed_at_any_moment_leaves_the_previous_file_loadable(tmp_path, mode):
    path = tmp_path / "model.npz"
    rng = np.random.default_rng(0)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    initial = ck.Sequential([layers.Dense(512, input_shape=(256,)), layers.ReLU(), layers.Dense(10)])
    initial.build(seed=0)
    initial = initial.get_weights()
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_SAVER, str(path), mode], stdout=subprocess.PIPE, env=env
        )
        try:
            assert child.stdout.readline() == b"ready\n"
            time.sleep(rng.uniform(0.0, 0.3))
        finally:
            child.kill()  # SIGKILL: no cleanup runs
            child.wait(timeout=30)
            child.stdout.close()
        weights = ck.load_model(path).get_weights()
        if mode == "save":  # the built weights or a whole version k, never a mixture
            k = weights[0].flat[0]
            built = all(np.array_equal(a, b) for a, b in zip(weights, initial))
            assert built or all(np.array_equal(w, np.full_like(w, k)) for w in weights)
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".convkit.tmp")]
    stale = time.time() - saving.STALE_SECONDS - 1
    for leftover in leftovers:
        os.utime(leftover, (stale, stale))
    ck.load_model(path).save(path)
    assert os.listdir(tmp_path) == ["model.npz"]


def test_the_newer_layers_save_and_load_with_their_weights(tmp_path, rng):
    model = ck.Sequential(
        [
            layers.ZeroPadding2D(((1, 0), (0, 1)), input_shape=(2, 5, 6)),
            layers.Conv2D(4, 3, padding=1, activation="softplus"),
            layers.GroupNorm(2),
            layers.PReLU(4),
            layers.MaxPool2D(3, stride=2, padding=1, ceil_mode=True),
            layers.UpSampling2D(2, "bilinear"),
            layers.AvgPool2D(2, padding=1, count_include_pad=False),
            layers.AdaptiveAvgPool2D((2, 3)),
            layers.LayerNorm(),
            layers.ELU(0.5),
            layers.GlobalMaxPool2D(),
            layers.Dense(3, activation="gelu"),
            layers.SiLU(),
        ]
    )
    model.build(seed=0)
    for layer in model.layers:
        for value in layer.params.values():
            value += rng.uniform(0.1, 0.2, value.shape).astype(value.dtype)
    path = tmp_path / "newer.npz"
    model.save(path)
    loaded = ck.load_model(path)
    x = rng.standard_normal((3, 2, 5, 6)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert [layer.get_config() for layer in loaded.layers] == [layer.get_config() for layer in model.layers]
    rows = []
    model.summary(print_fn=rows.append)
    for kind in ("GroupNorm", "PReLU", "UpSampling2D", "AdaptiveAvgPool2D", "LayerNorm", "GlobalMaxPool2D"):
        assert f"({kind})" in rows[0]
    assert "(None, 4, 2, 3)" in rows[0] and "Conv2D + softplus" in rows[0]
