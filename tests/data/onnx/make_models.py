"""Makes the small ONNX image classifiers the importer tests read (run with Debian's /usr/bin/python3: PyTorch 1.13, onnx 1.12).

    /usr/bin/python3 tests/data/onnx/make_models.py

Each net is a small-width variant of a published architecture, defined here (Debian ships no torchvision), with random
weights and random BatchNorm statistics so that folding BatchNorm changes the numbers. Every net is exported twice:
`*-folded.onnx` in eval mode (torch.onnx folds BatchNorm into the convolutions) and `*-bn.onnx` with
TrainingMode.PRESERVE (BatchNormalization nodes kept). The input is [N, 3, 32, 32] with a dynamic batch axis (except
`mobilenetv3-static-batch-opset11.onnx`: batch fixed at 2, opset 11).
`unsupported-op.onnx` holds an operator the importer refuses (Erf); `nhwc-input.onnx` takes NHWC images, which it refuses too. The tests compare the importer with ONNX Runtime
on the same files, so they need no Python.
"""
import os
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
CLASSES = 10
SIDE = 32


def conv_bn(cin, cout, k, stride=1, groups=1, act=None):
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class BasicBlock(nn.Module):
    """He et al. 2016 basic block."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    """ResNet-18 layout (7x7/2 stem, 3x3/2 max-pool, [2, 2, 2, 2] basic blocks) at 1/8 width."""

    def __init__(self, width=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.pool = nn.MaxPool2d(3, 2, 1)
        blocks, cin = [], width
        for stage, cout in enumerate([width, 2 * width, 4 * width, 8 * width]):
            for b in range(2):
                blocks.append(BasicBlock(cin, cout, 2 if stage > 0 and b == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*blocks)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, CLASSES)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.avgpool(self.layers(x))
        return self.fc(torch.flatten(x, 1))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand (ReLU6), 3x3 depthwise (ReLU6), 1x1 project; residual when shapes match."""

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else [conv_bn(cin, hidden, 1, act=nn.ReLU6)]
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6), conv_bn(hidden, cout, 1)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class MobileNetV2(nn.Module):
    """MobileNetV2 layout (Sandler et al. 2018) at small width; the classifier is Dropout + Linear, as in torchvision."""

    def __init__(self):
        super().__init__()
        settings = [(1, 8, 1, 1), (6, 12, 2, 2), (6, 16, 2, 2), (6, 24, 1, 2)]
        layers, cin = [conv_bn(3, 8, 3, 2, act=nn.ReLU6)], 8
        for expand, cout, repeats, stride in settings:
            for i in range(repeats):
                layers.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expand))
                cin = cout
        layers.append(conv_bn(cin, 64, 1, act=nn.ReLU6))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, CLASSES))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


class SqueezeExcite(nn.Module):
    def __init__(self, channels, squeezed):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeezed, 1)
        self.expand = nn.Conv2d(squeezed, channels, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.expand(F.silu(self.reduce(s))))
        return x * s


