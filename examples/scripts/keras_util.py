"""Keras helpers: BatchNorm statistics from data, export through tf2onnx."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnx


def set_bn_statistics(keras, model, data: np.ndarray, rng: np.random.Generator) -> None:
    """Random small biases for Conv/Dense layers (Keras initialises them to 0,
    and tf2onnx drops a zero bias). Random gamma/beta for every BatchNormalization layer, and moving
    mean/variance measured on `data` (layer by layer, in graph order, so each
    BN sees the statistics of the already-updated layers before it)."""
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                              keras.layers.Dense)) and layer.use_bias:
            w = layer.get_weights()
            w[-1] = rng.normal(0.0, 0.1, w[-1].shape).astype(np.float32)
            layer.set_weights(w)
    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization):
            continue
        sub = keras.Model(model.inputs, layer.input)
        a = sub.predict(data, batch_size=64, verbose=0)
        axes = tuple(range(a.ndim - 1))
        c = a.shape[-1]
        gamma = rng.uniform(0.6, 1.4, c).astype(np.float32)
        beta = rng.uniform(-0.3, 0.5, c).astype(np.float32)
        mean = a.mean(axis=axes).astype(np.float32)
        var = a.var(axis=axes).astype(np.float32)
        layer.set_weights([gamma, beta, mean, var])


def rename_value(graph: onnx.GraphProto, old: str, new: str) -> None:
    for n in graph.node:
        n.input[:] = [new if s == old else s for s in n.input]
        n.output[:] = [new if s == old else s for s in n.output]
    for v in list(graph.input) + list(graph.output) + list(graph.value_info):
        if v.name == old:
            v.name = new


def export_keras(model, input_shape, path: Path, opset: int = 13,
                 input_name: str = "input", output_name: str = "output") -> None:
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec(input_shape, tf.float32, name=input_name),)
    m, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset)
    rename_value(m.graph, m.graph.input[0].name, input_name)
    rename_value(m.graph, m.graph.output[0].name, output_name)
    m.doc_string = ""
    canonicalize_names(m)
    onnx.checker.check_model(m)
    onnx.save(m, str(path))


_GENERATED = re.compile(r"__\d+")


def canonicalize_names(m: onnx.ModelProto) -> None:
    """tf2onnx numbers the tensors and nodes it creates (`const_fold_opt__117`,
    `Conv__39`, ...) from a global counter whose values vary from run to run.
    Renumber them in graph order and sort initializers by first use, so
    regenerating gives byte-identical files."""
    g = m.graph
    order: list[str] = [i.name for i in g.input]
    for n in g.node:
        order += list(n.input) + list(n.output)
    order += [o.name for o in g.output]
    existing = set(order) | {i.name for i in g.initializer}
    mapping: dict[str, str] = {}
    k = 0
    for name in order:
        if name in mapping or not _GENERATED.search(name):
            continue
        while True:
            new = _GENERATED.sub("", name) + f"__{k}"
            k += 1
            if new not in existing:
                break
        mapping[name] = new
        existing.add(new)
    for n in g.node:
        n.input[:] = [mapping.get(s, s) for s in n.input]
        n.output[:] = [mapping.get(s, s) for s in n.output]
    for v in list(g.input) + list(g.output) + list(g.value_info) + list(g.initializer):
        v.name = mapping.get(v.name, v.name)
    for i, n in enumerate(g.node):
        if _GENERATED.search(n.name):
            n.name = _GENERATED.sub("", n.name) + f"__n{i}"
    first_use = {}
    for idx, name in enumerate(order):
        first_use.setdefault(mapping.get(name, name), idx)
    inits = sorted(g.initializer, key=lambda t: (first_use.get(t.name, len(order)), t.name))
    del g.initializer[:]
    g.initializer.extend(inits)
    vi = sorted(g.value_info, key=lambda t: (first_use.get(t.name, len(order)), t.name))
    del g.value_info[:]
    g.value_info.extend(vi)
