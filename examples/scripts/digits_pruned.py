"""Pruned digits fixtures (test/fixtures/pruned): torch.nn.utils.prune on sklearn digits.

Same data, split and calibration as examples/scripts/digits.py (the held-out images are
examples/digits/test_x.npy / test_y.npy). Two models:
  cnn: Conv 3x3 16 + BN + ReLU, MaxPool 2, Conv 3x3 32 + BN + ReLU, Flatten, Linear 512->10
       (examples/digits' architecture);
  mlp: Flatten, Linear 64->96 + ReLU, Linear 96->64 + ReLU, Linear 64->10.
Each is trained dense (EPOCHS), then for each method and sparsity a copy is pruned
(torch.nn.utils.prune, per layer) and fine-tuned with the mask (FINETUNE epochs):
  l1: l1_unstructured(amount=s) on every Conv2d / Linear weight;
  ln: ln_structured(amount=s, n=2, dim=0) -- whole filters / output neurons -- on every
      layer but the classifier (pruning it would delete classes).
s in 0.5 / 0.8 / 0.9. Exported (opset 13) and quantized with onnxruntime quantize_static
(QDQ, per-channel int8 weights; quant_pre_process folds BN, zeros stay zero).
info.json records float / int8 accuracy (onnxruntime) and the measured zero share.

    /work/venv-torch/bin/python examples/scripts/digits_pruned.py
"""
from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from torch.nn.utils import prune

from common import quantize, run, seed_everything
from digits import N_CALIB, load
from torch_util import export

OUT = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "pruned"
SEED = 11
EPOCHS = 30
FINETUNE = 12
SPARSITIES = (0.5, 0.8, 0.9)


def build(kind: str) -> nn.Module:
    if kind == "cnn":
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * 4 * 4, 10),
        )
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 96), nn.ReLU(), nn.Linear(96, 64), nn.ReLU(), nn.Linear(64, 10))


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, epochs: int, lr: float) -> None:
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    model.train()
    for _ in range(epochs):
        perm = torch.randperm(len(xt), generator=gen)
        for i in range(0, len(xt), 32):
            idx = perm[i:i + 32]
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()


def weighted(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def pruned(dense: nn.Module, method: str, amount: float, x: np.ndarray, y: np.ndarray) -> nn.Module:
    model = copy.deepcopy(dense)
    layers = weighted(model)
    for i, m in enumerate(layers):
        if method == "l1":
            prune.l1_unstructured(m, "weight", amount=amount)
        elif i < len(layers) - 1:
            prune.ln_structured(m, "weight", amount=amount, n=2, dim=0)
    train(model, x, y, FINETUNE, 1e-3)  # the masks keep pruned weights at zero
    for m in layers:
        if prune.is_pruned(m):
            prune.remove(m, "weight")
    return model


def zero_share(path: Path) -> float:
    """Zeros among the int8 weights (inputs 1 of the weights' DequantizeLinear)."""
    m = onnx.load(str(path))
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    weights = [inits[n.input[0]] for n in m.graph.node
               if n.op_type == "DequantizeLinear" and n.input[0] in inits and inits[n.input[0]].dtype == np.int8
               and inits[n.input[0]].ndim >= 2]
    total = sum(w.size for w in weights)
    return round(float(sum((w == 0).sum() for w in weights)) / total, 4)


def accuracy(path: Path, x: np.ndarray, y: np.ndarray) -> float:
    return round(float((run(path, x).argmax(1) == y).mean()), 4)


def main() -> None:
    seed_everything(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    x_tr, x_te, y_tr, y_te = load()
    calib = x_tr[:N_CALIB]
    info: dict = {"data": "examples/digits/test_x.npy, test_y.npy (450 held-out images)", "models": {}}
    for kind in ("cnn", "mlp"):
        dense = build(kind)
        train(dense, x_tr, y_tr, EPOCHS, 3e-3)
        variants = [("dense", dense)] + [(f"{method}{int(s * 100)}", pruned(dense, method, s, x_tr, y_tr))
                                         for method in ("l1", "ln") for s in SPARSITIES]
        for tag, model in variants:
            name = f"{kind}_{tag}"
            q8 = OUT / f"{name}_int8.onnx"
            with tempfile.TemporaryDirectory() as td:
                fp = Path(td) / "float.onnx"
                export(model, (1, 1, 8, 8), fp, output_name="logits")
                quantize(fp, q8, calib)
                float_acc = accuracy(fp, x_te, y_te)
            info["models"][name] = {"file": q8.name, "float_accuracy": float_acc, "int8_accuracy": accuracy(q8, x_te, y_te),
                                    "int8_weight_zero_share": zero_share(q8)}
            print(name, info["models"][name], flush=True)
    info["made_with"] = f"torch {torch.__version__}, torch.nn.utils.prune, onnxruntime quantize_static QDQ per-channel"
    (OUT / "info.json").write_text(json.dumps(info, indent=2) + "\n")


if __name__ == "__main__":
    main()
