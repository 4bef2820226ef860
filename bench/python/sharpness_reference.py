"""Independent PyTorch reference for the sharpness measures of SharpnessML, on an exchange directory D
(see make_random_exchange.py). Network in eval mode (BatchNorm running statistics), L(w) = mean cross-entropy over all
N rows (no label smoothing, no weight decay), w = all trainable parameters (conv/linear weights and biases, BatchNorm
weight and bias), l_i = cross-entropy of row i, g = grad L(w).

  loss, accuracy              L(w), share of rows whose arg-max logit is the label
  sam_sharpness_k1            L(w + eps) - L(w),  eps = rho g / |g|                         (Foret et al. 2021, SAM)
  adaptive_sharpness_k1       L(w + eps) - L(w),  eps = rho T^2 g / |T g|,  T = |w| + eta   (Kwon et al. 2021, ASAM; eta 0.01)
  empirical_fisher_trace      (1/N) sum_i |grad l_i|^2                                       (per-row loop)
  model_fisher_trace          (1/N) sum_i sum_y p(y|x_i) |grad log p(y|x_i)|^2                (exact over classes, per-row loop)
  fisher_rao_norm             (1/N) sum_i <w, grad l_i>^2                                    (Liang et al. 2019)
  weight_norm                 |w|_2
  hessian_top_eigenvalue      power iteration v <- Hv/|Hv| on Hessian-vector products of L (double backward), estimate
                              v'Hv, v0 ~ N(0, I) (seed 1), until the relative change is < 1e-4 or 200 products
                              (as PyHessian, Yao et al. 2020)
  hessian_trace               Hutchinson (1990): mean of z'Hz over 200 Rademacher probes z (seed 1), with standard error
Rows go through the network in chunks (default 256, as SharpnessML), each chunk's sum scaled by 1/N.

  /usr/bin/python3 sharpness_reference.py D [--threads 2] [--out result.json] [--chunk 256] [--probes 200]
  /usr/bin/python3 sharpness_reference.py --self-test      # checks against dense Hessians and closed forms
Prints the result as JSON (and writes it to --out); progress goes to stderr.
"""
import argparse, json, os, sys, time
from collections import OrderedDict
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

RHOS, ETA = [0.01, 0.05, 0.1], 0.01


