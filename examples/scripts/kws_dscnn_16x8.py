"""kws_dscnn as 16x8 and int8 .tflite twins: what int16 activations buy on the bundled KWS.

Rebuilds the bundled MLPerf Tiny DS-CNN exactly as kws_dscnn.py does (same
seed, same BatchNorm statistics; checked against examples/kws_dscnn/
kws_dscnn_float.onnx), converts it with TFLiteConverter twice on the same 48
calibration samples: full int8 (TFLITE_BUILTINS_INT8) and 16x8
(EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8), both with
quantized I/O. On 200 held-out samples it runs both through TFLite Micro (the
bit reference edgec's C equals, see test/tflite/int16.test.ts) and prints the
output SQNR against the float Keras model and the top-1 agreement.

Writes test/fixtures/tflite16/kws_dscnn_{int8,16x8}.tflite and the figures
(kws_dscnn_16x8.json); the held-out inputs, quantized for each model, go to
<tmp>/edgec_kws16/kws_dscnn_test_{int8,int16}.npy for
`edgec verify <model> --inputs <npy>` (edgec's C against TFLM on them). Run with a TensorFlow venv
that has tflite-micro and onnxruntime:

    /path/to/venv-tf/bin/python examples/scripts/kws_dscnn_16x8.py
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).parent))

import numpy as np

from common import seed_everything
from keras_util import set_bn_statistics
from kws_dscnn import N_CALIB, SEED, build, calibration_data

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "test" / "fixtures" / "tflite16"
N_TEST = 200
TEST_DIR = Path(tempfile.gettempdir()) / "edgec_kws16"


def convert(tf, model, calib: np.ndarray, int16: bool) -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([calib[i:i + 1]] for i in range(len(calib)))
    ops = tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 if int16 else tf.lite.OpsSet.TFLITE_BUILTINS_INT8
    conv.target_spec.supported_ops = [ops]
    conv.inference_input_type = tf.int16 if int16 else tf.int8
    conv.inference_output_type = tf.int16 if int16 else tf.int8
    return conv.convert()


def run_tflm(path: Path, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantized inputs (TFLM's rounding: half away from zero) and dequantized outputs of every sample."""
    from tflite_micro.python.tflite_micro import runtime
    interp = runtime.Interpreter.from_file(str(path), arena_size=1 << 22)
    din, dout = interp.get_input_details(0), interp.get_output_details(0)
    si, zi = float(din["quantization_parameters"]["scales"][0]), int(din["quantization_parameters"]["zero_points"][0])
    so, zo = float(dout["quantization_parameters"]["scales"][0]), int(dout["quantization_parameters"]["zero_points"][0])
    info = np.iinfo(din["dtype"])
    q = np.clip(np.sign(x / si) * np.floor(np.abs(x / si) + 0.5) + zi, info.min, info.max).astype(din["dtype"])
    outs = []
    for s in range(len(x)):
        interp.set_input(q[s:s + 1], 0)
        interp.invoke()
        outs.append((interp.get_output(0).astype(np.float64) - zo) * so)
        interp.reset()
    return q, np.concatenate(outs)


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(ref.astype(np.float64) ** 2) / np.sum((ref - got) ** 2)))


def main() -> None:
    seed_everything(SEED)
    import keras
    import onnxruntime as ort
    import tensorflow as tf
    keras.utils.set_random_seed(SEED)
    rng = np.random.default_rng(SEED)
    calib = calibration_data(rng, N_CALIB)
    bn_data = calibration_data(np.random.default_rng(SEED + 1), 256)
    model = build(keras)
    set_bn_statistics(keras, model, bn_data, rng)

    # the same network as the bundled float ONNX
    sess = ort.InferenceSession(str(ROOT / "examples" / "kws_dscnn" / "kws_dscnn_float.onnx"))
    twin = max(float(np.max(np.abs(sess.run(None, {sess.get_inputs()[0].name: calib[i:i + 1]})[0] - model(calib[i:i + 1]).numpy()))) for i in range(8))
    print(f"Keras model vs bundled kws_dscnn_float.onnx: max |diff| {twin:.2e}")
    assert twin < 1e-4, "the rebuilt Keras model is not the bundled one"

    test = calibration_data(np.random.default_rng(SEED + 2), N_TEST)
    ref = np.concatenate([model(test[i:i + 1]).numpy() for i in range(N_TEST)]).astype(np.float64)
    TEST_DIR.mkdir(exist_ok=True)
    results = {}
    for label, int16 in (("int8", False), ("16x8", True)):
        path = OUT / f"kws_dscnn_{label}.tflite"
        path.write_bytes(convert(tf, model, calib, int16))
        q, got = run_tflm(path, test)
        np.save(TEST_DIR / f"kws_dscnn_test_{'int16' if int16 else 'int8'}.npy", q)
        results[label] = {"bytes": path.stat().st_size, "sqnr_db": round(sqnr_db(ref, got), 2),
                          "top1_agreement": float(np.mean(np.argmax(ref, 1) == np.argmax(got, 1)))}
        print(label, results[label])
    (OUT / "kws_dscnn_16x8.json").write_text(json.dumps({"test_samples": N_TEST, "reference": "TFLite Micro, dequantized outputs vs float Keras", **results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
