"""Classification metrics from a confusion matrix, which sums across batches and processes."""

from __future__ import annotations

import torch


def confusion_matrix(predictions: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(num_classes, num_classes) int64 counts; row = true class, column = predicted class."""
    pairs = targets.reshape(-1).long() * num_classes + predictions.reshape(-1).long()  # (N,)
    return torch.bincount(pairs, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def accuracy(confusion: torch.Tensor) -> float:
    """Share of correct predictions."""
    total = int(confusion.sum())
    return int(confusion.diagonal().sum()) / total if total > 0 else 0.0


def macro_f1(confusion: torch.Tensor) -> float:
    """Unweighted mean over classes of F1 = 2 TP / (2 TP + FP + FN).

    Classes that neither occur nor are predicted are left out of the mean (as scikit-learn does when the
    labels are taken from the data).
    """
    confusion = confusion.double()
    tp = confusion.diagonal()
    fp = confusion.sum(0) - tp  # predicted as the class, wrongly
    fn = confusion.sum(1) - tp  # of the class, predicted as another
    denominator = 2 * tp + fp + fn
    seen = denominator > 0
    if not seen.any():
        return 0.0
    return float((2 * tp[seen] / denominator[seen]).mean())
