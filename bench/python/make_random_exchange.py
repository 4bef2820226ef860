"""The exchange format between SharpnessML (bench/EvaluatorBenchmarks --export DIR) and the PyTorch peer scripts here,
and a generator of random exchange directories, so that the peer scripts can run without the C# side.

A directory D holds
  manifest.json  {"architecture": "ConvNet"|"Mlp"|"ResNet"|"ResNet18"|"WideResNet", "channels": C, "height": H, "width": W,
                  "classes": K, "rows": N, ["wide_resnet_depth": d, "wide_resnet_width": k,]
                  "tensors": [{"name": "conv1.weight", "shape": [32, 1, 3, 3]}, ...]}
  weights.bin    the listed state_dict tensors, in that order, float32 little-endian, concatenated
                 (BatchNorm running_mean/running_var included, num_batches_tracked not)
  images.bin     float32 little-endian [N, C, H, W];   labels.bin  int64 little-endian [N], classes 0..K-1

Networks (the C# ones; BatchNorm eps 1e-5, momentum 0.1):
  ConvNet: conv1 3x3(C->32, no bias) bn1 relu1 pool1 | conv2 3x3(32->64, no bias) bn2 relu2 pool2 | flatten fc1(->128) relu3 classifier
  Mlp (Keskar et al. 2017, F1): flatten, 5 x [fc{i}(->512) bn{i} relu{i}], classifier
  ResNet (CIFAR, He et al. 2016): stem 3x3(C->16) stem_bn stem_relu | 3 stages x n ResidualBlock (16, 32, 64) | pool classifier
  ResNet18 (He et al. 2016, Table 1): stem 7x7/2 pad 3 (C->64) stem_bn stem_relu stem_pool 3x3/2 pad 1 when H, W >= 64,
           else stem 3x3/1 (C->64) stem_bn stem_relu | stage1_0..stage4_1: 2 ResidualBlock per stage (64, 128, 256, 512) | pool classifier
  WideResNet WRN-d-k (Zagoruyko and Komodakis 2016; default WRN-16-8): stem 3x3(C->16) | group1_0..group3_{n-1}:
           n = (d - 4) / 6 PreActivationBlock per group (16k, 32k, 64k) | bn relu pool classifier

Other scripts import network(), load() and tune_malloc() from here. As a script:
  /usr/bin/python3 make_random_exchange.py D [--arch ConvNet|Mlp|ResNet|ResNet18|WideResNet] [--rows 1000] [--channels 1]
      [--size 28] [--classes 10] [--wrn-depth 16] [--wrn-width 8]
writes D with torch's default initialisation (seed 1), random BatchNorm running statistics (so that eval mode is not the
identity), uniform [0, 1) images and uniform labels.
"""
import argparse, ctypes, json, os, sys
from collections import OrderedDict
import numpy as np, torch, torch.nn as nn


def tune_malloc():
    """Raise glibc's mmap and trim thresholds, as SharpnessML does for itself (docs/known-issues.md): with the defaults
    every large tensor freed and re-allocated in a loop is unmapped and mapped again, and the page faults dominate the
    per-row Fisher loop (ConvNet, 1000 rows, 2 threads: 228 s with glibc's defaults). Left alone when
    MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ is set or SHARPNESS_MALLOC_TUNING=0. Returns what was done."""
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_"): return "environment"
    if os.environ.get("SHARPNESS_MALLOC_TUNING") == "0" or not sys.platform.startswith("linux"): return "glibc defaults"
    try:
        libc, M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = ctypes.CDLL("libc.so.6"), -1, -3
        ok = libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1 and libc.mallopt(M_TRIM_THRESHOLD, 2 ** 31 - 1) == 1
        return "mallopt mmap 32 MiB, trim 2 GiB" if ok else "glibc defaults (mallopt refused)"
    except OSError:
        return "glibc defaults (no libc.so.6)"


def set_blas_threads(n):
    """Sets the thread count of the OpenBLAS that torch loaded (Debian's python3-torch uses libopenblas0-pthread for
    linear layers and matmul; convolutions go through oneDNN on torch's OpenMP threads). OpenBLAS keeps its own pthreads,
    one per core by default, which spin after each call: on 2 cores, with torch's 2 OpenMP threads, they were
    oversubscribed, and training steps had ~100 ms stalls in a third of SAM steps (sgd/sam 0.035/0.069 s steady with 1 BLAS
    thread; medians up to 0.044/0.13 s with 2). Returns the count set, or None when no OpenBLAS is loaded."""
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.split()[-1]})
    except OSError:
        return None
    for path in paths:
        try:
            library = ctypes.CDLL(path)
            library.openblas_set_num_threads(int(n))
            return int(library.openblas_get_num_threads())
        except (OSError, AttributeError):
            continue
    return None


