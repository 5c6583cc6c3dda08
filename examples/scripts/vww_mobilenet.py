"""vww_mobilenet: MLPerf Tiny visual-wake-words MobileNetV1 alpha 0.25 (PyTorch, NCHW).

Follows the MLPerf Tiny reference (visual_wake_words/vww_model.py, mobilenet_v1 with
alpha 0.25): input 96x96x3; Conv 3x3 s2 8 + BN + ReLU; 13 depthwise-separable blocks
[DW 3x3 + BN + ReLU, PW 1x1 + BN + ReLU] with (channels, stride)
(16,1) (32,2) (32,1) (64,2) (64,1) (128,2) 5x(128,1) (256,2) (256,1);
AvgPool 3x3, Flatten, Dense 2, Softmax. Random weights, data-measured BN statistics.
Note: PyTorch pads stride-2 convs symmetrically (pad 1), Keras 'same' pads bottom/right.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from common import (model_dir, quantize, report, save_calibration,
                    seed_everything, smooth_noise)
from torch_util import export, set_bn_statistics

NAME = "vww_mobilenet"
SEED = 96
N_CALIB = 8  # 8 x 3x96x96 float32 = 885 KB (the calibration file must stay < 1 MB)
BLOCKS = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2),
          (128, 1), (128, 1), (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)]


def conv_bn_relu(cin, cout, k, stride, groups=1):
    return [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups),
            nn.BatchNorm2d(cout), nn.ReLU()]


def build(num_classes=2):
    layers = conv_bn_relu(3, 8, 3, 2)
    cin = 8
    for cout, stride in BLOCKS:
        layers += conv_bn_relu(cin, cin, 3, stride, groups=cin)  # depthwise
        layers += conv_bn_relu(cin, cout, 1, 1)  # pointwise
        cin = cout
    layers += [nn.AvgPool2d(3), nn.Flatten(), nn.Linear(cin, num_classes), nn.Softmax(dim=1)]
    return nn.Sequential(*layers)


def calibration_data(rng: np.random.Generator, n: int) -> np.ndarray:
    """Image-like inputs in [0, 1]: smooth colour noise, NCHW."""
    x = smooth_noise(rng, (n, 3, 96, 96), axes=(2, 3), passes=8)
    x = x + 0.7 * smooth_noise(rng, (n, 1, 96, 96), axes=(2, 3), passes=8)
    return np.clip(0.5 + 0.2 * x, 0.0, 1.0).astype(np.float32)


def main():
    seed_everything(SEED)
    d = model_dir(NAME)
    rng = np.random.default_rng(SEED)
    calib = calibration_data(rng, N_CALIB)
    model = build()
    set_bn_statistics(model, calibration_data(np.random.default_rng(SEED + 1), 128), rng)

    fp = d / f"{NAME}_float.onnx"
    export(model, (1, 3, 96, 96), fp)
    save_calibration(d / "calibration.npy", calib)
    q8 = d / f"{NAME}_int8.onnx"
    quantize(fp, q8, calib)
    return report(NAME, f"torch {torch.__version__} torch.onnx.export(dynamo=False, opset_version=13)", fp,
                  {"int8": q8}, calib, classifier=True)


if __name__ == "__main__":
    main()
