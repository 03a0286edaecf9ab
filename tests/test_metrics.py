"""convkit.metrics: the registry and exact values of every metric on hand-made logits."""

import re

import numpy as np
import pytest

from convkit import metrics

# logits (N=4, K=7) whose ranking is known: row i ranks the classes in the order given
RANKINGS = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6],
        [6, 5, 4, 3, 2, 1, 0],
        [3, 0, 6, 1, 5, 2, 4],
        [2, 4, 6, 0, 1, 3, 5],
    ]
)
LOGITS = np.zeros(RANKINGS.shape)
for row, ranking in enumerate(RANKINGS):
    LOGITS[row, ranking] = np.arange(7)[::-1]  # the first class of the ranking scores highest

# registered name -> (labels, expected value) on LOGITS
CASES = {
    "accuracy": (np.array([0, 6, 0, 2]), 0.75),  # rows 0, 1, 3 have their label first; row 2 ranks it 2nd
    "top5": (np.array([4, 1, 6, 3]), 0.5),  # ranks 5, 6, 3, 6: rows 0 and 2 are in the top five
}


def test_every_registered_metric_has_a_case():
    assert set(metrics.METRICS) == set(CASES)


@pytest.mark.parametrize("name", sorted(metrics.METRICS))
def test_metric_values(name):
    y, expected = CASES[name]
    assert metrics.get(name) is metrics.METRICS[name]
    assert metrics.get(name)(LOGITS, y) == expected


def test_top5_is_one_when_there_are_at_most_five_classes():
    assert metrics.top5_accuracy(LOGITS[:, :5], np.array([4, 3, 2, 1])) == 1.0


def test_unknown_metric_lists_the_known_ones():
    with pytest.raises(
        ValueError, match=re.escape("Expected one of ['accuracy', 'top5']. Received: metric='f1'")
    ):
        metrics.get("f1")


def test_register_a_custom_metric():
    @metrics.register("error_rate")
    def error_rate(logits, y):
        return 1.0 - metrics.accuracy(logits, y)

    try:
        assert metrics.get("error_rate") is error_rate
        assert metrics.get("error_rate")(LOGITS, CASES["accuracy"][0]) == 0.25
        with pytest.raises(ValueError, match="another metric is already registered as 'accuracy'"):
            metrics.register("accuracy")(error_rate)
    finally:
        del metrics.METRICS["error_rate"]