class Objective:
    """L(w) of an eval-mode network on rows (X, Y), with w the flat vector of its trainable parameters."""

    def __init__(self, net, X, Y, chunk=256):
        self.net, self.X, self.Y, self.N = net.eval(), X, Y, len(Y)
        self.P = [p for p in net.parameters() if p.requires_grad]
        self.w0 = torch.nn.utils.parameters_to_vector(self.P).detach().clone()
        self.chunks = [slice(s, min(s + chunk, self.N)) for s in range(0, self.N, chunk)]

    def flat(self, grads):
        return torch.cat([g.reshape(-1) for g in grads])

    def chunk_loss(self, c):  # this chunk's share of L
        return F.cross_entropy(self.net(self.X[c]), self.Y[c], reduction="sum") / self.N

    def loss_and_accuracy(self, delta=None):
        with torch.no_grad():
            if delta is not None: torch.nn.utils.vector_to_parameters(self.w0 + delta, self.P)
            loss = correct = 0.0
            for c in self.chunks:
                z = self.net(self.X[c])
                loss += F.cross_entropy(z, self.Y[c], reduction="sum").item()
                correct += (z.argmax(1) == self.Y[c]).sum().item()
            if delta is not None: torch.nn.utils.vector_to_parameters(self.w0, self.P)
        return loss / self.N, correct / self.N

    def gradient(self):
        return sum(self.flat(torch.autograd.grad(self.chunk_loss(c), self.P)) for c in self.chunks)

    def hvp(self, v):
        out = torch.zeros_like(self.w0)
        for c in self.chunks:
            g = self.flat(torch.autograd.grad(self.chunk_loss(c), self.P, create_graph=True))
            out += self.flat(torch.autograd.grad(g @ v, self.P))
        return out

    def sharpness(self, g, loss, rhos=RHOS, eta=None):
        """SAM (eta None) or ASAM sharpness, k = 1, for each rho."""
        if eta is None: direction = g / g.norm()
        else: T = self.w0.abs() + eta; direction = T * T * g / (T * g).norm()
        return [{"rho": rho, **({} if eta is None else {"eta": eta}),
                 "value": self.loss_and_accuracy(rho * direction)[0] - loss} for rho in rhos]

    def fisher(self):
        """(empirical Fisher trace, model Fisher trace, Fisher-Rao norm), one row and K backward passes at a time."""
        empirical = model = fisher_rao = 0.0
        for i in range(self.N):
            log_p = F.log_softmax(self.net(self.X[i:i + 1]), 1)[0]
            p, K = log_p.detach().exp(), log_p.numel()
            for y in range(K):
                gy = self.flat(torch.autograd.grad(log_p[y], self.P, retain_graph=y < K - 1))
                square = (gy @ gy).item()
                model += p[y].item() * square
                if y == self.Y[i]:  # grad l_i = -grad log p(y_i|x_i)
                    empirical += square; fisher_rao += (gy @ self.w0).item() ** 2
        return empirical / self.N, model / self.N, fisher_rao / self.N

    def top_eigenvalue(self, iterations=200, tolerance=1e-4, seed=1):
        v = torch.randn(self.w0.shape, generator=torch.Generator().manual_seed(seed), dtype=self.w0.dtype)
        v, value = v / v.norm(), None
        for it in range(1, iterations + 1):
            hv = self.hvp(v)
            new = (hv @ v).item()
            v = hv / hv.norm()
            if value is not None and abs(new - value) / (abs(value) + 1e-6) < tolerance:
                return {"value": new, "iterations": it}
            value = new
        return {"value": value, "iterations": iterations}

    def hutchinson(self, probes=200, seed=1):
        gen, samples = torch.Generator().manual_seed(seed), []
        for _ in range(probes):
            z = torch.randint(0, 2, self.w0.shape, generator=gen).to(self.w0.dtype) * 2 - 1
            samples.append((self.hvp(z) @ z).item())
        return {"value": float(np.mean(samples)), "standard_error": float(np.std(samples, ddof=1) / np.sqrt(probes)),
                "probes": probes}


def reference(objective, probes=200):
    result, seconds = {}, {}

    def timed(name, f):
        start = time.perf_counter(); value = f(); seconds[name] = time.perf_counter() - start
        print(f"  {name}: {seconds[name]:.2f} s", file=sys.stderr, flush=True)
        return value

    o = objective
    result["loss"], result["accuracy"] = timed("loss", o.loss_and_accuracy)
    g = timed("gradient", o.gradient)  # shared by SAM and ASAM; their timings below exclude it
    result["sam_sharpness_k1"] = timed("sam_sharpness_k1", lambda: o.sharpness(g, result["loss"]))
    result["adaptive_sharpness_k1"] = timed("adaptive_sharpness_k1", lambda: o.sharpness(g, result["loss"], eta=ETA))
    (result["empirical_fisher_trace"], result["model_fisher_trace"], result["fisher_rao_norm"]) = timed("fisher", o.fisher)
    result["weight_norm"] = timed("weight_norm", lambda: o.w0.norm().item())
    result["hessian_top_eigenvalue"] = timed("hessian_top_eigenvalue", o.top_eigenvalue)
    result["hessian_trace"] = timed("hessian_trace", lambda: o.hutchinson(probes))
    result["seconds"] = seconds
    return result


