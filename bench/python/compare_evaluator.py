"""Independent PyTorch computation of EvaluateWithSharpness's deterministic measures, on the model and rows that
bench/EvaluatorBenchmarks exports (--export DIR), compared with SharpnessML's values and seconds (DIR/dotnet_metrics.json).

Definitions (network in eval mode, L = mean cross-entropy over the N rows, w = all trainable parameters):
  SAM sharpness, k = 1 (Foret et al. 2021):  L(w + rho*g/|g|) - L(w),  g = grad L(w)
  adaptive sharpness, k = 1 (Kwon et al. 2021):  L(w + rho*T^2 g/|T g|) - L(w),  T = |w| + eta
  empirical Fisher trace:  (1/N) sum_i |grad l_i|^2;  model Fisher trace:  (1/N) sum_i sum_y p(y|x_i) |grad log p(y|x_i)|^2
  Fisher-Rao norm (Liang et al. 2019):  (1/N) sum_i <w, grad l_i>^2
  top Hessian eigenvalue: power iteration on Hessian-vector products (double backward), as PyHessian (Yao et al. 2020)
  Hessian trace: Hutch++ (Meyer et al. 2021) with Rademacher probes (stochastic: compared within three standard errors);
  for a ReLU/max-pool/BatchNorm network it equals the model Fisher trace exactly, which the table also shows
Rows are processed in chunks of 128, as SharpnessML does (Data/RowChunks.cs), with the allocator settings SharpnessML applies to itself
(docs/known-issues.md). Run with Debian's /usr/bin/python3 (python3-torch):
  /usr/bin/python3 bench/python/compare_evaluator.py DIR [threads] [float64]
With float64 the recomputation runs in double precision (an independent check of the values; its seconds are not comparable)."""
import json, os, re, sys, time
import numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_random_exchange import load, tune_malloc

directory = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
torch.set_num_threads(threads)
malloc = tune_malloc()
manifest, net, X, Y = load(directory)
if len(sys.argv) > 3 and sys.argv[3] == "float64":
    net, X = net.double(), X.double()
# SharpnessMetrics.ToJson(): every reported number is one of "Entries" (Key, Value, StandardError, Measure, Settings)
entries = {e["Key"]: e for e in json.load(open(f"{directory}/dotnet_metrics.json"))["Entries"]}
ours = {key: e["Value"] for key, e in entries.items()}
K, N = manifest["classes"], manifest["rows"]
CHUNK = 128
net.eval()
P = list(net.parameters())
w0 = torch.nn.utils.parameters_to_vector(P).detach().clone()
flatten = lambda grads: torch.cat([g.reshape(-1) for g in grads])
chunks = [(s, min(CHUNK, N - s)) for s in range(0, N, CHUNK)]

def loss(delta=None):
    with torch.no_grad():
        if delta is not None: torch.nn.utils.vector_to_parameters(w0 + delta, P)
        total = sum(F.cross_entropy(net(X[s:s + n]), Y[s:s + n], reduction="sum").item() for s, n in chunks) / N
        if delta is not None: torch.nn.utils.vector_to_parameters(w0, P)
    return total

def loss_and_gradient():
    g, total = torch.zeros_like(w0), 0.0
    for s, n in chunks:
        l = F.cross_entropy(net(X[s:s + n]), Y[s:s + n], reduction="sum")
        total += l.item(); g += flatten(torch.autograd.grad(l / N, P))
    return total / N, g

def hvp(v):
    out = torch.zeros_like(w0)
    for s, n in chunks:
        g = flatten(torch.autograd.grad(F.cross_entropy(net(X[s:s + n]), Y[s:s + n], reduction="sum") / N, P, create_graph=True))
        out += flatten(torch.autograd.grad(g.dot(v), P))
    return out

results, seconds = {}, {}
def timed(name, f):
    start = time.perf_counter(); value = f(); seconds[name] = time.perf_counter() - start; return value

ours_rhos = [float(re.match(r"Sam\[rho=([^,]+),k=1\]$", key).group(1)) for key in ours if re.match(r"Sam\[rho=[^,]+,k=1\]$", key)]
L, g = timed("Loss", loss_and_gradient)
results["Loss"] = L
def sam():
    for rho in ours_rhos:
        results[f"Sam[rho={rho:g},k=1]"] = loss(rho * g / g.norm()) - L
