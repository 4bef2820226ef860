"""PyTorch peer of SharpnessML's top-Hessian-eigenvalue power iteration, timed, on an exchange directory D (see
make_random_exchange.py): the same algorithm, start vector rule, stopping rule and row chunks as SharpnessML's
HessianSpectrum.TopEigenvalues (PyHessian-style, Yao et al. 2020):

  L(w) = mean cross-entropy of the eval-mode network over the first `rows` rows, in chunks of 256 (each chunk's sum / N)
  v0 = randn(n, generator seeded with `seed`) / |.|;  repeat: Hv (double backward, summed over chunks), lambda = v'Hv,
  v = Hv / |Hv|;  stop after `iterations` products or when |lambda - lambda_prev| <= tolerance (|lambda_prev| + 1e-6)

OpenBLAS (the linear layers) runs on one thread by default: its own pthreads oversubscribe the 2 cores beside torch's
OpenMP threads (measured here: 0.35-0.38 s per product on 256 rows with 1 BLAS thread, 0.43-0.45 s with 2).
Prints JSON: value, iterations, seconds (the power iteration only, not loading), seconds per iteration, the first three
components of the unnormalized start vector (to check that both sides start from the same vector) and the load average
at the end.
bench/EvaluatorBenchmarks drives it with --serve (one power iteration per input line), round by round beside
EvaluateWithSharpness (`-- hessian`).

  /usr/bin/python3 hessian_eigenvalue_benchmark.py D [--rows N] [--iterations 20] [--tolerance 1e-3] [--seed 1] [--threads 2]
"""
import argparse, json, os, sys, time
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_random_exchange import load, set_blas_threads, tune_malloc
from sharpness_reference import Objective


def power_iteration(objective, iterations, tolerance, seed):
    v = torch.randn(objective.w0.shape, generator=torch.Generator().manual_seed(seed), dtype=objective.w0.dtype)
    start = v[:3].tolist()
    v = v / v.norm()
    value, iteration, converged = 0.0, 0, False
    while iteration < iterations and not converged:
        iteration += 1
        hv = objective.hvp(v)
        previous, value = value, (hv @ v).item()
        converged = iteration > 1 and abs(value - previous) <= tolerance * (abs(previous) + 1e-6)
        v = hv / hv.norm()
    return value, iteration, converged, start


if __name__ == "__main__":
    a = argparse.ArgumentParser(description="Top Hessian eigenvalue by power iteration in PyTorch, timed.")
    a.add_argument("directory"); a.add_argument("--rows", type=int, default=0, help="first N rows (0: all)")
    a.add_argument("--iterations", type=int, default=20); a.add_argument("--tolerance", type=float, default=1e-3)
    a.add_argument("--seed", type=int, default=1); a.add_argument("--threads", type=int, default=2)
    a.add_argument("--chunk", type=int, default=256)
    a.add_argument("--blas-threads", type=int, default=1, help="OpenBLAS threads (see make_random_exchange.set_blas_threads)")
    a.add_argument("--serve", action="store_true", help="one power iteration per input line, one JSON line each")
    args = a.parse_args()
    malloc = tune_malloc()
    torch.set_num_threads(args.threads)
    blas_threads = set_blas_threads(args.blas_threads)
    manifest, net, X, Y = load(args.directory)
    if args.rows: X, Y = X[:args.rows].contiguous(), Y[:args.rows].contiguous()
    objective = Objective(net, X, Y, chunk=args.chunk)
    # With --serve: one JSON line when ready, then one power iteration (and one JSON line) per input line.
    if args.serve: print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for _ in (sys.stdin if args.serve else [None]):
        clock = time.perf_counter()
        value, iterations, converged, start = power_iteration(objective, args.iterations, args.tolerance, args.seed)
        seconds = time.perf_counter() - clock
        print(json.dumps({"architecture": manifest["architecture"], "rows": len(Y), "parameters": objective.w0.numel(),
                          "threads": args.threads, "blas_threads": blas_threads, "torch": torch.__version__, "malloc": malloc,
                          "value": value, "iterations": iterations, "converged": converged, "seconds": seconds,
                          "seconds_per_iteration": seconds / iterations, "start_vector_head": start,
                          "load_average": os.getloadavg()[0]}, indent=None if args.serve else 2), flush=True)
