"""The matrix architectures: one name, one data kind, a Keras builder and a
PyTorch builder of the same network (channels-last in Keras, NCHW in PyTorch).
All are small MCU-style classifiers (a few thousand parameters)."""
from __future__ import annotations

ARCHS: dict[str, str] = {   # name -> data kind (see data.load)
    "cnn": "image",          # Conv+BN+ReLU, MaxPool, Conv+BN+ReLU, MaxPool, Flatten, Dense
    "dscnn": "image",        # Conv, depthwise 3x3 + BN + ReLU, pointwise 1x1, global avg pool, Dense
    "resnet": "image",       # stem + one residual block (Conv-BN-ReLU-Conv-BN + identity, Add, ReLU)
    "mbv2": "image",         # MobileNetV2 inverted residual: expand 1x1, ReLU6, dw 3x3, ReLU6, project, Add
    "mlp": "flat",           # Dense 64-32-16-10
    "conv1d": "series",      # Conv1D 5, MaxPool1D, Conv1D 3, global avg pool, Dense
    "fire": "image",         # SqueezeNet fire: squeeze 1x1, expand 1x1 || expand 3x3, Concat
    "dilated_hswish": "image",  # 3x3 dilation 2 + HardSwish, 3x3 + HardSwish, global avg pool, Dense
    "se": "image",           # Conv + squeeze-excitation (GAP -> FC -> ReLU -> FC -> sigmoid -> Mul)
}


# ---------------------------------------------------------------- Keras
def keras_model(name: str, keras, input_shape: tuple[int, ...], classes: int):
    L = keras.layers
    # momentum 0.9: the default 0.99 leaves the moving statistics far from the data after a few epochs
    BN = lambda: L.BatchNormalization(momentum=0.9)  # noqa: E731
    inp = keras.Input(shape=input_shape, batch_size=1, name="input")  # TFLite for MCUs: batch 1

    def cbr(x, f, k=3, act="relu", **kw):
        x = L.Conv2D(f, k, padding="same", use_bias=False, **kw)(x)
        x = BN()(x)
        return L.Activation(act)(x) if act else x

    if name == "cnn":
        x = cbr(inp, 8)
        x = L.MaxPooling2D(2)(x)
        x = cbr(x, 16)
        x = L.MaxPooling2D(2)(x)
        x = L.Flatten()(x)
    elif name == "dscnn":
        x = cbr(inp, 16)
        x = L.DepthwiseConv2D(3, padding="same", use_bias=False)(x)
        x = BN()(x)
        x = L.ReLU()(x)
        x = cbr(x, 24, 1)
        x = L.GlobalAveragePooling2D()(x)
    elif name == "resnet":
        x = cbr(inp, 16)
        y = cbr(x, 16)
        y = cbr(y, 16, act=None)
        x = L.ReLU()(L.Add()([x, y]))
        x = L.MaxPooling2D(2)(x)
        x = L.GlobalAveragePooling2D()(x)
    elif name == "mbv2":
        x = L.ReLU(6.0)(BN()(L.Conv2D(16, 3, padding="same", use_bias=False)(inp)))
        y = L.ReLU(6.0)(BN()(L.Conv2D(48, 1, use_bias=False)(x)))
        y = L.ReLU(6.0)(BN()(L.DepthwiseConv2D(3, padding="same", use_bias=False)(y)))
        y = BN()(L.Conv2D(16, 1, use_bias=False)(y))
        x = L.Add()([x, y])
        x = L.GlobalAveragePooling2D()(x)
    elif name == "mlp":
        x = L.Dense(32, activation="relu")(inp)
        x = L.Dense(16, activation="relu")(x)
    elif name == "conv1d":
        x = L.Conv1D(8, 5, padding="same", activation="relu")(inp)
        x = L.MaxPooling1D(2)(x)
        x = L.Conv1D(16, 3, padding="same", activation="relu")(x)
        x = L.GlobalAveragePooling1D()(x)
    elif name == "fire":
        x = L.Conv2D(16, 3, padding="same", activation="relu")(inp)
        s = L.Conv2D(8, 1, activation="relu")(x)
        e1 = L.Conv2D(16, 1, activation="relu")(s)
        e3 = L.Conv2D(16, 3, padding="same", activation="relu")(s)
        x = L.Concatenate()([e1, e3])
        x = L.MaxPooling2D(2)(x)
        x = L.GlobalAveragePooling2D()(x)
    elif name == "dilated_hswish":
        x = L.Conv2D(16, 3, padding="same", dilation_rate=2)(inp)
        x = L.Activation("hard_swish")(x)
        x = L.Conv2D(16, 3, padding="same")(x)
        x = L.Activation("hard_swish")(x)
        x = L.GlobalAveragePooling2D()(x)
    elif name == "se":
        x = L.Conv2D(16, 3, padding="same", activation="relu")(inp)
        s = L.GlobalAveragePooling2D()(x)
        s = L.Dense(4, activation="relu")(s)
        s = L.Dense(16, activation="sigmoid")(s)
        x = L.Multiply()([x, L.Reshape((1, 1, 16))(s)])
        x = L.MaxPooling2D(2)(x)
        x = L.Flatten()(x)
    else:
        raise ValueError(name)
    out = L.Dense(classes, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name=name)