class ResidualBlock(nn.Module):
    """relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), the 1x1 conv + BN shortcut when the shape changes (He et al. 2016)."""
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1, bias=False); self.bn1 = nn.BatchNorm2d(outputs)
        self.relu1 = nn.ReLU()  # a module, as in SharpnessML's block, so that per-layer timings name the same layers
        self.conv2 = nn.Conv2d(outputs, outputs, 3, padding=1, bias=False); self.bn2 = nn.BatchNorm2d(outputs)
        self.shortcut = nn.Sequential(OrderedDict([("conv", nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False)), ("bn", nn.BatchNorm2d(outputs))])) \
            if stride != 1 or inputs != outputs else None

    def forward(self, x):
        y = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return torch.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class PreActivationBlock(nn.Module):
    """The wide pre-activation block (Zagoruyko and Komodakis 2016): a = relu(bn1(x)), conv2(relu(bn2(conv1(a)))) + (x, or the
    1x1 conv `shortcut` of a when the shape changes)."""
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inputs); self.relu1 = nn.ReLU(); self.conv1 = nn.Conv2d(inputs, outputs, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs); self.relu2 = nn.ReLU(); self.conv2 = nn.Conv2d(outputs, outputs, 3, padding=1, bias=False)
        self.shortcut = nn.Conv2d(inputs, outputs, 1, stride=stride, bias=False) if stride != 1 or inputs != outputs else None

    def forward(self, x):
        a = self.relu1(self.bn1(x))
        y = self.conv2(self.relu2(self.bn2(self.conv1(a))))
        return y + (x if self.shortcut is None else self.shortcut(a))


class GlobalAveragePool(nn.Module):
    def forward(self, x):
        return x.mean((2, 3))


def basic_block_stages(layers, inputs, widths, blocks_per_stage):
    """Appends stages of ResidualBlocks named stage{s}_{b}, stride 2 at the first block of every stage after the first; returns
    the last block's channels (NetworkFactory.AddBasicBlockStages)."""
    for stage, width_ in enumerate(widths):
        for block in range(blocks_per_stage):
            layers.append((f"stage{stage + 1}_{block}", ResidualBlock(inputs, width_, 2 if stage > 0 and block == 0 else 1)))
            inputs = width_
    return inputs


def network(architecture, channels, height, width, classes, blocks_per_stage=3, wrn_depth=16, wrn_width=8):
    """The network of NetworkFactory.Create, with the same state_dict names and shapes."""
    if architecture == "ResNet":
        layers = [("stem", nn.Conv2d(channels, 16, 3, padding=1, bias=False)), ("stem_bn", nn.BatchNorm2d(16)), ("stem_relu", nn.ReLU())]
        inputs = basic_block_stages(layers, 16, [16, 32, 64], blocks_per_stage)
        return nn.Sequential(OrderedDict(layers + [("pool", GlobalAveragePool()), ("classifier", nn.Linear(inputs, classes))]))
    if architecture == "ResNet18":
        imagenet_stem = min(height, width) >= 64  # NetworkFactory.ResNet18ImageNetStemSide
        stem = nn.Conv2d(channels, 64, 7, stride=2, padding=3, bias=False) if imagenet_stem else nn.Conv2d(channels, 64, 3, padding=1, bias=False)
        layers = [("stem", stem), ("stem_bn", nn.BatchNorm2d(64)), ("stem_relu", nn.ReLU())]
        if imagenet_stem: layers.append(("stem_pool", nn.MaxPool2d(3, stride=2, padding=1)))
        inputs = basic_block_stages(layers, 64, [64, 128, 256, 512], 2)
        return nn.Sequential(OrderedDict(layers + [("pool", GlobalAveragePool()), ("classifier", nn.Linear(inputs, classes))]))
    if architecture == "WideResNet":
        blocks = (wrn_depth - 4) // 6
        if blocks < 1 or wrn_depth != 6 * blocks + 4: raise ValueError(f"a wide ResNet's depth is 6n + 4 with n >= 1, not {wrn_depth}")
        layers, inputs = [("stem", nn.Conv2d(channels, 16, 3, padding=1, bias=False))], 16
        for group in range(3):
            width_ = 16 * wrn_width << group
            for block in range(blocks):
                layers.append((f"group{group + 1}_{block}", PreActivationBlock(inputs, width_, 2 if group > 0 and block == 0 else 1)))
                inputs = width_
        layers += [("bn", nn.BatchNorm2d(inputs)), ("relu", nn.ReLU()), ("pool", GlobalAveragePool()), ("classifier", nn.Linear(inputs, classes))]
        return nn.Sequential(OrderedDict(layers))
    if architecture == "ConvNet":
        return nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(channels, 32, 3, padding=1, bias=False)), ("bn1", nn.BatchNorm2d(32)), ("relu1", nn.ReLU()),
            ("pool1", nn.MaxPool2d(2, 2)),
            ("conv2", nn.Conv2d(32, 64, 3, padding=1, bias=False)), ("bn2", nn.BatchNorm2d(64)), ("relu2", nn.ReLU()),
            ("pool2", nn.MaxPool2d(2, 2)),
            ("flatten", nn.Flatten()), ("fc1", nn.Linear(64 * (height // 4) * (width // 4), 128)), ("relu3", nn.ReLU()),
            ("classifier", nn.Linear(128, classes))]))
    if architecture == "Mlp":
        layers, inputs = [("flatten", nn.Flatten())], channels * height * width
        for i in range(5):
            layers += [(f"fc{i}", nn.Linear(inputs, 512)), (f"bn{i}", nn.BatchNorm1d(512)), (f"relu{i}", nn.ReLU())]
            inputs = 512
        return nn.Sequential(OrderedDict(layers + [("classifier", nn.Linear(512, classes))]))
    raise ValueError(f"unknown architecture {architecture!r}")


