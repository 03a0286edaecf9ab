"""convkit.metrics: the registry, exact values of every metric on hand-made logits, the macro metrics and
the confusion matrix against scikit-learn's definitions written out by hand, and epoch-level values in fit."""

import re

import numpy as np
import pytest

import convkit as ck
from convkit import layers, metrics

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
    "acc": (np.array([0, 6, 0, 2]), 0.75),  # Keras's name of accuracy
    "top5": (np.array([4, 1, 6, 3]), 0.5),  # ranks 5, 6, 3, 6: rows 0 and 2 are in the top five
    # predictions [0, 6, 3, 2], labels [0, 6, 0, 2]: classes 0, 2, 3, 6 present; per class
    # precision 1, 1, 0 (3 predicted, never true), 1; recall 1/2, 1, 0 (3 never true), 1;
    # f1 = 2 tp / (true + predicted) = 2/3, 1, 0, 1
    "precision": (np.array([0, 6, 0, 2]), 0.75),
    "recall": (np.array([0, 6, 0, 2]), 0.625),
    "f1": (np.array([0, 6, 0, 2]), 2 / 3),
}


def test_every_registered_metric_has_a_case():
    assert set(metrics.METRICS) == set(CASES)


@pytest.mark.parametrize("name", sorted(metrics.METRICS))
def test_metric_values(name):
    y, expected = CASES[name]
    assert metrics.get(name) is metrics.METRICS[name]
    assert metrics.get(name)(LOGITS, y) == pytest.approx(expected, rel=1e-15)


def test_top5_is_one_when_there_are_at_most_five_classes():
    assert metrics.top5_accuracy(LOGITS[:, :5], np.array([4, 3, 2, 1])) == 1.0


def test_unknown_metric_lists_the_known_ones():
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Expected one of ['acc', 'accuracy', 'f1', 'precision', 'recall', 'top5']. Received: metric='auc'"
        ),
    ):
        metrics.get("auc")


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


# -- scikit-learn's definitions, written out ---------------------------------------------------------------
def sklearn_confusion_matrix(y_true, y_pred, num_classes):
    """sklearn.metrics.confusion_matrix(y_true, y_pred, labels=range(num_classes)): a loop over samples."""
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def sklearn_macro(y_true, y_pred, metric):
    """precision/recall/f1_score(y_true, y_pred, average="macro"), zero_division="warn" -> 0: the labels are
    the sorted union of y_true and y_pred; a zero denominator gives 0."""
    scores = []
    for label in sorted(set(y_true) | set(y_pred)):
        tp = sum(t == label and p == label for t, p in zip(y_true, y_pred))
        predicted = sum(p == label for p in y_pred)
        true = sum(t == label for t in y_true)
        precision = tp / predicted if predicted else 0.0
        recall = tp / true if true else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append({"precision": precision, "recall": recall, "f1": f1}[metric])
    return sum(scores) / len(scores)


@pytest.mark.parametrize("metric", ["precision", "recall", "f1"])
@pytest.mark.parametrize("seed", range(5))
def test_macro_metrics_match_sklearn_definition(metric, seed):
    rng = np.random.default_rng(seed)
    K = 6
    y = rng.integers(0, 4, size=30)  # classes 4 and 5 never true
    logits = rng.standard_normal((30, K))
    logits[:, 0] -= 5  # class 0 rarely or never predicted
    predictions = np.argmax(logits, axis=1)
    expected = sklearn_macro(y.tolist(), predictions.tolist(), metric)
    assert metrics.get(metric)(logits, y) == pytest.approx(expected, rel=1e-12)


def test_confusion_matrix_matches_sklearn_definition(rng):
    y_true, y_pred = rng.integers(0, 5, size=50), rng.integers(0, 4, size=50)
    cm = metrics.confusion_matrix(y_true, y_pred, num_classes=6)
    np.testing.assert_array_equal(cm, sklearn_confusion_matrix(y_true, y_pred, 6))
    assert cm.dtype == np.int64 and cm.shape == (6, 6) and cm.sum() == 50
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 1, 1], [1, 1, 0], 2), [[0, 1], [1, 1]])


def test_confusion_matrix_checks_its_arguments():
    with pytest.raises(ValueError, match=re.escape("y must hold labels in [0, 3). Received: y[1]=3")):
        metrics.confusion_matrix([0, 1], [0, 3], 3)
    with pytest.raises(ValueError, match=r"y must have shape \(2,\)"):
        metrics.confusion_matrix([0, 1], [0, 1, 2], 3)
    with pytest.raises(ValueError, match="num_classes must be a positive int. Received: num_classes=0"):
        metrics.confusion_matrix([0], [0], 0)


def test_fit_reports_macro_metrics_over_the_whole_epoch():
    """The epoch's precision/recall/f1 are those of all its predictions, not a mean of batch values; the
    per-batch metrics (accuracy) stay the batch mean, which for them is the same thing."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 5)), rng.integers(0, 3, size=40)
    model = ck.Sequential([layers.Dense(3, input_shape=(5,), seed=0, dtype="float64")])
    model.compile(optimizer=ck.optimizers.SGD(lr=0.0), metrics=["accuracy", "precision", "recall", "f1"])
    batch_values = []

    class Batches(ck.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            batch_values.append(logs["f1"])

    history = model.fit(x, y, batch_size=7, epochs=1, shuffle=False, verbose=0, callbacks=[Batches()])
    predictions = np.argmax(model.predict(x), axis=1)  # lr=0: the same weights all epoch long
    for metric in ("precision", "recall", "f1"):
        expected = sklearn_macro(y.tolist(), predictions.tolist(), metric)
        assert history.history[metric] == [pytest.approx(expected, rel=1e-12)]
        assert model.evaluate(x, y, verbose=0)[metric] == pytest.approx(expected, rel=1e-12)
    sizes = [7] * 5 + [5]
    assert history.history["f1"][0] != pytest.approx(np.average(batch_values, weights=sizes))
    assert history.history["accuracy"] == [pytest.approx(np.mean(predictions == y))]
