"""PyTorch helpers: non-trivial BatchNorm statistics, ONNX export (opset 13)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch


@torch.no_grad()
def set_bn_statistics(model: torch.nn.Module, data: np.ndarray, rng: np.random.Generator) -> None:
    """Random gamma/beta and small random biases; running mean/var measured on
    `data` (one pass in training mode with a cumulative moving average)."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.bias is not None:
            m.bias.copy_(torch.from_numpy(rng.normal(0.0, 0.1, m.bias.shape).astype(np.float32)))
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            c = m.num_features
            m.weight.copy_(torch.from_numpy(rng.uniform(0.6, 1.4, c).astype(np.float32)))
            m.bias.copy_(torch.from_numpy(rng.uniform(-0.3, 0.5, c).astype(np.float32)))
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the batches seen
    model.train()
    x = torch.from_numpy(data.astype(np.float32))
    for i in range(0, len(x), 64):
        model(x[i:i + 64])
    model.eval()


def export(model: torch.nn.Module, input_shape, path: Path, opset: int = 13,
           input_name: str = "input", output_name: str = "output") -> None:
    """TorchScript-based exporter (dynamo=False) at opset 13, batch fixed to 1.
    training=PRESERVE (model in eval mode) skips the exporter's Conv+BN fusion,
    so the float model keeps BatchNormalization nodes (folded later by
    quant_pre_process before quantization)."""
    model.eval()
    x = torch.zeros(input_shape, dtype=torch.float32)
    torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=opset,
                      input_names=[input_name], output_names=[output_name],
                      do_constant_folding=True,
                      training=torch.onnx.TrainingMode.PRESERVE)
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    with torch.no_grad():
        ref = model(x + 0.5).numpy()
    import onnxruntime as ort
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {input_name: (x + 0.5).numpy()})[0]
    assert np.allclose(ref, got, rtol=1e-4, atol=1e-4), "exported ONNX differs from torch"
