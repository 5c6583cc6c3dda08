"""ad_autoencoder: MLPerf Tiny anomaly-detection FC autoencoder (PyTorch).

Follows the MLPerf Tiny reference (anomaly_detection/keras_model.py): input 640
(5 frames x 128 log-mel bins), Dense 128 + BN + ReLU x4, Dense 8 + BN + ReLU,
Dense 128 + BN + ReLU x4, Dense 640 (linear output, the reconstruction).
Random weights, data-measured BN statistics. The float model keeps
BatchNormalization (opset 13, Gemm -> BatchNormalization -> Relu);
the int8 model is quantized from a BN-folded export (Gemm -> Relu).
"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn

from common import (model_dir, quantize, report, save_calibration,
                    seed_everything, smooth_noise)
from torch_util import export, set_bn_statistics

NAME = "ad_autoencoder"
SEED = 640
N_CALIB = 64


def build():
    dims = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128]
    layers = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
    layers += [nn.Linear(128, 640)]
    return nn.Sequential(*layers)


def fold_bn(model: nn.Sequential) -> nn.Sequential:
    layers = list(copy.deepcopy(model))
    out = []
    for layer in layers:
        if isinstance(layer, nn.BatchNorm1d):
            out[-1] = torch.nn.utils.fusion.fuse_linear_bn_eval(out[-1], layer)
        else:
            out.append(layer)
    return nn.Sequential(*out).eval()


def calibration_data(rng: np.random.Generator, n: int) -> np.ndarray:
    """Log-mel-like frames in dB: 5 frames x 128 mel bins, smooth over time and
    frequency, energy falling towards high bins; flattened to 640."""
    x = smooth_noise(rng, (n, 5, 128), axes=(1, 2), passes=3)
    tilt = np.linspace(-20.0, -55.0, 128)
    x = tilt + 8.0 * x
    return x.reshape(n, 640).astype(np.float32)


def main():
    seed_everything(SEED)
    d = model_dir(NAME)
    rng = np.random.default_rng(SEED)
    calib = calibration_data(rng, N_CALIB)
    model = build()
    set_bn_statistics(model, calibration_data(np.random.default_rng(SEED + 1), 512), rng)

    fp = d / f"{NAME}_float.onnx"
    export(model, (1, 640), fp)
    save_calibration(d / "calibration.npy", calib)
    q8 = d / f"{NAME}_int8.onnx"
    # onnxruntime's optimiser (quant_pre_process) folds BN into Conv but not into
    # Gemm, so quantize a copy with each BN folded into its Linear (same function).
    with tempfile.TemporaryDirectory() as td:
        folded = Path(td) / "folded.onnx"
        export(fold_bn(model), (1, 640), folded)
        quantize(folded, q8, calib)
    return report(NAME, f"torch {torch.__version__} torch.onnx.export(dynamo=False, opset_version=13)", fp,
                  {"int8": q8}, calib, classifier=False)


if __name__ == "__main__":
    main()