# ---------------------------------------------------------------- PyTorch
def torch_model(name: str, in_ch: int, classes: int):
    import torch
    from torch import nn

    def cbr(cin, cout, k=3, act=True):
        layers = [nn.Conv2d(cin, cout, k, padding=k // 2, bias=False), nn.BatchNorm2d(cout)]
        return nn.Sequential(*layers, nn.ReLU()) if act else nn.Sequential(*layers)

    class Residual(nn.Module):
        def __init__(self, body, post=None):
            super().__init__()
            self.body, self.post = body, post

        def forward(self, x):
            y = x + self.body(x)
            return self.post(y) if self.post is not None else y

    class Fire(nn.Module):
        def __init__(self):
            super().__init__()
            self.squeeze = nn.Sequential(nn.Conv2d(16, 8, 1), nn.ReLU())
            self.e1 = nn.Sequential(nn.Conv2d(8, 16, 1), nn.ReLU())
            self.e3 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())

        def forward(self, x):
            s = self.squeeze(x)
            return torch.cat([self.e1(s), self.e3(s)], 1)

    class SE(nn.Module):
        def __init__(self, c, r=4):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(c, c // r), nn.Linear(c // r, c)

        def forward(self, x):
            s = x.mean((2, 3))                      # the usual PyTorch global pooling
            s = torch.relu(self.fc1(s))
            s = nn.functional.hardsigmoid(self.fc2(s))
            return x * s[:, :, None, None]

    if name == "cnn":
        return nn.Sequential(cbr(in_ch, 8), nn.MaxPool2d(2), cbr(8, 16), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(16 * 2 * 2, classes))
    if name == "dscnn":
        return nn.Sequential(cbr(in_ch, 16),
                             nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                             cbr(16, 24, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(24, classes))
    if name == "resnet":
        return nn.Sequential(cbr(in_ch, 16), Residual(nn.Sequential(cbr(16, 16), cbr(16, 16, act=False)), nn.ReLU()),
                             nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, classes))
    if name == "mbv2":
        return nn.Sequential(
            nn.Conv2d(in_ch, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(),
            Residual(nn.Sequential(
                nn.Conv2d(16, 48, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU6(),
                nn.Conv2d(48, 48, 3, padding=1, groups=48, bias=False), nn.BatchNorm2d(48), nn.ReLU6(),
                nn.Conv2d(48, 16, 1, bias=False), nn.BatchNorm2d(16))),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, classes))
    if name == "mlp":
        return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, classes))
    if name == "conv1d":
        return nn.Sequential(nn.Conv1d(in_ch, 8, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
                             nn.Conv1d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool1d(1),
                             nn.Flatten(), nn.Linear(16, classes))
    if name == "fire":
        return nn.Sequential(nn.Conv2d(in_ch, 16, 3, padding=1), nn.ReLU(), Fire(), nn.MaxPool2d(2),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, classes))
    if name == "dilated_hswish":
        return nn.Sequential(nn.Conv2d(in_ch, 16, 3, padding=2, dilation=2), nn.Hardswish(),
                             nn.Conv2d(16, 16, 3, padding=1), nn.Hardswish(),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, classes))
    if name == "se":
        return nn.Sequential(nn.Conv2d(in_ch, 16, 3, padding=1), nn.ReLU(), SE(16), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(16 * 4 * 4, classes))
    raise ValueError(name)