class MBConv(nn.Module):
    """EfficientNet block (Tan and Le 2019): expand (SiLU), depthwise k x k (SiLU), squeeze-excite, project."""

    def __init__(self, cin, cout, k, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [] if expand == 1 else [conv_bn(cin, hidden, 1, act=nn.SiLU)]
        layers += [conv_bn(hidden, hidden, k, stride, groups=hidden, act=nn.SiLU), SqueezeExcite(hidden, max(1, cin // 4)),
                   conv_bn(hidden, cout, 1)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


class EfficientNetB0(nn.Module):
    """EfficientNet-B0 layout at small width and depth: SiLU (exported as Sigmoid + Mul), squeeze-excite, 3x3 and 5x5 depthwise."""

    def __init__(self):
        super().__init__()
        settings = [(1, 8, 3, 1, 1), (6, 12, 3, 2, 2), (6, 16, 5, 2, 1), (6, 24, 3, 2, 1), (6, 32, 5, 1, 1)]
        layers, cin = [conv_bn(3, 8, 3, 2, act=nn.SiLU)], 8
        for expand, cout, k, stride, repeats in settings:
            for i in range(repeats):
                layers.append(MBConv(cin, cout, k, stride if i == 0 else 1, expand))
                cin = cout
        layers.append(conv_bn(cin, 64, 1, act=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(64, CLASSES))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class MobileNetV3Block(nn.Module):
    """MobileNetV3 block: HardSwish, squeeze-excite with HardSigmoid, LeakyReLU for coverage, explicit asymmetric Pad."""

    def __init__(self, c):
        super().__init__()
        self.expand = conv_bn(c, 2 * c, 1, act=nn.Hardswish)
        self.depthwise = nn.Conv2d(2 * c, 2 * c, 3, 1, 0, groups=2 * c, dilation=1, bias=False)
        self.reduce = nn.Conv2d(2 * c, c // 2, 1)
        self.expand_se = nn.Conv2d(c // 2, 2 * c, 1)
        self.project = conv_bn(2 * c, c, 1)

    def forward(self, x):
        y = self.expand(x)
        y = F.leaky_relu(self.depthwise(F.pad(y, (1, 1, 1, 1))), 0.1)
        s = F.hardsigmoid(self.expand_se(F.relu(self.reduce(F.adaptive_avg_pool2d(y, 1)))))
        return x + self.project(y * s)


class MobileNetV3Small(nn.Module):
    """MobileNetV3-like net: dilated conv, HardSwish, HardSigmoid squeeze-excite, AveragePool, Gemm head after a view."""

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 16, 3, 2, act=nn.Hardswish)
        self.dilated = nn.Conv2d(16, 16, 3, 1, 2, dilation=2, bias=True)
        self.blocks = nn.Sequential(MobileNetV3Block(16), MobileNetV3Block(16))
        self.pool = nn.AvgPool2d(2, 2)
        self.head = nn.Sequential(nn.Linear(16 * 4 * 4, 32), nn.Hardswish(), nn.Linear(32, CLASSES))

    def forward(self, x):
        x = self.blocks(F.relu6(self.dilated(self.stem(x))))
        x = self.pool(self.pool(x))
        return self.head(x.reshape(x.shape[0], -1))


class Fire(nn.Module):
    def __init__(self, cin, squeeze, expand):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.expand1 = nn.Conv2d(squeeze, expand, 1)
        self.expand3 = nn.Conv2d(squeeze, expand, 3, padding=1)

    def forward(self, x):
        s = F.relu(self.squeeze(x))
        return torch.cat([F.relu(self.expand1(s)), F.relu(self.expand3(s))], 1)


class SqueezeNet(nn.Module):
    """SqueezeNet 1.1 layout (Iandola et al. 2016) at small width: Fire modules (Concat), ceil-mode max-pools, a conv classifier."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True),
            Fire(16, 4, 8), Fire(16, 4, 8), nn.MaxPool2d(3, 2, ceil_mode=True), Fire(16, 8, 16))
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(32, CLASSES, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


class Unsupported(nn.Module):
    """A conv net with GELU, exported as Erf, which the importer does not know."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, CLASSES)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(F.gelu(self.conv(x)), 1), 1))


class ChannelsLast(nn.Module):
    """A net that takes NHWC images [N, 32, 32, 3] (as TensorFlow exports do), which the importer refuses."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, CLASSES)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(F.relu(self.conv(x.permute(0, 3, 1, 2))), 1), 1))


def randomize(model):
    """Random BatchNorm statistics and affine parameters, so that inference-mode BatchNorm is not the identity."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model.eval()


def export(model, name, preserve, shape=(2, 3, SIDE, SIDE), dynamic=True, opset=13):
    path = os.path.join(HERE, name)
    torch.onnx.export(model, torch.randn(*shape), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}} if dynamic else None, opset_version=opset,
                      training=torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.EVAL,
                      do_constant_folding=not preserve)
    print(f"{name}: {os.path.getsize(path) / 1024:.0f} KB")


def main():
    torch.manual_seed(0)
    nets = {"resnet18": ResNet18(), "mobilenetv2": MobileNetV2(), "efficientnet-b0": EfficientNetB0(),
            "mobilenetv3": MobileNetV3Small(), "squeezenet": SqueezeNet()}
    for name, net in nets.items():
        net = randomize(net)
        export(net, f"{name}-folded.onnx", preserve=False)
        if name != "squeezenet":  # SqueezeNet has no BatchNorm
            export(net, f"{name}-bn.onnx", preserve=True)
    export(randomize(Unsupported()), "unsupported-op.onnx", preserve=False)
    export(randomize(ChannelsLast()), "nhwc-input.onnx", preserve=False, shape=(2, SIDE, SIDE, 3))
    # A fixed batch of 2 (torch folds x.shape[0] into the Reshape's target) and opset 11 (attribute forms of Unsqueeze etc.).
    export(nets["mobilenetv3"], "mobilenetv3-static-batch-opset11.onnx", preserve=False, dynamic=False, opset=11)


if __name__ == "__main__":
    main()
