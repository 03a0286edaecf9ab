"""fit on a torch DataLoader: the same training as on the arrays it serves."""

import numpy as np
import pytest

from convkit import Sequential, layers, optimizers

torch = pytest.importorskip("torch", reason="fit on a torch DataLoader")


def test_a_dataloader_trains_as_its_arrays():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 1, 4, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=30)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8
    )
    models = []
    for _ in range(2):
        model = Sequential([layers.Conv2D(2, 3, input_shape=(1, 4, 4)), layers.Flatten(), layers.Dense(3)])
        model.compile(optimizer=optimizers.SGD(lr=0.1), loss="cross_entropy")
        model.build(seed=1)
        models.append(model)
    expected = models[0].fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0, validation_data=(x, y))
    history = models[1].fit(loader, epochs=2, verbose=0, validation_data=loader)
    assert history.history == expected.history