timed("Sam", sam)
adaptive_settings = [e["Settings"] for key, e in entries.items() if key.startswith("AdaptiveSam[")]
eta = float(re.search(r"η = ([0-9.eE+-]+)", adaptive_settings[0]).group(1)) if adaptive_settings else 0.01
def adaptive():
    T = w0.abs() + eta
    for rho in ours_rhos:
        results[f"AdaptiveSam[rho={rho:g},k=1]"] = loss(rho * T * T * g / (T * g).norm()) - L
timed("AdaptiveSam", adaptive)

def fisher():
    empirical = model = fisher_rao = 0.0
    for i in range(N):
        log_p = F.log_softmax(net(X[i:i + 1]), 1)[0]; p = log_p.exp().detach()
        gi = flatten(torch.autograd.grad(-log_p[Y[i]], P, retain_graph=True))
        empirical += gi.dot(gi).item(); fisher_rao += gi.dot(w0).item() ** 2
        for y in range(K):
            gy = flatten(torch.autograd.grad(log_p[y], P, retain_graph=y < K - 1)); model += p[y].item() * gy.dot(gy).item()
    results["Fisher.EmpiricalTrace"], results["Fisher.ModelTrace"], results["Fisher.FisherRaoNorm"] = empirical / N, model / N, fisher_rao / N
timed("Fisher", fisher)

def top_eigenvalue(iterations=100, tolerance=1e-3):
    torch.manual_seed(1); v = torch.randn_like(w0); v /= v.norm(); value = None
    for it in range(1, iterations + 1):
        hv = hvp(v); new = hv.dot(v).item(); v = hv / hv.norm()
        if value is not None and abs(new - value) <= tolerance * (abs(value) + 1e-6): return new, it
        value = new
    return value, iterations
results["HessianEigenvalue[1]"], iterations = timed("HessianEigenvalues", top_eigenvalue)

def hutch_plus_plus(products=24):
    """Hutch++ (Meyer et al. 2021): exact trace on Q = orth(H S), Hutchinson on the rest; a third of the products each."""
    torch.manual_seed(1); k = products // 3
    rademacher = lambda: (torch.randint(0, 2, (w0.numel(), k)).to(w0.dtype) * 2 - 1)
    q, _ = torch.linalg.qr(torch.stack([hvp(s) for s in rademacher().t()], 1))
    top = sum(hvp(c).dot(c).item() for c in q.t().contiguous())
    g = rademacher(); residual = g - q @ (q.t() @ g)
    samples = [hvp(r).dot(r).item() for r in residual.t().contiguous()]
    return top + float(np.mean(samples)), float(np.std(samples, ddof=1) / np.sqrt(k))
trace, trace_se = timed("HessianTrace", hutch_plus_plus)

print(f"{manifest['architecture']}, {N} rows, {w0.numel():,} parameters, {threads} threads; PyTorch {torch.__version__}; allocator: {malloc}\n")
print("| quantity | SharpnessML | PyTorch | relative difference |")
print("|---|---|---|---|")
for name, value in results.items():
    print(f"| {name} | {ours[name]:.6g} | {value:.6g} | {abs(ours[name] - value) / abs(value):.2e} |")
ht = {"Value": entries["HessianTrace"]["Value"], "StandardError": entries["HessianTrace"]["StandardError"], "Settings": entries["HessianTrace"]["Settings"]}
print(f"| HessianTrace (stochastic) | {ht['Value']:.5g} ± {ht['StandardError']:.2g} ({ht['Settings']}) | "
      f"{trace:.5g} ± {trace_se:.2g} (Hutch++, 24 products) | {abs(ht['Value'] - trace) / np.hypot(ht['StandardError'], trace_se):.1f} combined SE |")
print(f"| HessianTrace, exact for this piecewise-linear network (= model Fisher trace, PyTorch) | | {results['Fisher.ModelTrace']:.6g} | "
      f"SharpnessML {abs(ht['Value'] - results['Fisher.ModelTrace']) / ht['StandardError']:.1f} SE away |")
print(f"\nPower iteration: SharpnessML {ours['HessianEigenvalue[1].Iterations']:.0f} iterations, PyTorch {iterations}.\n")
print("| measure | SharpnessML seconds | PyTorch seconds | PyTorch / SharpnessML |")
print("|---|---|---|---|")
notes = {"Fisher": " (ours: per-example trick; PyTorch: per-row loop)"}
for name, value in seconds.items():
    mine = ours[f"Seconds.{name}"]
    print(f"| {name}{notes.get(name, '')} | {mine:.2f} | {value:.2f} | {value / mine:.1f}× |")
