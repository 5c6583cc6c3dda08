"""tf2onnx_int8: a model quantized by another tool (TFLite) and converted by tf2onnx.

A small Keras CNN is trained on the same scikit-learn 8x8 digits split as `digits`
(NHWC input 1x8x8x1, pixels / 16), converted to a fully-int8 TFLite model
(TFLiteConverter, representative dataset = the calibration images,
supported_ops = TFLITE_BUILTINS_INT8, inference_input_type = inference_output_type = int8),
then converted to ONNX with `python -m tf2onnx.convert --tflite ... --opset 13`.
The result is a QDQ ONNX model with int8 input/output in NHWC layout.
To feed it: q = clip(round(x / in_scale) + in_zero_point, -128, 127) (see info.json).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import onnx

from common import describe, model_dir, save_calibration, seed_everything, session
from digits import load
from keras_util import canonicalize_names

NAME = "tf2onnx_int8"
SEED = 11
N_CALIB = 64
EPOCHS = 40


def build(keras):
    L = keras.layers
    inp = keras.Input(shape=(8, 8, 1), batch_size=1, name="input")  # TFLite for MCUs: batch 1
    x = L.Conv2D(12, 3, padding="same", activation="relu", name="conv1")(inp)
    x = L.MaxPooling2D(2, name="pool1")(x)
    x = L.DepthwiseConv2D(3, padding="same", activation="relu", name="dw2")(x)
    x = L.Conv2D(24, 1, activation="relu", name="pw2")(x)
    x = L.Flatten(name="flatten")(x)
    out = L.Dense(10, activation="softmax", name="fc")(x)
    return keras.Model(inp, out, name=NAME)


def main():
    seed_everything(SEED)
    import keras
    import tensorflow as tf
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    d = model_dir(NAME)

    x_tr, x_te, y_tr, y_te = load()
    x_tr = np.transpose(x_tr, (0, 2, 3, 1))  # NCHW -> NHWC
    x_te = np.transpose(x_te, (0, 2, 3, 1))
    model = build(keras)
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_tr, y_tr, batch_size=32, epochs=EPOCHS, verbose=0, shuffle=True)
    float_acc = float((model.predict(x_te, verbose=0).argmax(1) == y_te).mean())

    calib = x_tr[:N_CALIB]
    save_calibration(d / "calibration.npy", calib)

    def representative():
        for i in range(len(calib)):
            yield [calib[i:i + 1]]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    tfl = d / f"{NAME}.tflite"
    tfl.write_bytes(conv.convert())

    onnx_path = d / f"{NAME}.onnx"
    subprocess.run([sys.executable, "-m", "tf2onnx.convert", "--tflite", str(tfl),
                    "--output", str(onnx_path), "--opset", "13"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    m = onnx.load(str(onnx_path))
    canonicalize_names(m)  # tf2onnx's generated names vary between runs
    onnx.checker.check_model(m)
    onnx.save(m, str(onnx_path))

    # TFLite reference accuracy and input/output quantization parameters.
    interp = tf.lite.Interpreter(model_path=str(tfl))
    interp.allocate_tensors()
    ind, outd = interp.get_input_details()[0], interp.get_output_details()[0]
    in_scale, in_zp = ind["quantization"]
    out_scale, out_zp = outd["quantization"]
    xq = np.clip(np.round(x_te / in_scale) + in_zp, -128, 127).astype(np.int8)
    tfl_pred, tfl_out = [], []
    for i in range(len(xq)):
        interp.set_tensor(ind["index"], xq[i:i + 1])
        interp.invoke()
        o = interp.get_tensor(outd["index"])
        tfl_out.append(o)
        tfl_pred.append(int(o.argmax()))
    tfl_out = np.concatenate(tfl_out)

    sess = session(onnx_path)
    iname = sess.get_inputs()[0].name
    ort_out = np.concatenate([sess.run(None, {iname: xq[i:i + 1]})[0] for i in range(len(xq))])
    ort_pred = ort_out.reshape(len(xq), -1).argmax(1)
    diff = np.abs(ort_out.astype(np.int32).reshape(len(xq), -1) - tfl_out.astype(np.int32).reshape(len(xq), -1))

    acc = {
        "dataset": "sklearn digits, same split as examples/digits (NHWC)",
        "keras_float_accuracy": round(float_acc, 4),
        "tflite_int8_accuracy": round(float((np.array(tfl_pred) == y_te).mean()), 4),
        "onnx_int8_accuracy_onnxruntime": round(float((ort_pred == y_te).mean()), 4),
        "onnxruntime_vs_tflite": {"exact_match_rate": round(float((diff == 0).mean()), 4),
                                  "max_abs_diff_lsb": int(diff.max()),
                                  "top1_agreement": round(float((ort_pred == np.array(tfl_pred)).mean()), 4)},
    }
    info = {
        "name": NAME,
        "exporter": "keras 3 -> tf.lite.TFLiteConverter (full int8) -> python -m tf2onnx.convert --tflite (opset 13)",
        "input_quantization": {"scale": float(in_scale), "zero_point": int(in_zp)},
        "output_quantization": {"scale": float(out_scale), "zero_point": int(out_zp)},
        "calibration": {"file": "calibration.npy", "shape": list(calib.shape), "dtype": "float32",
                        "note": "float NHWC images; quantize with input_quantization before feeding"},
        "quantized": {"int8": describe(onnx_path)},
        "accuracy": acc,
    }
    (d / "info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))
    return info


if __name__ == "__main__":
    main()
