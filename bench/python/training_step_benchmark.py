"""PyTorch peer of SharpnessML's training-step benchmark: seconds per optimizer step on the network of an exchange
directory D (see make_random_exchange.py) and its first `batch` rows, network in train mode.

  SGD step  forward, mean cross-entropy, backward, torch.optim.SGD(lr 0.01, momentum 0.9, weight decay 5e-4).step()
  SAM step  (Foret et al. 2021) g = grad L_B(w); eps = rho g / |g| (rho 0.05, norm over all parameters); w += eps;
            second forward/backward at w + eps with BatchNorm momentum 0 (running statistics not updated, then
            restored); w -= eps; the same base SGD step with the gradient taken at w + eps
Each is timed `steps` times after `warmup` untimed steps, from the exchanged weights; reports the median seconds per
step, the SAM/SGD ratio, the mean loss of the first SGD and SAM step (at the exchanged weights: a check that a peer ran on
the same weights and rows), and a 2048x2048 float32 matmul (GFLOP/s) as a yardstick of the machine, as JSON.
bench/TrainerBenchmarks drives it with --serve, a few steps at a time, interleaved with SharpnessML's steps (`-- pytorch`).

OpenBLAS (linear layers) gets one thread during the steps and `threads` for the matmul (see set_blas_threads).

  /usr/bin/python3 training_step_benchmark.py D [--threads 2] [--batch 128] [--steps 30] [--warmup 5] [--blas-threads 1] [--out result.json]
  /usr/bin/python3 training_step_benchmark.py D --serve [...]    # driven line by line (see serve)
"""
import argparse, json, os, resource, statistics, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
from make_random_exchange import load, set_blas_threads, tune_malloc


def sgd_step(net, optimizer, x, y):
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    optimizer.step()
    return loss


def sam_step(net, optimizer, x, y, rho=0.05):
    params = [p for p in net.parameters() if p.requires_grad]
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(net(x), y)
    loss.backward()
    with torch.no_grad():
        norm = torch.norm(torch.stack([p.grad.norm() for p in params]))
        eps = [p.grad * (rho / norm) for p in params]
        for p, e in zip(params, eps): p.add_(e)
    norms = [m for m in net.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms: m.momentum = 0.0
    optimizer.zero_grad(set_to_none=True)
    F.cross_entropy(net(x), y).backward()
    for m, momentum in zip(norms, momenta): m.momentum = momentum
    with torch.no_grad():
        for p, e in zip(params, eps): p.sub_(e)
    optimizer.step()
    return loss


def leaf_layers(net, x):
    """(name, module, input) of every module without children, in the order a forward pass of x calls them."""
    names, records = {m: n for n, m in net.named_modules()}, []
    hooks = [m.register_forward_hook(lambda module, inputs, _: records.append((names[module], module, inputs[0].detach().clone())))
             for m in net.modules() if not list(m.children())]
    with torch.no_grad(): net(x)
    for h in hooks: h.remove()
    return records


def time_layers(records, repeats):
    """Each layer alone on its recorded input: `repeats` timed forward passes and backward passes (output gradient 1; the input
    needs a gradient except for the first layer's, the images), after one untimed; LayerProfile.cs does the same in SharpnessML."""
    result = []
    for i, (name, module, recorded) in enumerate(records):
        forward, backward = [], []
        for r in range(repeats + 1):
            module.zero_grad(set_to_none=True)
            x = recorded.detach().requires_grad_(i > 0)
            start = time.perf_counter(); y = module(x); middle = time.perf_counter()
            y.backward(torch.ones_like(y)); end = time.perf_counter()
            if r > 0: forward.append(middle - start); backward.append(end - middle)
        result.append({"name": name, "type": type(module).__name__, "forward": forward, "backward": backward})
    return result


def median_seconds(step, directory, batch, steps, warmup):
    _, net, X, Y = load(directory)  # fresh weights and optimizer state for each kind of step
    net.train()
    x, y = X[:batch].contiguous(), Y[:batch].contiguous()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    times, first_loss = [], None
    for i in range(warmup + steps):
        start = time.perf_counter(); loss = step(net, optimizer, x, y); elapsed = time.perf_counter() - start
        if first_loss is None: first_loss = loss.item()
        if i >= warmup: times.append(elapsed)
    return statistics.median(times), len(y), first_loss


def matmul_gflops(n=2048, repeats=10, threads=2):
    set_blas_threads(threads)  # the matmul is OpenBLAS's alone: all threads
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(2): a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter(); a @ b; times.append(time.perf_counter() - start)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def serve(args, blas_threads, malloc):
    """Line protocol for a driver that interleaves its own steps with these (bench/TrainerBenchmarks -- pytorch): one JSON
    line on start, then for each input line `sgd K`, `sam K` or `matmul K` one JSON line with K timings in seconds. Each kind
    of step keeps its network and optimizer (from the exchanged weights) across commands; `first_loss` is its first step's.
    `layers K` times each layer alone, K times (time_layers), on its input in a forward pass of the exchanged network."""
    kinds = {}
    for name, step in (("sgd", sgd_step), ("sam", sam_step)):
        _, net, X, Y = load(args.directory)
        net.train()
        x, y = X[:args.batch].contiguous(), Y[:args.batch].contiguous()
        kinds[name] = [step, net, torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4), x, y, None]
    layers = None  # made by the first `layers` command: the recorded inputs take memory
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    print(json.dumps({"torch": torch.__version__, "malloc": malloc, "blas_threads_in_steps": blas_threads, "batch": args.batch}), flush=True)
    for line in sys.stdin:
        command, count = line.split()
        times = []
        if command == "matmul":
            set_blas_threads(args.threads)
            for _ in range(int(count)):
                start = time.perf_counter(); a @ b; times.append(time.perf_counter() - start)
            set_blas_threads(args.blas_threads)
            print(json.dumps({"seconds": times, "gflops": [2 * n ** 3 / t / 1e9 for t in times]}), flush=True)
            continue
        if command == "layers":
            if layers is None:
                _, layer_net, X, _ = load(args.directory)
                layers = leaf_layers(layer_net.train(), X[:args.batch].contiguous())
            print(json.dumps({"layers": time_layers(layers, int(count))}), flush=True)
            continue
        entry = kinds[command]
        step, net, optimizer, x, y, _ = entry
        for _ in range(int(count)):
            start = time.perf_counter(); loss = step(net, optimizer, x, y); times.append(time.perf_counter() - start)
            if entry[5] is None: entry[5] = loss.item()
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        print(json.dumps({"seconds": times, "first_loss": entry[5], "peak_rss_mib": peak_mib}), flush=True)


