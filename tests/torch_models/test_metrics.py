"""Confusion matrix, accuracy and macro-F1 against counts worked out by hand."""

import pytest
import torch

from torch_models.train import accuracy, confusion_matrix, macro_f1


def test_confusion_matrix_rows_are_true_classes():
    targets = torch.tensor([0, 0, 1, 1, 1, 2])
    predictions = torch.tensor([0, 1, 1, 1, 0, 2])
    expected = torch.tensor([[1, 1, 0], [1, 2, 0], [0, 0, 1]])
    assert torch.equal(confusion_matrix(predictions, targets, 3), expected)


def test_accuracy_and_macro_f1():
    confusion = torch.tensor([[1, 1, 0], [1, 2, 0], [0, 0, 1]])
    assert accuracy(confusion) == pytest.approx(4 / 6)
    # F1 per class: 2TP / (2TP + FP + FN) = 2/4, 4/6, 2/2
    assert macro_f1(confusion) == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)


def test_macro_f1_leaves_out_classes_never_seen():
    confusion = torch.zeros(4, 4, dtype=torch.int64)
    confusion[0, 0] = 3
    confusion[1, 1] = 2
    assert macro_f1(confusion) == 1.0
    assert accuracy(torch.zeros(2, 2, dtype=torch.int64)) == 0.0
