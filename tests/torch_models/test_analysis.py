"""count_parameters and receptive_field against values worked out by hand."""

import pytest
import torch
from torch import nn

import torch_models
from torch_models import count_parameters, receptive_field


def test_count_parameters():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))  # 16 + 10
    assert count_parameters(model) == 26
    model[0].weight.requires_grad_(False)
    assert count_parameters(model) == 14
    assert count_parameters(model, trainable_only=False) == 26
    with pytest.raises(TypeError, match=r"count_parameters: model must be a torch\.nn\.Module"):
        count_parameters([torch.zeros(3)])


def test_receptive_field_of_stacked_convs():
    three_3x3 = nn.Sequential(*[nn.Conv2d(2, 2, 3, padding=1) for _ in range(3)])
    assert receptive_field(three_3x3, 32) == (7, 7)
    strided = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2), nn.ReLU(), nn.Conv2d(4, 4, 3))  # 3 + 2 * 2
    assert receptive_field(strided, 32) == (7, 7)
    rectangular = nn.Sequential(nn.Conv2d(1, 1, (5, 3)))
    assert receptive_field(rectangular, (20, 10)) == (5, 3)
    assert receptive_field(nn.Conv2d(1, 1, 1), 8) == (1, 1)


def test_receptive_field_of_study_models():
    # conv3 -> 3, pool2 -> 4, conv3 (jump 2) -> 8, pool2 -> 10
    assert receptive_field(torch_models.lenet(), 28) == (10, 10)
    assert receptive_field(torch_models.simple_cnn(num_conv=2, width=4), 28) == (10, 10)
    plain, residual = (torch_models.BlockCNN(10, 1, (4, 4), residual=skip) for skip in (False, True))
    # skips add no context: the residual model sees exactly what the plain one sees
    assert receptive_field(residual, 28) == receptive_field(plain, 28) == (14, 14)


def test_receptive_field_is_clipped_to_the_input():
    model = torch_models.resnet18(num_classes=10, small_input=True)
    assert receptive_field(model, 16) == (16, 16)


def test_receptive_field_leaves_the_model_untouched():
    model = torch_models.lenet()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    receptive_field(model, 28)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert isinstance(model[2], nn.MaxPool2d)


def test_receptive_field_bad_arguments():
    with pytest.raises(ValueError, match=r"receptive_field: model has no Conv2d layer"):
        receptive_field(torch_models.mlp(), 28)
    with pytest.raises(
        TypeError, match=r"receptive_field: input_size must be an int or a \(height, width\) pair"
    ):
        receptive_field(torch_models.lenet(), "28")
    with pytest.raises(ValueError, match=r"receptive_field: input_size must be a positive int"):
        receptive_field(torch_models.lenet(), (0, 28))
