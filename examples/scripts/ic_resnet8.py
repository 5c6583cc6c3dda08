"""ic_resnet8: MLPerf Tiny image-classification ResNet-8 for CIFAR-10 (PyTorch, NCHW).

Follows the MLPerf Tiny reference (image_classification/keras_model.py, resnet_v1_eembc):
input 32x32x3; Conv 3x3 16 + BN + ReLU;
stack 1: Conv3x3 16 +BN+ReLU, Conv3x3 16 +BN, Add(identity), ReLU;
stack 2: Conv3x3 32 s2 +BN+ReLU, Conv3x3 32 +BN, 1x1 Conv 32 s2 shortcut, Add, ReLU;
stack 3: same with 64 channels;
AvgPool 8x8, Flatten, Dense 10, Softmax.
(The reference's first stack uses an identity shortcut because shapes match; stacks 2 and 3
have the 1x1 stride-2 shortcut convolutions.) Random weights, data-measured BN statistics.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from common import (model_dir, quantize, report, save_calibration,
                    seed_everything, smooth_noise)
from onnxruntime.quantization import QuantType
from torch_util import export, set_bn_statistics

NAME = "ic_resnet8"
SEED = 2024
N_CALIB = 32


class Stack(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride, 0) if (stride != 1 or cin != cout) else None

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return torch.relu(y + s)


class ResNet8(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.conv = nn.Conv2d(3, 16, 3, 1, 1)
        self.bn = nn.BatchNorm2d(16)
        self.stack1 = Stack(16, 16, 1)
        self.stack2 = Stack(16, 32, 2)
        self.stack3 = Stack(32, 64, 2)
        self.pool = nn.AvgPool2d(8)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = self.stack3(self.stack2(self.stack1(x)))
        x = torch.flatten(self.pool(x), 1)
        return torch.softmax(self.fc(x), dim=1)


def calibration_data(rng: np.random.Generator, n: int) -> np.ndarray:
    """CIFAR-like images in [0, 1]: smooth colour noise, NCHW."""
    x = smooth_noise(rng, (n, 3, 32, 32), axes=(2, 3), passes=4)
    x = x + 0.5 * smooth_noise(rng, (n, 1, 32, 32), axes=(2, 3), passes=4)  # shared luminance
    return np.clip(0.5 + 0.2 * x, 0.0, 1.0).astype(np.float32)


def main():
    seed_everything(SEED)
    d = model_dir(NAME)
    rng = np.random.default_rng(SEED)
    calib = calibration_data(rng, N_CALIB)
    model = ResNet8()
    set_bn_statistics(model, calibration_data(np.random.default_rng(SEED + 1), 256), rng)

    fp = d / f"{NAME}_float.onnx"
    export(model, (1, 3, 32, 32), fp)
    save_calibration(d / "calibration.npy", calib)
    q8 = d / f"{NAME}_int8.onnx"
    qu8 = d / f"{NAME}_uint8.onnx"
    qpt = d / f"{NAME}_int8_pertensor.onnx"
    quantize(fp, q8, calib)
    quantize(fp, qu8, calib, activation_type=QuantType.QUInt8)
    quantize(fp, qpt, calib, per_channel=False)
    return report(NAME, f"torch {torch.__version__} torch.onnx.export(dynamo=False, opset_version=13)", fp,
                  {"int8": q8, "uint8_activations": qu8, "int8_per_tensor": qpt}, calib, classifier=True)


if __name__ == "__main__":
    main()
