"""Three composite fixtures for issue 12 (test/examples/composite.test.ts).

Small Keras models that combine the ops microcontroller models use, trained a
few epochs on scikit-learn's 8x8 digits (upsampled to 16x16) or on synthetic
data made here, converted to full-int8 TFLite (int8 I/O, representative data
from the training set) and through tf2onnx (--tflite, opset 13):

  mcunet_se      MCUNet-style inverted-residual blocks (1x1 expand, depthwise,
                 1x1 project, residual Add) with squeeze-and-excitation
                 (Mean -> Dense -> ReLU -> Dense -> HardSigmoid -> Multiply).
  tiny_detector  a small strided backbone, a nearest-upsampling FPN head
                 (nearest Resizing 2x + Concatenate) and 1x1 conv heads
                 (objectness and box offsets) trained on synthetic squares.
  conv_autoenc   a conv autoencoder whose decoder uses Conv2DTranspose.

TensorFlow never runs in the test suite; re-run this script to regenerate:

    /work/venv-tf/bin/python examples/scripts/composite/make_composite.py
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import tensorflow as tf
import keras
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "composite"
L = keras.layers


def seed(n: int) -> None:
    random.seed(n)
    np.random.seed(n)
    keras.utils.set_random_seed(n)


def digits16() -> tuple[np.ndarray, np.ndarray]:
    """sklearn digits, 8x8 in 0..16, upsampled 2x to 16x16x1 in [0, 1]."""
    d = load_digits()
    x = d.images.astype(np.float32) / 16.0
    x = x.repeat(2, axis=1).repeat(2, axis=2)[..., None]
    return x, d.target.astype(np.int64)


def squares(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic detection data: one bright square per 16x16 image on noise;
    target per 8x8 cell: objectness + (dy, dx) of the square centre in the cell."""
    x = rng.normal(0, 0.1, size=(n, 16, 16, 1)).astype(np.float32)
    y = np.zeros((n, 8, 8, 3), np.float32)
    for i in range(n):
        s = int(rng.integers(3, 6))
        r, c = (int(v) for v in rng.integers(0, 16 - s, size=2))
        x[i, r:r + s, c:c + s, 0] += 1.0
        cy, cx = r + s / 2, c + s / 2
        gy, gx = min(int(cy // 2), 7), min(int(cx // 2), 7)
        y[i, gy, gx] = [1.0, cy / 2 - gy - 0.5, cx / 2 - gx - 0.5]
    return x, y


def se_block(x, ch: int, squeeze: int):
    s = L.GlobalAveragePooling2D(keepdims=True)(x)
    s = L.Dense(squeeze, activation="relu")(s)
    s = L.Dense(ch, activation="hard_sigmoid")(s)
    return L.Multiply()([x, s])


def inverted_residual(x, ch_in: int, ch_out: int, expand: int, stride: int, se: bool):
    h = L.Conv2D(ch_in * expand, 1, use_bias=False)(x)
    h = L.BatchNormalization()(h)
    h = L.ReLU(6.0)(h)
    h = L.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(h)
    h = L.BatchNormalization()(h)
    h = L.ReLU(6.0)(h)
    if se:
        h = se_block(h, ch_in * expand, max(4, ch_in * expand // 4))
    h = L.Conv2D(ch_out, 1, use_bias=False)(h)
    h = L.BatchNormalization()(h)
    if stride == 1 and ch_in == ch_out:
        h = L.Add()([x, h])
    return h


def mcunet_se():
    x = inp = keras.Input((16, 16, 1), batch_size=1)
    x = L.Conv2D(8, 3, strides=2, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU(6.0)(x)
    x = inverted_residual(x, 8, 8, 3, 1, se=True)
    x = inverted_residual(x, 8, 16, 3, 2, se=True)
    x = inverted_residual(x, 16, 16, 3, 1, se=True)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(10)(x)
    x = L.Softmax()(x)
    return keras.Model(inp, x)


def tiny_detector():
    x = inp = keras.Input((16, 16, 1), batch_size=1)
    c1 = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)     # 8x8
    c2 = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(c1)   # 4x4
    c2 = L.Conv2D(16, 3, padding="same", activation="relu")(c2)
    # Keras 3's UpSampling2D lowers to TILE-based repeats, which TFLite Micro
    # has no kernel for; a nearest Resizing layer gives RESIZE_NEAREST_NEIGHBOR
    # (ONNX: Resize nearest), the upsampling TFLM-deployable FPN heads use.
    up = L.Resizing(8, 8, interpolation="nearest")(c2)                       # 8x8
    lat = L.Conv2D(16, 1, activation="relu")(c1)
    f = L.Concatenate()([up, lat])
    f = L.Conv2D(16, 3, padding="same", activation="relu")(f)
    obj = L.Conv2D(1, 1, activation="sigmoid", name="objectness")(f)
    box = L.Conv2D(2, 1, name="box")(f)
    return keras.Model(inp, [obj, box])


def conv_autoenc():
    x = inp = keras.Input((16, 16, 1), batch_size=1)
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)      # 8x8
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)     # 4x4
    x = L.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)  # 8x8
    x = L.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu")(x)   # 16x16
    x = L.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(inp, x)


def train(name: str, model: keras.Model) -> np.ndarray:
    """Trains a few epochs; returns the images used as representative data."""
    x, y = digits16()
    if name == "mcunet_se":
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=8, batch_size=32, verbose=0)
        print(f"  {name} train accuracy {model.evaluate(x, y, verbose=0)[1]:.3f}")
        return x
    if name == "tiny_detector":
        xs, ys = squares(1024, np.random.default_rng(3))
        bce = keras.losses.BinaryCrossentropy()

        def loss_box(yt, yp):  # box loss only where an object is
            return tf.reduce_mean(yt[..., :1] * tf.square(yt[..., 1:] - yp))
        model.compile("adam", [lambda yt, yp: bce(yt[..., :1], yp), loss_box])
        model.fit(xs, [ys, ys], epochs=8, batch_size=32, verbose=0)
        return xs
    model.compile("adam", "mse")
    model.fit(x, x, epochs=8, batch_size=32, verbose=0)
    print(f"  {name} train mse {model.evaluate(x, x, verbose=0):.4f}")
    return x


def convert(model: keras.Model, rep: np.ndarray) -> bytes:
    def gen():
        for i in range(0, 128):
            yield [rep[i:i + 1]]
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = gen
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


FIXTURES = [("mcunet_se", mcunet_se), ("tiny_detector", tiny_detector), ("conv_autoenc", conv_autoenc)]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    for i, (name, make) in enumerate(FIXTURES):
        if only and name not in only:
            continue
        seed(100 + i)
        model = make()
        rep = train(name, model)
        tfl = OUT / f"{name}.tflite"
        tfl.write_bytes(convert(model, rep))
        onnx = OUT / f"{name}.onnx"
        subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tfl), "--opset", "13", "--output", str(onnx)],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"{name}: {tfl.stat().st_size} B tflite, {onnx.stat().st_size} B onnx")


if __name__ == "__main__":
    main()
