"""Tiny one-op Keras models as .tflite (full int8) + .onnx (tf2onnx --tflite) twins.

Each model produces exactly one TFLite int8 op we lower (SUB, MAXIMUM, MINIMUM,
PRELU, ABS, ELU, LOG_SOFTMAX, SOFTMAX over a non-last axis, TRANSPOSE_CONV,
BATCH_MATMUL, ARG_MAX, ...). The TFLite model is the bit reference
(tflite-micro interpreter); edgec compiles the ONNX twin and must give the same
bytes (test/ops/tflm-twins.test.ts).

Not committed as twins: gelu (tf2onnx writes a custom TFL_GELU node), rsqrt
(TFLM's RSQRT rejects the negative inputs the random test samples contain;
rsqrt_relu is the twin),
batch_matmul without adj_y (the TFLite converter's calibration fails on it
in TF 2.21; batch_matmul_adj is the twin).

    /work/venv-tf/bin/python examples/scripts/ops2/make_op_twins.py [names...]

Writes test/fixtures/ops2/<name>.tflite and <name>.onnx. Deterministic seeds;
random calibration data in [-2, 2] (positive for ops that need it).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import onnx

OUT = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "ops2"


def models(keras, tf):
    L = keras.layers

    def one(shape, fn, name):
        x = keras.Input(shape=shape, batch_size=1, name="x")
        return keras.Model(x, fn(x), name=name)

    def two(shape_a, shape_b, fn, name):
        a = keras.Input(shape=shape_a, batch_size=1, name="a")
        b = keras.Input(shape=shape_b, batch_size=1, name="b")
        return keras.Model([a, b], fn(a, b), name=name)

    def prelu():
        m = one((5, 6, 8), lambda x: L.PReLU(shared_axes=[1, 2])(x), "prelu")
        w = m.layers[-1].get_weights()
        w[0] = np.random.default_rng(3).uniform(-0.6, 0.9, w[0].shape).astype(np.float32)
        m.layers[-1].set_weights(w)
        return m

    def tconv(strides, padding, k, cin, cout, hw, name):
        m = one((hw[0], hw[1], cin), lambda x: L.Conv2DTranspose(cout, k, strides=strides, padding=padding)(x), name)
        w = m.layers[-1].get_weights()
        w[1] = np.random.default_rng(5).normal(0, 0.2, w[1].shape).astype(np.float32)
        m.layers[-1].set_weights(w)
        return m

    return {
        "sub": lambda: two((4, 5, 6), (4, 5, 6), lambda a, b: L.Subtract()([a, b]), "sub"),
        "sub_bcast": lambda: two((4, 5, 6), (1, 1, 6), lambda a, b: a - b, "sub_bcast"),
        "maximum": lambda: two((4, 5, 6), (4, 5, 6), lambda a, b: L.Maximum()([a, b]), "maximum"),
        "minimum": lambda: two((3, 7), (3, 7), lambda a, b: L.Minimum()([a, b]), "minimum"),
        "prelu": prelu,
        "abs": lambda: one((6, 7), lambda x: keras.ops.abs(x), "abs"),
        "elu": lambda: one((6, 9), lambda x: L.ELU()(x), "elu"),
        "gelu": lambda: one((6, 9), lambda x: keras.activations.gelu(x, approximate=False), "gelu"),
        "log_softmax": lambda: one((3, 10), lambda x: keras.ops.log_softmax(x, axis=-1), "log_softmax"),
        "softmax_axis1": lambda: one((6, 5), lambda x: keras.ops.softmax(x, axis=1), "softmax_axis1"),
        "tconv_s2_same": lambda: tconv(2, "same", 3, 4, 5, (4, 5), "tconv_s2_same"),
        "tconv_s2_valid": lambda: tconv(2, "valid", 3, 3, 4, (3, 4), "tconv_s2_valid"),
        "tconv_s1_k2": lambda: tconv(1, "valid", 2, 6, 3, (5, 5), "tconv_s1_k2"),
        "batch_matmul": lambda: two((2, 4, 8), (2, 8, 5), lambda a, b: L.Lambda(lambda t: tf.matmul(t[0], t[1]))([a, b]), "batch_matmul"),
        "batch_matmul_adj": lambda: two((3, 6), (5, 6), lambda a, b: L.Lambda(lambda t: tf.matmul(t[0], t[1], transpose_b=True))([a, b]), "batch_matmul_adj"),
        "argmax": lambda: one((5, 9), lambda x: L.Lambda(lambda t: tf.argmax(t, axis=-1, output_type=tf.int32))(x), "argmax"),
        "argmin": lambda: one((5, 9), lambda x: L.Lambda(lambda t: tf.argmin(t, axis=1, output_type=tf.int32))(x), "argmin"),
        "swish": lambda: one((6, 9), lambda x: x * keras.ops.sigmoid(x), "swish"),
        "rsqrt": lambda: one((6, 9), lambda x: keras.ops.rsqrt(x), "rsqrt"),
        # RSQRT behind RELU + 0.25, so every test sample is valid input for TFLM's RSQRT
        "rsqrt_relu": lambda: one((6, 9), lambda x: keras.ops.rsqrt(keras.ops.relu(x) + 0.25), "rsqrt_relu"),
    }


POSITIVE = {"rsqrt"}


def convert(tf, model, name):
    rng = np.random.default_rng(abs(hash(name)) % (2**31))
    shapes = [tuple(i.shape) for i in model.inputs]
    lo = 0.05 if name in POSITIVE else -2.0

    def representative():
        for _ in range(64):
            yield [rng.uniform(lo, 2.0, s).astype(np.float32) for s in shapes]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def main():
    import keras
    import tensorflow as tf
    keras.utils.set_random_seed(1)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from keras_util import canonicalize_names
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = sys.argv[1:]
    for name, make in models(keras, tf).items():
        if wanted and name not in wanted:
            continue
        try:
            tfl = OUT / f"{name}.tflite"
            tfl.write_bytes(convert(tf, make(), name))
            onnx_path = OUT / f"{name}.onnx"
            r = subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tfl), "--output", str(onnx_path),
                                "--opset", "13"], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"{name}: tf2onnx failed: {r.stderr.strip().splitlines()[-1:]}")
                continue
            m = onnx.load(str(onnx_path))
            canonicalize_names(m)
            m.doc_string = ""
            onnx.save(m, str(onnx_path))
            print(f"{name}: ok, ONNX ops {[n.op_type for n in m.graph.node]}")
        except Exception as e:  # noqa: BLE001 - report and go on with the next op
            print(f"{name}: failed: {str(e).splitlines()[:1]}")


if __name__ == "__main__":
    main()