def load(directory):
    """(manifest, network with the exchanged weights, images [N,C,H,W] float32, labels [N] int64)."""
    with open(os.path.join(directory, "manifest.json")) as f:
        m = json.load(f)
    blocks = len({t["name"].split(".")[0] for t in m["tensors"] if t["name"].startswith("stage1_")}) or 3
    net = network(m["architecture"], m["channels"], m["height"], m["width"], m["classes"], blocks,
                  m.get("wide_resnet_depth", 16), m.get("wide_resnet_width", 8))
    flat, offset, state = np.fromfile(os.path.join(directory, "weights.bin"), dtype="<f4"), 0, net.state_dict()
    expected = {k for k in state if not k.endswith("num_batches_tracked")}
    listed = [t["name"] for t in m["tensors"]]
    assert set(listed) == expected and len(listed) == len(expected), f"manifest tensors {listed} != network {sorted(expected)}"
    for t in m["tensors"]:
        n = int(np.prod(t["shape"]))
        assert list(state[t["name"]].shape) == list(t["shape"]), f"{t['name']}: {t['shape']} != {list(state[t['name']].shape)}"
        state[t["name"]].copy_(torch.from_numpy(flat[offset:offset + n].reshape(t["shape"]).astype(np.float32)))
        offset += n
    assert offset == flat.size, f"weights.bin has {flat.size} floats, the manifest lists {offset}"
    N, shape = m["rows"], (m["rows"], m["channels"], m["height"], m["width"])
    images = torch.from_numpy(np.fromfile(os.path.join(directory, "images.bin"), dtype="<f4").astype(np.float32).reshape(shape))
    labels = torch.from_numpy(np.fromfile(os.path.join(directory, "labels.bin"), dtype="<i8").astype(np.int64))
    assert labels.shape == (N,) and 0 <= int(labels.min()) and int(labels.max()) < m["classes"], "labels.bin does not match"
    return m, net, images, labels


def write(directory, architecture, net, images, labels, classes, extra=None):
    os.makedirs(directory, exist_ok=True)
    tensors = [(k, v) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")]
    with open(os.path.join(directory, "weights.bin"), "wb") as f:
        for _, v in tensors:
            f.write(v.detach().contiguous().numpy().astype("<f4").tobytes())
    images.contiguous().numpy().astype("<f4").tofile(os.path.join(directory, "images.bin"))
    labels.numpy().astype("<i8").tofile(os.path.join(directory, "labels.bin"))
    N, C, H, W = images.shape
    manifest = {"architecture": architecture, "channels": C, "height": H, "width": W, "classes": classes, "rows": N, **(extra or {}),
                "tensors": [{"name": k, "shape": list(v.shape)} for k, v in tensors]}
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)


if __name__ == "__main__":
    a = argparse.ArgumentParser(description="Write a random exchange directory.")
    a.add_argument("directory"); a.add_argument("--arch", default="ConvNet", choices=["ConvNet", "Mlp", "ResNet", "ResNet18", "WideResNet"])
    a.add_argument("--rows", type=int, default=1000); a.add_argument("--channels", type=int, default=1)
    a.add_argument("--size", type=int, default=28); a.add_argument("--classes", type=int, default=10)
    a.add_argument("--wrn-depth", type=int, default=16); a.add_argument("--wrn-width", type=int, default=8)
    args = a.parse_args()
    torch.manual_seed(1)
    net = network(args.arch, args.channels, args.size, args.size, args.classes, wrn_depth=args.wrn_depth, wrn_width=args.wrn_width)
    extra = {"wide_resnet_depth": args.wrn_depth, "wide_resnet_width": args.wrn_width} if args.arch == "WideResNet" else None
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0, 0.1); m.running_var.uniform_(0.5, 1.5)
    images = torch.rand(args.rows, args.channels, args.size, args.size)
    labels = torch.randint(0, args.classes, (args.rows,))
    write(args.directory, args.arch, net, images, labels, args.classes, extra)
    print(f"wrote {args.directory}: {args.arch}, {args.rows} rows, "
          f"{sum(p.numel() for p in net.parameters()):,} trainable parameters")
