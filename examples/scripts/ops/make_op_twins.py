"""Per-op TFLite / ONNX twins: tiny TensorFlow functions that each produce one
TFLite builtin op, converted to a full-int8 .tflite (TFLiteConverter,
representative dataset = 32 seeded uniform samples in [-1, 1], int8 I/O) and
then to ONNX with `python -m tf2onnx.convert --tflite ... --opset 13`.
Both land in test/fixtures/ops/<name>.{tflite,onnx}; test/ops/tflm-twins.test.ts
requires edgec's output of the .onnx to equal the tflite-micro interpreter's
output of the .tflite byte for byte.

Run with the TensorFlow venv (never in the test suite):
  /work/venv-tf/bin/python examples/scripts/ops/make_op_twins.py [name ...]
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import onnx
import tensorflow as tf

OUT = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "ops"


def conv(x, cout, seed, k=3, **kw):
    """A Conv2D with seeded weights, so the tensor ops act on a real feature map."""
    rng = np.random.default_rng(seed)
    w = tf.constant(rng.normal(0, 0.4, (k, k, int(x.shape[-1]), cout)).astype(np.float32))
    b = tf.constant(rng.normal(0, 0.1, cout).astype(np.float32))
    return tf.nn.conv2d(x, w, 1, "SAME", **kw) + b


# name -> (input shape NHWC, function)
TWINS = {
    # ReduceMean: Keras GlobalAveragePooling2D (keepdims 0), its keepdims form, 1-D pooling over NWC axis 1, channel mean
    "mean_spatial": ([1, 6, 5, 8], lambda x: tf.reduce_mean(conv(x, 8, 1), axis=[1, 2])),
    "mean_spatial_keep": ([1, 7, 7, 6], lambda x: tf.reduce_mean(conv(x, 6, 2), axis=[1, 2], keepdims=True)),
    "mean_1d": ([1, 20, 12], lambda x: tf.reduce_mean(x, axis=1)),
    "mean_channel": ([1, 5, 6, 10], lambda x: tf.reduce_mean(conv(x, 10, 3), axis=3, keepdims=True)),
    "mean_hc": ([1, 4, 6, 9], lambda x: tf.reduce_mean(x, axis=[1, 3])),
    "sum_w": ([1, 4, 6, 5], lambda x: tf.reduce_sum(x, axis=[2], keepdims=True)),
    "max_spatial": ([1, 6, 6, 7], lambda x: tf.reduce_max(conv(x, 7, 4), axis=[1, 2])),
    "max_channel": ([1, 5, 4, 9], lambda x: tf.reduce_max(x, axis=[3], keepdims=True)),
    "min_h": ([1, 5, 4, 6], lambda x: tf.reduce_min(x, axis=[1])),
}


def convert(name: str, shape, fn) -> None:
    rng = np.random.default_rng(sum(map(ord, name)))  # seeded per twin
    calib = [rng.uniform(-1, 1, shape).astype(np.float32) for _ in range(32)]
    f = tf.function(fn, input_signature=[tf.TensorSpec(shape, tf.float32, name="x")])
    conv_ = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    conv_.optimizations = [tf.lite.Optimize.DEFAULT]
    conv_.representative_dataset = lambda: ([c] for c in calib)
    conv_.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv_.inference_input_type = tf.int8
    conv_.inference_output_type = tf.int8
    tfl = OUT / f"{name}.tflite"
    tfl.write_bytes(conv_.convert())
    onnx_path = OUT / f"{name}.onnx"
    subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tfl), "--output", str(onnx_path),
                    "--opset", "13"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    m = onnx.load(str(onnx_path))
    m.producer_version = ""  # keep the committed bytes stable
    onnx.checker.check_model(m)
    onnx.save(m, str(onnx_path))
    ops = sorted({n.op_type for n in m.graph.node})
    print(f"{name}: {tfl.stat().st_size} B tflite, {onnx_path.stat().st_size} B onnx, ONNX ops {ops}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    tf.random.set_seed(0)
    names = sys.argv[1:] or list(TWINS)
    for name in names:
        shape, fn = TWINS[name]
        convert(name, shape, fn)


if __name__ == "__main__":
    main()