def self_test():
    """Checks against closed forms and dense Hessians, in float64 on tiny networks; also the float32 ConvNet's
    Hessian-vector product against float64 (libtorch 2.10's conv double backward is known to be wrong, see docs)."""
    from torch.nn.utils.stateless import functional_call
    from make_random_exchange import network
    torch.manual_seed(3)
    failures, passed = [], []

    def check(name, ok, detail):
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}"); (passed if ok else failures).append(name)

    # A tiny Mlp-like net (Linear, BatchNorm1d with running statistics, ReLU, Linear): dense Hessian by autograd.
    net = nn.Sequential(OrderedDict([("flatten", nn.Flatten()), ("fc0", nn.Linear(6, 5)), ("bn0", nn.BatchNorm1d(5)),
                                     ("relu0", nn.ReLU()), ("classifier", nn.Linear(5, 3))])).double()
    net.bn0.running_mean.normal_(0, 0.3); net.bn0.running_var.uniform_(0.5, 1.5)
    X, Y = torch.randn(9, 1, 2, 3, dtype=torch.float64), torch.randint(0, 3, (9,))
    o = Objective(net, X, Y, chunk=4)
    names, shapes = [n for n, _ in net.named_parameters()], [p.shape for p in o.P]

    def L_of(w):
        params, offset = {}, 0
        for n, s in zip(names, shapes):
            params[n] = w[offset:offset + s.numel()].view(s); offset += s.numel()
        return F.cross_entropy(functional_call(net, params, (X,)), Y)

    Hd = torch.autograd.functional.hessian(L_of, o.w0.clone())
    eig = torch.linalg.eigvalsh(Hd)
    v = torch.randn_like(o.w0)
    err = ((o.hvp(v) - Hd @ v).norm() / (Hd @ v).norm()).item()
    check("Hessian-vector product = dense H v", err < 1e-10, f"relative error {err:.1e} ({o.w0.numel()} parameters)")
    top = o.top_eigenvalue(iterations=2000, tolerance=1e-10)
    dominant = eig[eig.abs().argmax()].item()
    check("power iteration = dominant eigenvalue", abs(top["value"] - dominant) < 1e-6 * abs(dominant),
          f"{top['value']:.8g} vs eigvalsh {dominant:.8g} ({top['iterations']} products)")
    h = o.hutchinson(200)
    z = abs(h["value"] - Hd.trace().item()) / h["standard_error"]
    check("Hutchinson trace within 4 standard errors of tr H", z < 4,
          f"{h['value']:.5g} ± {h['standard_error']:.2g} vs exact {Hd.trace().item():.5g} ({z:.1f} SE)")
    g, (L, _) = o.gradient(), o.loss_and_accuracy()
    rho = 1e-5
    sam = o.sharpness(g, L, [rho])[0]["value"]
    predicted = rho * g.norm().item() + 0.5 * rho ** 2 * (g @ Hd @ g).item() / (g @ g).item()
    check("SAM = rho|g| + rho^2/2 g'Hg/|g|^2 for small rho", abs(sam - predicted) < 1e-6 * predicted, f"{sam:.10g} vs {predicted:.10g}")
    T = o.w0.abs() + ETA
    e = T * T * g / (T * g).norm()
    asam = o.sharpness(g, L, [rho], eta=ETA)[0]["value"]
    predicted = rho * (T * g).norm().item() + 0.5 * rho ** 2 * (e @ Hd @ e).item()
    check("ASAM = rho|Tg| + rho^2/2 e'He for small rho", abs(asam - predicted) < 1e-6 * predicted, f"{asam:.10g} vs {predicted:.10g}")

    # The net is linear in each single parameter (within its linear region), so diag H = diag of the Gauss-Newton
    # matrix and tr H = the model Fisher trace.
    model = o.fisher()[1]
    check("tr H = model Fisher trace (ReLU net)", abs(model - Hd.trace().item()) < 1e-10 * model, f"{model:.12g} vs {Hd.trace().item():.12g}")

    # One row: empirical Fisher trace = |grad l|^2 and Fisher-Rao norm = <w, grad l>^2 with grad l from the chunked path.
    o1 = Objective(net, X[:1], Y[:1])
    g1, (emp, model, fr) = o1.gradient(), o1.fisher()
    check("1 row: empirical Fisher trace = |grad l|^2", abs(emp - (g1 @ g1).item()) < 1e-12 * emp, f"{emp:.12g} vs {(g1 @ g1).item():.12g}")
    check("1 row: Fisher-Rao norm = <w, grad l>^2", abs(fr - (g1 @ o1.w0).item() ** 2) < 1e-12 * fr, f"{fr:.12g}")
    # Softmax regression: grad_W log p(y|x) = (e_y - p) x', grad_b = e_y - p, so the model Fisher trace of a row is
    # (|x|^2 + 1) sum_y p_y |e_y - p|^2 = (|x|^2 + 1)(1 - |p|^2).
    lin = nn.Sequential(nn.Flatten(), nn.Linear(6, 4)).double()
    Xl, Yl = torch.randn(5, 1, 2, 3, dtype=torch.float64), torch.randint(0, 4, (5,))
    _, model, _ = Objective(lin, Xl, Yl).fisher()
    with torch.no_grad():
        p = F.softmax(lin(Xl), 1)
        exact = ((Xl.flatten(1).pow(2).sum(1) + 1) * (1 - p.pow(2).sum(1))).mean().item()
    check("softmax regression: model Fisher trace closed form", abs(model - exact) < 1e-12 * exact, f"{model:.12g} vs {exact:.12g}")

    # ConvNet (two stacked convolutions, BatchNorm, max pooling): float32 HVP against float64, and float64 HVP against
    # a central difference of float64 gradients.
    conv = network("ConvNet", 1, 28, 28, 10)
    for m in conv.modules():
        if isinstance(m, nn.BatchNorm2d): m.running_mean.normal_(0, 0.1); m.running_var.uniform_(0.5, 1.5)
    Xc, Yc = torch.rand(16, 1, 28, 28), torch.randint(0, 10, (16,))
    o32 = Objective(conv, Xc, Yc, chunk=8)
    conv64 = network("ConvNet", 1, 28, 28, 10).double(); conv64.load_state_dict(conv.state_dict())
    o64 = Objective(conv64, Xc.double(), Yc, chunk=8)
    v = torch.randn_like(o64.w0)
    h64, h32 = o64.hvp(v), o32.hvp(v.float()).double()
    err = ((h32 - h64).norm() / h64.norm()).item()
    check("ConvNet: float32 HVP = float64 HVP", err < 1e-4, f"relative error {err:.1e}")
    step = 1e-8  # small: a larger step makes some ReLU/max-pool switch and the difference meaningless (1e-5: 60x off)

    def grad_at(delta):
        torch.nn.utils.vector_to_parameters(o64.w0 + delta, o64.P)
        out = o64.gradient(); torch.nn.utils.vector_to_parameters(o64.w0, o64.P)
        return out
    fd = (grad_at(step * v) - grad_at(-step * v)) / (2 * step)
    err = ((fd - h64).norm() / h64.norm()).item()
    check("ConvNet: float64 HVP = central difference of gradients", err < 1e-5, f"relative error {err:.1e}")
    print(f"{len(passed)} passed, {len(failures)} failed")
    return not failures