if __name__ == "__main__":
    a = argparse.ArgumentParser(description="Seconds per SGD and SAM step in PyTorch.")
    a.add_argument("directory"); a.add_argument("--threads", type=int, default=2); a.add_argument("--batch", type=int, default=128)
    a.add_argument("--steps", type=int, default=30); a.add_argument("--warmup", type=int, default=5); a.add_argument("--out")
    a.add_argument("--blas-threads", type=int, default=1, help="OpenBLAS threads during the steps (see set_blas_threads)")
    a.add_argument("--serve", action="store_true", help="line protocol for an interleaving driver (see serve)")
    args = a.parse_args()
    malloc = tune_malloc()
    torch.set_num_threads(args.threads)
    blas_threads = set_blas_threads(args.blas_threads)
    torch.manual_seed(1)
    if args.serve:
        serve(args, blas_threads, malloc)
        sys.exit(0)
    load_average = os.getloadavg()[0]  # above 0 (1 min average): other processes were using the shared cores
    sgd, rows, sgd_first_loss = median_seconds(sgd_step, args.directory, args.batch, args.steps, args.warmup)
    sam, _, sam_first_loss = median_seconds(sam_step, args.directory, args.batch, args.steps, args.warmup)
    manifest = json.load(open(f"{args.directory}/manifest.json"))
    result = {"architecture": manifest["architecture"], "batch": rows, "threads": args.threads, "steps": args.steps,
              "warmup": args.warmup, "torch": torch.__version__, "malloc": malloc, "sgd_step_seconds": sgd, "sam_step_seconds": sam,
              "sam_over_sgd": sam / sgd, "sgd_first_loss": sgd_first_loss, "sam_first_loss": sam_first_loss,
              "blas_threads_in_steps": blas_threads,
              "matmul_2048_gflops": matmul_gflops(threads=args.threads),
              "load_average_at_start": load_average}
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f: f.write(text + "\n")
