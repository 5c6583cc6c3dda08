"""digits: small CNN trained on scikit-learn's 8x8 handwritten digits (real data).

Data: sklearn.datasets.load_digits (1797 images, pixel values 0..16, scaled to [0, 1]),
train/test split: train_test_split(test_size=0.25, random_state=0, stratify=labels).
Model (PyTorch, NCHW input 1x1x8x8, output 10 logits, no softmax):
Conv 3x3 16 pad 1 + BN + ReLU, MaxPool 2, Conv 3x3 32 pad 1 + BN + ReLU, Flatten, Linear 512->10.
Calibration: the first 64 training images. Accuracy is measured on the 450 held-out images,
float with onnxruntime on the float ONNX model, int8 with onnxruntime on the QDQ model.
"""
from __future__ import annotations

import json

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from common import model_dir, quantize, report, run, save_calibration, seed_everything
from torch_util import export

NAME = "digits"
SEED = 7
SPLIT_SEED = 0
N_CALIB = 64
EPOCHS = 40


def load():
    ds = load_digits()
    x = (ds.images / 16.0).astype(np.float32)[:, None, :, :]  # (N, 1, 8, 8)
    y = ds.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.25, random_state=SPLIT_SEED, stratify=y)


def build():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 10),
    )


def train(model, x, y):
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for epoch in range(EPOCHS):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 32):
            idx = perm[i:i + 32]
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def accuracy(path, x, y) -> float:
    return float((run(path, x).argmax(1) == y).mean())


def main():
    seed_everything(SEED)
    d = model_dir(NAME)
    x_tr, x_te, y_tr, y_te = load()
    model = build()
    train(model, x_tr, y_tr)

    fp = d / f"{NAME}_float.onnx"
    export(model, (1, 1, 8, 8), fp, output_name="logits")
    calib = x_tr[:N_CALIB]
    save_calibration(d / "calibration.npy", calib)
    q8 = d / f"{NAME}_int8.onnx"
    qpt = d / f"{NAME}_int8_pertensor.onnx"
    quantize(fp, q8, calib)
    quantize(fp, qpt, calib, per_channel=False)

    f_pred = run(fp, x_te).argmax(1)
    q_pred = run(q8, x_te).argmax(1)
    p_pred = run(qpt, x_te).argmax(1)
    acc = {
        "dataset": "sklearn.datasets.load_digits, pixels / 16",
        "split": f"train_test_split(test_size=0.25, random_state={SPLIT_SEED}, stratify=y)",
        "n_train": int(len(y_tr)), "n_test": int(len(y_te)),
        "calibration": f"first {N_CALIB} training images",
        "float_accuracy": round(float((f_pred == y_te).mean()), 4),
        "int8_accuracy": round(float((q_pred == y_te).mean()), 4),
        "int8_per_tensor_accuracy": round(float((p_pred == y_te).mean()), 4),
        "int8_vs_float_top1_agreement": round(float((q_pred == f_pred).mean()), 4),
        "runtime": "onnxruntime CPUExecutionProvider (QDQ model as is)",
    }
    (d / "accuracy.json").write_text(json.dumps(acc, indent=2) + "\n")
    print(json.dumps(acc, indent=2))
    return report(NAME, f"torch {torch.__version__} torch.onnx.export(dynamo=False, opset_version=13)", fp,
                  {"int8": q8, "int8_per_tensor": qpt}, calib, classifier=True, extra={"accuracy": acc})


if __name__ == "__main__":
    main()
