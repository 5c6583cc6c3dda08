"""kws_dscnn: MLPerf Tiny keyword-spotting DS-CNN (Keras -> tf2onnx, NHWC input).

Architecture follows the MLPerf Tiny reference (keyword_spotting/keras_model.py,
model 'ds_cnn'): input 49x10x1 MFCC, Conv2D 64 10x4 stride 2 'same' + BN + ReLU,
4 x [DepthwiseConv2D 3x3 + BN + ReLU, Conv2D 64 1x1 + BN + ReLU],
AveragePooling2D over the whole 25x5 map, Flatten, Dense 12 softmax.
Dropout layers of the reference are identity at inference and are left out.
Weights are random (seeded); BatchNorm moving statistics are measured on the
synthetic calibration data, gamma/beta are random, so BN is non-trivial.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from common import (model_dir, quantize, report, save_calibration,
                    seed_everything, smooth_noise)
from keras_util import export_keras, set_bn_statistics

NAME = "kws_dscnn"
SEED = 1234
N_CALIB = 48


def build(keras):
    L = keras.layers
    inp = keras.Input(shape=(49, 10, 1), batch_size=1, name="input")
    x = L.Conv2D(64, (10, 4), strides=(2, 2), padding="same", name="conv1")(inp)
    x = L.BatchNormalization(name="bn1")(x)
    x = L.Activation("relu", name="relu1")(x)
    for i in range(4):
        x = L.DepthwiseConv2D((3, 3), padding="same", name=f"dw{i + 1}")(x)
        x = L.BatchNormalization(name=f"dw{i + 1}_bn")(x)
        x = L.Activation("relu", name=f"dw{i + 1}_relu")(x)
        x = L.Conv2D(64, (1, 1), padding="same", name=f"pw{i + 1}")(x)
        x = L.BatchNormalization(name=f"pw{i + 1}_bn")(x)
        x = L.Activation("relu", name=f"pw{i + 1}_relu")(x)
    x = L.AveragePooling2D(pool_size=(25, 5), name="avgpool")(x)
    x = L.Flatten(name="flatten")(x)
    out = L.Dense(12, activation="softmax", name="fc")(x)
    return keras.Model(inp, out, name=NAME)


def calibration_data(rng: np.random.Generator, n: int) -> np.ndarray:
    """MFCC-like features: 49 frames x 10 coefficients, smooth over time,
    coefficient 0 (log energy) large and negative, higher ones shrinking."""
    scale = np.array([40, 14, 10, 8, 6, 5, 4, 3.5, 3, 2.5])
    offset = np.array([-60, 5, -3, 2, -1, 1, 0, 0, 0, 0])
    x = smooth_noise(rng, (n, 49, 10), axes=(1,), passes=3)
    x = x * scale + offset
    return x[..., None].astype(np.float32)  # NHWC: (n, 49, 10, 1)


def main():
    seed_everything(SEED)
    import keras
    keras.utils.set_random_seed(SEED)
    d = model_dir(NAME)
    rng = np.random.default_rng(SEED)
    calib = calibration_data(rng, N_CALIB)
    bn_data = calibration_data(np.random.default_rng(SEED + 1), 256)

    model = build(keras)
    set_bn_statistics(keras, model, bn_data, rng)

    fp = d / f"{NAME}_float.onnx"
    export_keras(model, (1, 49, 10, 1), fp)
    save_calibration(d / "calibration.npy", calib)
    q8 = d / f"{NAME}_int8.onnx"
    quantize(fp, q8, calib)
    return report(NAME, "keras 3 -> tf2onnx.convert.from_keras (opset 13), NHWC input", fp,
                  {"int8": q8}, calib, classifier=True)


if __name__ == "__main__":
    main()
