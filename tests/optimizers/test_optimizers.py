"""convkit.optimizers against torch.optim: the same trajectories step for step, state round trips, the
registry (get/serialize/deserialize) and argument checks."""

import io
import json
import re

import numpy as np
import pytest

import convkit
from convkit import _kernels, optimizers
from convkit.optimizers import SGD, Adam, Adamax, AdamW, RMSprop, registry
from convkit.optimizers.registry import OPTIMIZER_CLASSES

# dtype -> (rtol, atol) between convkit and torch trajectories (the issue asks 1e-5 and ~1e-12 relative)
TRAJECTORY_TOLERANCES = {
    np.float32: (1e-5, 1e-6),
    np.float64: (1e-12, 1e-13),
}

# (class name, shared by convkit.optimizers and torch.optim; constructor arguments): every option once
CASES = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.1, "weight_decay": 0.2}),
    ("RMSprop", {}),
    ("RMSprop", {"lr": 0.05, "alpha": 0.9, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.05, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.05, "centered": True}),
    ("RMSprop", {"lr": 0.05, "centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("Adam", {}),
    ("Adam", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("Adamax", {}),
    ("Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1}),
    ("AdamW", {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}),
]
CASE_IDS = [
    f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items()) or 'defaults'}" for name, kwargs in CASES
]
NAMES = ["SGD", "RMSprop", "Adam", "Adamax", "AdamW"]
STEPS = 25


def make_params(rng, dtype) -> dict[str, np.ndarray]:
    return {
        "dense/weight": rng.standard_normal((5, 3)).astype(dtype),
        "dense/bias": rng.standard_normal(3).astype(dtype),
    }


def gradient_sequence(rng, params, steps) -> list[dict[str, np.ndarray]]:
    """Random gradients whose scale changes by orders of magnitude, with some exact zeros."""
    sequence = []
    for _ in range(steps):
        scale = 10.0 ** rng.uniform(-3, 1)
        grads = {}
        for key, param in params.items():
            grad = scale * rng.standard_normal(param.shape)
            grad[rng.random(param.shape) < 0.1] = 0.0
            grads[key] = grad.astype(param.dtype)
        sequence.append(grads)
    return sequence


def run_steps(optimizer, params, sequence) -> None:
    for grads in sequence:
        optimizer.apply_gradients((key, params[key], grads[key]) for key in params)


def copy_params(params) -> dict[str, np.ndarray]:
    return {key: value.copy() for key, value in params.items()}


# -- parity with torch.optim -----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_matches_torch_step_for_step(name, kwargs, dtype, rng, torch):
    rtol, atol = TRAJECTORY_TOLERANCES[dtype]
    params = make_params(rng, dtype)
    sequence = gradient_sequence(rng, params, STEPS)
    torch_params = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    torch_optimizer = getattr(torch.optim, name)(list(torch_params.values()), foreach=False, **kwargs)
    optimizer = getattr(optimizers, name)(**kwargs)
    initial = copy_params(params)

    for step, grads in enumerate(sequence, start=1):
        grads_before = copy_params(grads)
        for key, tensor in torch_params.items():
            tensor.grad = torch.from_numpy(grads[key].copy())
        torch_optimizer.step()
        optimizer.apply_gradients((key, params[key], grads[key]) for key in params)

        # params[key] changes only through the optimizer's in-place update: comparing it checks both
        assert optimizer.iterations == step
        for key, tensor in torch_params.items():
            assert params[key].dtype == dtype
            np.testing.assert_allclose(
                params[key], tensor.detach().numpy(), rtol=rtol, atol=atol, err_msg=f"{key}, step {step}"
            )
            np.testing.assert_array_equal(grads[key], grads_before[key], err_msg="the gradient was modified")
    # the parameters moved far beyond the tolerance, so the comparison above is not vacuous
    assert all(np.abs(params[key] - initial[key]).max() > 1e-3 for key in params)


@pytest.mark.parametrize("name", NAMES)
def test_least_squares_training_matches_torch(name, torch):
    """Each side computes its own gradients of 0.5 * mean ||X w + b - y||^2 from its own weights."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 5))
    y = x @ rng.standard_normal((5, 2)) + 0.1 * rng.standard_normal((32, 2))
    params = {"weight": np.zeros((5, 2)), "bias": np.zeros(2)}
    torch_params = {key: torch.tensor(value, requires_grad=True) for key, value in params.items()}
    optimizer = getattr(optimizers, name)(lr=0.05)
    torch_optimizer = getattr(torch.optim, name)(list(torch_params.values()), lr=0.05, foreach=False)
    x_t, y_t = torch.from_numpy(x), torch.from_numpy(y)

    def loss(weight, bias):
        return 0.5 * float(((x @ weight + bias - y) ** 2).sum()) / len(x)

    initial_loss = loss(**params)
    for _ in range(40):
        residual = (x @ params["weight"] + params["bias"] - y) / len(x)  # (32, 2)
        grads = {"weight": x.T @ residual, "bias": residual.sum(axis=0)}
        optimizer.apply_gradients((key, params[key], grads[key]) for key in params)

        torch_optimizer.zero_grad()
        torch_loss = 0.5 * ((x_t @ torch_params["weight"] + torch_params["bias"] - y_t) ** 2).sum() / len(x)
        torch_loss.backward()
        torch_optimizer.step()

    for key, tensor in torch_params.items():
        np.testing.assert_allclose(params[key], tensor.detach().numpy(), rtol=1e-12, atol=1e-13)
    assert loss(**params) < 0.5 * initial_loss


@pytest.mark.parametrize("name", NAMES)
def test_defaults_are_torch_defaults(name, torch):
    config = getattr(optimizers, name)().get_config()
    torch_defaults = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert {key: torch_defaults[key] for key in config} == config


def test_adamw_decouples_weight_decay():
    """AdamW's decay shrinks the weights and stays out of the moments; Adam's enters the gradient."""
    param = np.array([2.0, -1.0])
    grad = np.array([0.5, 0.5])
    adamw, adam = AdamW(lr=0.1, weight_decay=0.5), Adam(lr=0.1, weight_decay=0.5)
    decoupled, coupled = param.copy(), param.copy()
    adamw.apply_gradients([("w", decoupled, grad)])
    adam.apply_gradients([("w", coupled, grad)])
    np.testing.assert_allclose(adamw.slots["w"]["exp_avg"], 0.1 * grad)
    np.testing.assert_allclose(adam.slots["w"]["exp_avg"], 0.1 * (grad + 0.5 * param))
    # first Adam step moves by lr * sign(g) (up to eps); AdamW shrinks first by (1 - lr * weight_decay)
    np.testing.assert_allclose(decoupled, param * (1 - 0.1 * 0.5) - 0.1 * np.sign(grad), rtol=1e-6)


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_compiled_step_equals_the_numpy_formula(name, kwargs, dtype, rng, simd):
    # C-contiguous parameters take the one-pass kernel, others the numpy formula; both give one trajectory,
    # at every SIMD level. 70,000 elements: several kernel jobs, on several threads.
    contiguous = {"w": rng.standard_normal((700, 100)).astype(dtype)}
    strided = {"w": np.asfortranarray(contiguous["w"])}
    sequence = gradient_sequence(rng, contiguous, 5)
    sequence[2]["w"][0, :3] = [np.nan, np.inf, -np.inf]
    kernel, formula = getattr(optimizers, name)(**kwargs), getattr(optimizers, name)(**kwargs)
    run_steps(kernel, contiguous, sequence)
    with np.errstate(invalid="ignore", divide="ignore"):  # numpy warns about the NaN it propagates
        run_steps(formula, strided, sequence)
    assert not strided["w"].flags.c_contiguous
    np.testing.assert_array_equal(contiguous["w"], strided["w"])  # the same roundings, in the same order
    assert kernel.slots["w"].keys() == formula.slots["w"].keys()
    for slot in kernel.slots["w"]:
        np.testing.assert_array_equal(kernel.slots["w"][slot], formula.slots["w"][slot])
    assert not np.isfinite(contiguous["w"][0, :3]).any()  # NaN and inf propagate as in numpy / torch
    assert np.isfinite(contiguous["w"][1:]).all()


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_one_compiled_call_steps_many_parameters_as_the_formula_does_each(
    name, kwargs, rng, simd, restore_threads
):
    # the compiled step takes every C-contiguous parameter of a step in one call (float32 and float64 in a
    # call each), its jobs of ~16K elements cutting across parameters; each parameter the same as the
    # formula's on its own, whatever its size (empty, one element, parts of several jobs) and the thread
    # count (from 64K elements a step runs on several threads)
    sizes = [(0,), (1,), (7, 3), (16 * 1024 + 3,), (70_000,), (5, 9, 2)]
    start = {f"p{i}": rng.standard_normal(size).astype(np.float32) for i, size in enumerate(sizes)}
    start.update({f"d{i}": rng.standard_normal(size) for i, size in enumerate(sizes[:4])})
    sequence = gradient_sequence(rng, start, 3)
    results = []
    for n_threads in (1, 2, 3):
        convkit.set_num_threads(n_threads)
        params = copy_params(start)
        run_steps(getattr(optimizers, name)(**kwargs), params, sequence)
        results.append(params)
    for key, value in start.items():  # the formula, one parameter at a time
        strided = {key: np.asfortranarray(np.stack([value, value]))[0]}
        assert strided[key].size < 2 or not strided[key].flags.c_contiguous
        run_steps(getattr(optimizers, name)(**kwargs), strided, [{key: grads[key]} for grads in sequence])
        for params in results:
            np.testing.assert_array_equal(params[key], strided[key], err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_a_parameter_given_twice_takes_both_updates_in_order(name, rng):
    # a layer used twice: one array under two keys, each with its own state, updated one after the other
    param = rng.standard_normal(40_000).astype(np.float32)
    grads = [rng.standard_normal(40_000).astype(np.float32) for _ in range(2)]
    twice = param.copy()
    getattr(optimizers, name)().apply_gradients([("a", twice, grads[0]), ("b", twice, grads[1])])
    expected = np.asfortranarray(np.stack([param, param]))[0]
    formula = getattr(optimizers, name)()
    formula.apply_gradients([("a", expected, grads[0]), ("b", expected, grads[1])])
    np.testing.assert_array_equal(twice, expected)


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@pytest.mark.parametrize(
    ("operands", "error", "message"),
    [
        ([(np.zeros(3, np.float32),) * 2], ValueError, "has 2 operands, not 4"),
        ([(np.zeros(3, np.float32),) * 3 + (np.zeros(2, np.float32),)], ValueError, "has 2 elements"),
        ([(np.zeros(3, np.float16),) * 4], ValueError, "operand 0 of parameter 0 is not d"),
        ([(np.zeros(3, np.float32),) * 3 + (np.zeros(3),)], ValueError, "is not f"),
        ([(np.zeros((3, 2), np.float32).T,) * 4], ValueError, "contiguous"),
        ([(np.zeros(3, np.float32),) * 2 + (None, np.zeros(3, np.float32))], TypeError, "not 'NoneType'"),
        ([(_read_only(np.zeros(3, np.float32)),) * 4], ValueError, "read-only"),
        ([("abc",) * 4], TypeError, "not 'str'"),
    ],
)
def test_the_compiled_step_refuses_operands_it_cannot_use(operands, error, message):
    # the kernel's own checks (optimizers/base.py passes it only sound operands): exceptions, never a crash
    with pytest.raises(error, match=message):
        _kernels.adamax_update(operands, 1e-3, 0.1, 0.999, 1e-8, 2)


def test_the_compiled_step_reads_a_read_only_gradient_and_skips_empty_parameters():
    param, grad = np.ones(3, np.float32), _read_only(np.ones(3, np.float32))
    _kernels.adamax_update(
        [(param, grad, np.zeros(3, np.float32), np.zeros(3, np.float32))], 0.5, 0.1, 0.9, 0, 1
    )
    np.testing.assert_allclose(param, 0.95)  # m = 0.1 * g = 0.1, u = max(0.9 * 0, |g|) = 1: 1 - 0.5 * 0.1
    _kernels.adamax_update([], 1e-3, 0.1, 0.999, 1e-8, 2)
    _kernels.adamax_update([(np.zeros((0, 4), np.float32),) * 4], 1e-3, 0.1, 0.999, 1e-8, 2)


# -- subnormal states ---------------------------------------------------------------------------------------
SUBNORMAL_STEPS = 12  # 1.01 * tiny * 0.999**12 < tiny: even Adam's slowest decay leaves the normal range
# the cases whose states decay under zero gradients: those with a state (SGD's only with momentum) and no
# coupled weight decay (which adds weight_decay * param to the zero gradient)
DECAYING_CASES = [
    (name, kwargs)
    for name, kwargs in CASES
    if (name != "SGD" or kwargs.get("momentum")) and (name == "AdamW" or not kwargs.get("weight_decay"))
]
DECAYING_IDS = [CASE_IDS[CASES.index(case)] for case in DECAYING_CASES]


def states_just_above_the_normal_range(name, kwargs, dtype, rng):
    """(params, optimizer) after one step, every state then set to 1.01 times the smallest normal number of
    ``dtype``: with zero gradients from then on, each decaying state falls below it."""
    params = {"w": rng.standard_normal((300, 100)).astype(dtype)}
    optimizer = getattr(optimizers, name)(**kwargs)
    run_steps(optimizer, params, gradient_sequence(rng, params, 1))
    for slot in optimizer.slots["w"].values():
        slot[...] = 1.01 * np.finfo(dtype).tiny
    return params, optimizer


@pytest.mark.parametrize(("name", "kwargs"), DECAYING_CASES, ids=DECAYING_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_state_decaying_below_the_normal_range_becomes_zero_in_both_paths(name, kwargs, dtype, simd):
    # subnormal floats are many times slower on Intel CPUs: the steps store 0 instead, the compiled step
    # and the numpy formula alike (the formula runs on a non-contiguous copy), bit for bit
    params, kernel = states_just_above_the_normal_range(name, kwargs, dtype, np.random.default_rng(5))
    strided, formula = states_just_above_the_normal_range(name, kwargs, dtype, np.random.default_rng(5))
    strided["w"] = np.asfortranarray(strided["w"])
    zeros = [{"w": np.zeros_like(params["w"])}] * SUBNORMAL_STEPS
    run_steps(kernel, params, zeros)
    run_steps(formula, strided, zeros)
    np.testing.assert_array_equal(params["w"], strided["w"])
    tiny = np.finfo(dtype).tiny
    for slot, state in kernel.slots["w"].items():
        np.testing.assert_array_equal(state, formula.slots["w"][slot], err_msg=slot)
        assert not ((state != 0) & (np.abs(state) < tiny)).any(), f"{slot} holds subnormal numbers"
    flushed = [slot for slot, state in kernel.slots["w"].items() if (state == 0).all()]
    assert flushed, "no state decayed to 0: the test did not reach the subnormal range"


@pytest.mark.parametrize(("name", "kwargs"), DECAYING_CASES, ids=DECAYING_IDS)
def test_flushing_subnormal_states_keeps_torchs_trajectory(name, kwargs, torch):
    # torch keeps the subnormal states; what they would add to the parameters is far below float32's
    # precision, so the parameters still match
    params, optimizer = states_just_above_the_normal_range(name, kwargs, np.float32, np.random.default_rng(6))
    param = torch.tensor(params["w"], requires_grad=True)
    torch_optimizer = getattr(torch.optim, name)([param], foreach=False, **kwargs)
    param.grad = torch.zeros_like(param)
    torch_optimizer.step()  # creates the state, which is then overwritten, as convkit's
    with torch.no_grad():
        param.copy_(torch.from_numpy(params["w"]))
    for slot, state in optimizer.slots["w"].items():
        torch_optimizer.state[param][slot] = torch.from_numpy(state.copy())
    for _ in range(SUBNORMAL_STEPS):
        param.grad = torch.zeros_like(param)
        torch_optimizer.step()
    run_steps(optimizer, params, [{"w": np.zeros_like(params["w"])}] * SUBNORMAL_STEPS)
    np.testing.assert_allclose(params["w"], param.detach().numpy(), *TRAJECTORY_TOLERANCES[np.float32])


# -- dtypes, state -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_float32_stays_float32(name, kwargs, rng):
    params = make_params(rng, np.float32)
    optimizer = getattr(optimizers, name)(**kwargs)
    optimizer.lr = np.float64(optimizer.lr)  # e.g. from a schedule: kept a Python float
    run_steps(optimizer, params, gradient_sequence(rng, params, 3))
    assert type(optimizer.lr) is float
    assert all(param.dtype == np.float32 for param in params.values())
    assert all(slot.dtype == np.float32 for slots in optimizer.slots.values() for slot in slots.values())


@pytest.mark.parametrize(("name", "kwargs"), CASES, ids=CASE_IDS)
def test_state_round_trip_continues_the_same_trajectory(name, kwargs, rng):
    params = make_params(rng, np.float64)
    sequence = gradient_sequence(rng, params, 20)

    uninterrupted = getattr(optimizers, name)(**kwargs)
    expected = copy_params(params)
    run_steps(uninterrupted, expected, sequence)

    first = getattr(optimizers, name)(**kwargs)
    resumed_params = copy_params(params)
    run_steps(first, resumed_params, sequence[:10])
    buffer = io.BytesIO()
    np.savez(buffer, **first.get_state())  # as the model's save file stores it
    buffer.seek(0)
    with np.load(buffer) as saved:
        state = dict(saved)
    resumed = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(first))))
    resumed.set_state(state)
    assert resumed.iterations == 10
    run_steps(resumed, resumed_params, sequence[10:])

    for key in params:
        np.testing.assert_array_equal(resumed_params[key], expected[key])


def test_get_state_is_a_snapshot(rng):
    params = make_params(rng, np.float64)
    sequence = gradient_sequence(rng, params, 4)
    optimizer = Adam(amsgrad=True)
    run_steps(optimizer, params, sequence[:2])
    state = optimizer.get_state()
    frozen = {key: value.copy() for key, value in state.items()}
    run_steps(optimizer, params, sequence[2:])
    assert sorted(state) == [
        "dense/bias/exp_avg",
        "dense/bias/exp_avg_sq",
        "dense/bias/max_exp_avg_sq",
        "dense/weight/exp_avg",
        "dense/weight/exp_avg_sq",
        "dense/weight/max_exp_avg_sq",
        "iterations",
    ]
    for key, value in state.items():
        np.testing.assert_array_equal(value, frozen[key])
    assert optimizer.iterations == 4 and int(state["iterations"]) == 2


def test_lr_change_takes_effect_on_the_next_step():
    param = np.array([1.0])
    optimizer = SGD(lr=0.1)
    optimizer.apply_gradients([("w", param, np.array([1.0]))])
    optimizer.lr = 0.01
    optimizer.apply_gradients([("w", param, np.array([1.0]))])
    np.testing.assert_allclose(param, [1.0 - 0.1 - 0.01])


# -- registry ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", OPTIMIZER_CLASSES.values(), ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("spelling", [str.lower, str.upper, lambda name: name])
def test_get_by_name_gives_defaults(cls, spelling):
    optimizer = optimizers.get(spelling(cls.__name__))
    assert type(optimizer) is cls
    assert optimizer.get_config() == cls().get_config()


def test_every_exported_optimizer_is_registered_and_checked_against_torch():
    exported = {getattr(optimizers, name) for name in optimizers.__all__}
    classes = {c for c in exported if isinstance(c, type) and c is not optimizers.Optimizer}
    assert classes == set(OPTIMIZER_CLASSES.values())
    assert {name for name, _ in CASES} == {cls.__name__ for cls in OPTIMIZER_CLASSES.values()}


def test_register_rejects_a_taken_name_and_non_optimizers(monkeypatch):
    monkeypatch.setattr(registry, "OPTIMIZER_CLASSES", dict(registry.OPTIMIZER_CLASSES))
    monkeypatch.setattr(registry, "_NAMED_OPTIMIZERS", dict(registry._NAMED_OPTIMIZERS))

    class Sgd(SGD):
        pass

    with pytest.raises(ValueError, match="another optimizer is already registered as 'sgd'"):
        optimizers.register(Sgd)
    with pytest.raises(TypeError, match="register: expected a subclass of Optimizer"):
        optimizers.register(dict)


def test_a_registered_optimizer_is_found_by_name(monkeypatch):
    monkeypatch.setattr(registry, "OPTIMIZER_CLASSES", dict(registry.OPTIMIZER_CLASSES))
    monkeypatch.setattr(registry, "_NAMED_OPTIMIZERS", dict(registry._NAMED_OPTIMIZERS))

    @optimizers.register
    class HalfStep(SGD):
        pass

    optimizers.register_preset("fast_half_step", HalfStep, lr=1.0)
    assert type(optimizers.get("halfstep")) is HalfStep
    assert optimizers.get("fast_half_step").lr == 1.0
    rebuilt = optimizers.deserialize(optimizers.serialize(HalfStep(lr=0.5)))
    assert type(rebuilt) is HalfStep and rebuilt.lr == 0.5


def test_get_momentum_is_sgd_with_momentum():
    optimizer = optimizers.get("Momentum")
    assert type(optimizer) is SGD
    assert optimizer.get_config() == SGD(momentum=0.9).get_config()


def test_get_returns_an_instance_as_is_and_builds_from_a_dict():
    optimizer = RMSprop(lr=0.1)
    assert optimizers.get(optimizer) is optimizer
    built = optimizers.get({"class_name": "RMSprop", "config": {"lr": 0.1, "centered": True}})
    assert type(built) is RMSprop and built.lr == 0.1 and built.centered


@pytest.mark.parametrize(
    "optimizer",
    [
        SGD(lr=0.2, momentum=0.8, dampening=0.1, weight_decay=1e-4),
        SGD(lr=0.2, momentum=0.8, nesterov=True),
        RMSprop(lr=0.2, alpha=0.9, eps=1e-6, momentum=0.5, weight_decay=1e-3, centered=True),
        Adam(lr=0.2, betas=(0.8, 0.9), eps=1e-7, weight_decay=1e-3, amsgrad=True),
        Adamax(lr=0.2, betas=(0.8, 0.9), eps=1e-7, weight_decay=1e-3),
        AdamW(lr=0.2, betas=(0.8, 0.9), eps=1e-7, weight_decay=0.3, amsgrad=True),
    ],
    ids=repr,
)
def test_serialize_deserialize_round_trip_through_json(optimizer):
    serialized = optimizers.serialize(optimizer)
    assert serialized == {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}
    rebuilt = optimizers.deserialize(json.loads(json.dumps(serialized)))
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == optimizer.get_config()
    assert repr(rebuilt) == repr(optimizer)


def test_unknown_names_list_the_known_ones():
    known = "Known optimizers: 'adam', 'adamax', 'adamw', 'momentum', 'rmsprop', 'sgd'"
    with pytest.raises(ValueError, match=re.escape(f"Unknown optimizer: 'adagrad'. {known}")):
        optimizers.get("adagrad")
    with pytest.raises(
        ValueError, match=re.escape("Known classes: 'Adam', 'AdamW', 'Adamax', 'RMSprop', 'SGD'")
    ):
        optimizers.deserialize({"class_name": "Adagrad", "config": {}})
    with pytest.raises(ValueError, match="class_name"):
        optimizers.deserialize({"config": {}})
    with pytest.raises(TypeError, match="Received: 42"):
        optimizers.get(42)
    with pytest.raises(TypeError, match="expected an Optimizer"):
        optimizers.serialize("adam")


# -- argument checks ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (SGD, {"lr": -0.1}, "SGD: lr must be a non-negative float. Received: lr=-0.1"),
        (SGD, {"momentum": -0.5}, "SGD: momentum must be a non-negative float. Received: momentum=-0.5"),
        (SGD, {"dampening": 1.5}, "SGD: dampening must be a float in [0, 1]. Received: dampening=1.5"),
        (
            SGD,
            {"weight_decay": -1},
            "SGD: weight_decay must be a non-negative float. Received: weight_decay=-1",
        ),
        (
            SGD,
            {"nesterov": True},
            "SGD: nesterov=True requires momentum > 0 and dampening=0. Received: momentum=0.0, dampening=0.0",
        ),
        (
            SGD,
            {"momentum": 0.9, "dampening": 0.1, "nesterov": True},
            "SGD: nesterov=True requires momentum > 0 and dampening=0. Received: momentum=0.9, dampening=0.1",
        ),
        (RMSprop, {"alpha": 1.5}, "RMSprop: alpha must be a float in [0, 1]. Received: alpha=1.5"),
        (RMSprop, {"eps": -1e-8}, "RMSprop: eps must be a non-negative float. Received: eps=-1e-08"),
        (
            RMSprop,
            {"momentum": float("nan")},
            "RMSprop: momentum must be a non-negative float. Received: momentum=nan",
        ),
        (Adam, {"betas": (0.9, 1.5)}, "Adam: betas must be two floats in [0, 1). Received: betas=(0.9, 1.5)"),
        (Adam, {"betas": (0.9, 0.99, 0.999)}, "Adam: betas must be two floats in [0, 1)."),
        (
            Adamax,
            {"betas": (1.0, 0.9)},
            "Adamax: betas must be two floats in [0, 1). Received: betas=(1.0, 0.9)",
        ),
        (Adamax, {"eps": -1.0}, "Adamax: eps must be a non-negative float. Received: eps=-1.0"),
        (AdamW, {"weight_decay": -0.01}, "AdamW: weight_decay must be a non-negative float."),
    ],
)
def test_bad_arguments_raise_value_error(cls, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        cls(**kwargs)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (SGD, {"momentum": 0.9, "nesterov": "yes"}, "SGD: nesterov must be a bool. Received: nesterov='yes'"),
        (SGD, {"lr": "0.1"}, "SGD: lr must be a non-negative float. Received: lr='0.1'"),
        (Adam, {"betas": 0.9}, "Adam: betas must be two floats in [0, 1). Received: betas=0.9"),
        (Adam, {"betas": (0.9, "0.99")}, "Adam: betas must be two floats in [0, 1)."),
        (Adam, {"lr": True}, "Adam: lr must be a non-negative float. Received: lr=True"),
        (RMSprop, {"centered": 1}, "RMSprop: centered must be a bool. Received: centered=1"),
        (Adam, {"amsgrad": None}, "Adam: amsgrad must be a bool. Received: amsgrad=None"),
    ],
)
def test_arguments_of_the_wrong_type_raise_type_error(cls, kwargs, message):
    with pytest.raises(TypeError, match=re.escape(message)):
        cls(**kwargs)


def test_setting_a_negative_lr_raises():
    optimizer = Adam()
    with pytest.raises(
        ValueError, match=re.escape("Adam: lr must be a non-negative float. Received: lr=-0.001")
    ):
        optimizer.lr = -1e-3
    assert optimizer.lr == 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_a_gradient_or_state_of_another_shape_is_refused_before_the_step(name):
    # the compiled steps read exactly param.size elements of the gradient and of every slot
    optimizer = getattr(optimizers, name)(**({"momentum": 0.9} if name == "SGD" else {}))
    param = np.zeros(10, np.float32)
    with pytest.raises(ValueError, match=r"the gradient of 'w' must have its parameter's shape \(10,\)"):
        optimizer.apply_gradients([("w", param, np.zeros(3, np.float32))])
    optimizer.apply_gradients([("w", param, np.ones(10, np.float32))])
    before = {k: v.copy() for k, v in optimizer.slots["w"].items()}
    with pytest.raises(ValueError, match="the state of 'w' was built for a parameter of another shape"):
        optimizer.apply_gradients([("w", np.zeros(20, np.float32), np.ones(20, np.float32))])
    for slot, value in before.items():
        np.testing.assert_array_equal(optimizer.slots["w"][slot], value)
    with pytest.raises(TypeError, match="the parameter 'w' must be a float ndarray. Received: list"):
        optimizer.apply_gradients([("w", [0.0], np.ones(1))])
    with pytest.raises(ValueError, match="could not be broadcast"):  # update_step called directly
        optimizer.update_step(param, np.zeros(3, np.float32), optimizer.slots["w"])