if __name__ == "__main__":
    a = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    a.add_argument("directory", nargs="?"); a.add_argument("--threads", type=int, default=2)
    a.add_argument("--out"); a.add_argument("--chunk", type=int, default=256); a.add_argument("--probes", type=int, default=200)
    a.add_argument("--self-test", action="store_true")
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    if args.self_test: sys.exit(0 if self_test() else 1)
    if not args.directory: a.error("an exchange directory is required (or --self-test)")
    from make_random_exchange import load, tune_malloc
    malloc = tune_malloc()
    manifest, net, X, Y = load(args.directory)
    objective = Objective(net, X, Y, args.chunk)
    print(f"{manifest['architecture']}, {len(Y)} rows, {objective.w0.numel():,} parameters, {args.threads} threads, "
          f"PyTorch {torch.__version__}", file=sys.stderr)
    load_average, start, cpu = os.getloadavg()[0], time.perf_counter(), time.process_time()
    result = {"architecture": manifest["architecture"], "rows": len(Y), "parameters": objective.w0.numel(),
              "threads": args.threads, "chunk": args.chunk, "torch": torch.__version__, "malloc": malloc, **reference(objective, args.probes)}
    result["seconds"]["total"] = time.perf_counter() - start
    # The machine may be shared: CPU seconds well under threads x wall seconds, or a load average above 0 at the
    # start, mean other processes took cores and the timings are too long.
    result["cpu_seconds"], result["load_average_at_start"] = time.process_time() - cpu, load_average
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f: f.write(text + "\n")
