"""Pruned digits fixtures from TensorFlow Model Optimization (test/fixtures/pruned/tfmot_*.tflite).

tensorflow_model_optimization.sparsity.keras.prune_low_magnitude with a PolynomialDecay
schedule (0 -> s over the fine-tuning steps) on Keras (tf_keras) models trained on
sklearn digits (same split as examples/scripts/digits.py), s in 0.5 / 0.8 / 0.9:
  mlp: Dense 64->96 relu, Dense 96->64 relu, Dense 64->10;
  cnn: Conv 3x3 16 relu (same), MaxPool 2, Conv 3x3 32 relu (same), Flatten, Dense 10 (NHWC).
Trained dense (EPOCHS), then pruned while fine-tuning (FINETUNE epochs), strip_pruning,
converted with TFLiteConverter full int8 (representative dataset: the first 64 training
images, int8 input and output; no sparse tensor encoding). info_tfmot.json records the
Keras float accuracy, the int8 TFLite accuracy (tf.lite.Interpreter) and the zero share.

    /work/venv-tf/bin/pip install tensorflow-model-optimization tf-keras
    TF_USE_LEGACY_KERAS=1 /work/venv-tf/bin/python examples/scripts/digits_pruned_tfmot.py
"""
from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras as keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "pruned"
SEED = 5
EPOCHS = 30
FINETUNE = 12
BATCH = 32
SPARSITIES = (0.5, 0.8, 0.9)


def load():
    ds = load_digits()
    x = (ds.images / 16.0).astype(np.float32)[..., None]  # (N, 8, 8, 1) NHWC
    return train_test_split(x, ds.target.astype(np.int64), test_size=0.25, random_state=0, stratify=ds.target)


def build(kind: str) -> keras.Model:
    if kind == "mlp":
        layers = [keras.layers.Flatten(input_shape=(8, 8, 1)), keras.layers.Dense(96, activation="relu"),
                  keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)]
    else:
        layers = [keras.layers.Conv2D(16, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
                  keras.layers.MaxPooling2D(2), keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
                  keras.layers.Flatten(), keras.layers.Dense(10)]
    return keras.Sequential(layers)


def compile_fit(model: keras.Model, x, y, epochs: int, lr: float, callbacks=()) -> None:
    model.compile(optimizer=keras.optimizers.Adam(lr), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True, callbacks=list(callbacks))


def pruned(dense: keras.Model, amount: float, x, y) -> keras.Model:
    steps = FINETUNE * int(np.ceil(len(x) / BATCH))
    schedule = tfmot.sparsity.keras.PolynomialDecay(initial_sparsity=0.0, final_sparsity=amount, begin_step=0,
                                                    end_step=int(steps * 0.7), frequency=max(1, steps // 40))
    clone = keras.models.clone_model(dense)
    clone.set_weights(dense.get_weights())
    model = tfmot.sparsity.keras.prune_low_magnitude(clone, pruning_schedule=schedule)
    compile_fit(model, x, y, FINETUNE, 1e-3, [tfmot.sparsity.keras.UpdatePruningStep()])
    return tfmot.sparsity.keras.strip_pruning(model)


def to_tflite(model: keras.Model, calib: np.ndarray) -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: ([calib[i:i + 1]] for i in range(len(calib)))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def tflite_accuracy(blob: bytes, x, y) -> float:
    it = tf.lite.Interpreter(model_content=blob)
    it.allocate_tensors()
    i, o = it.get_input_details()[0], it.get_output_details()[0]
    s, z = i["quantization"]
    correct = 0
    for k in range(len(x)):
        it.set_tensor(i["index"], np.clip(np.round(x[k:k + 1] / s) + z, -128, 127).astype(np.int8))
        it.invoke()
        correct += int(it.get_tensor(o["index"]).argmax() == y[k])
    return round(correct / len(x), 4)


def zero_share(model: keras.Model) -> float:
    kernels = [w for layer in model.layers for w in layer.get_weights() if w.ndim >= 2]
    return round(float(sum((k == 0).sum() for k in kernels)) / sum(k.size for k in kernels), 4)


def main() -> None:
    keras.utils.set_random_seed(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    x_tr, x_te, y_tr, y_te = load()
    calib = x_tr[:64]
    info: dict = {"data": "sklearn digits held-out split (examples/digits/test_x.npy in NHWC)", "models": {}}
    for kind in ("mlp", "cnn"):
        dense = build(kind)
        compile_fit(dense, x_tr, y_tr, EPOCHS, 3e-3)
        for s in SPARSITIES:
            model = pruned(dense, s, x_tr, y_tr)
            name = f"tfmot_{kind}_{int(s * 100)}"
            blob = to_tflite(model, calib)
            (OUT / f"{name}.tflite").write_bytes(blob)
            float_acc = round(float((model.predict(x_te, verbose=0).argmax(1) == y_te).mean()), 4)
            info["models"][name] = {"file": f"{name}.tflite", "float_accuracy": float_acc,
                                    "int8_accuracy": tflite_accuracy(blob, x_te, y_te), "float_weight_zero_share": zero_share(model)}
            print(name, info["models"][name], flush=True)
    info["made_with"] = (f"tensorflow {tf.__version__}, tf_keras {keras.__version__}, tensorflow_model_optimization "
                         f"{tfmot.__version__} prune_low_magnitude + PolynomialDecay, TFLiteConverter full int8")
    (OUT / "info_tfmot.json").write_text(json.dumps(info, indent=2) + "\n")


if __name__ == "__main__":
    main()
