using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Optimization;
using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// The trainer's SGD and SAM steps against PyTorch's on the same ConvNet weights, batch and thread count, and the achieved
/// GFLOP/s of each training step against a 2048² float32 matrix multiply of the same library in the same process.
/// Round r runs SharpnessML's steps in this process and bench/python/training_step_benchmark.py as a subprocess, in
/// alternating order (SharpnessML first in even rounds); round 0 is warm-up; ratios are medians of per-round ratios.
/// </summary>
internal static class PyTorchComparison
{
    private const float LearningRate = 0.01f, Momentum = 0.9f, WeightDecay = 5e-4f, Rho = 0.05f, Eta = 0.01f;

    public static void Run(string[] args)
    {
        int rounds = Bench.Option(args, "--rounds", 8), threads = Bench.Option(args, "--threads", 2), batch = Bench.Option(args, "--batch", 128);
        int steps = Bench.Option(args, "--steps", 20), warmup = Bench.Option(args, "--warmup", 3), matmulSize = Bench.Option(args, "--matmul", 2048);
        int blasThreads = Bench.Option(args, "--blas-threads", 1); // PyTorch's OpenBLAS during the steps (make_random_exchange.set_blas_threads)
        string directory = Bench.Option(args, "--exchange") ?? Path.Combine(Path.GetTempPath(), $"sharpness-step-exchange-{batch}");
        set_num_threads(threads);
        NativeMemoryTuning.Apply(); // as the trainer does; training_step_benchmark.py applies the same mallopt settings
        double loadAtStart = Bench.LoadAverage();

        if (!File.Exists(Path.Combine(directory, "manifest.json")))
            PythonPeer.Run("make_random_exchange.py", new[] { directory, "--arch", "ConvNet", "--rows", batch.ToString() }, threads, json: false);
        var exchange = new ExchangeImport(directory);
        if (exchange.Rows < batch) throw new InvalidOperationException($"{directory} holds {exchange.Rows} rows; the batch needs {batch}.");
        using Tensor allImages = exchange.Images(), allLabels = exchange.Labels();
        using Tensor x = allImages.narrow(0, 0, batch).contiguous(), y = allLabels.narrow(0, 0, batch).contiguous();
        double sgdFlops = TrainingStepFlops(exchange.Shape, batch), samFlops = 2 * sgdFlops;

        var ours = new Dictionary<string, List<double>> { ["sgd"] = new(), ["sam"] = new(), ["matmul"] = new() };
        var peer = new Dictionary<string, List<double>> { ["sgd"] = new(), ["sam"] = new(), ["matmul"] = new() };
        double oursFirstLoss = double.NaN, peerFirstLoss = double.NaN;
        string peerVersion = "";
        var pythonArgs = new[] { directory, "--threads", threads.ToString(), "--batch", batch.ToString(), "--steps", steps.ToString(), "--warmup", warmup.ToString(), "--blas-threads", blasThreads.ToString() };

        var wall = Stopwatch.StartNew();
        for (int round = 0; round < rounds; round++)
        {
            for (int turn = 0; turn < 2; turn++)
            {
                bool oursNow = (turn == 0) == (round % 2 == 0);
                if (oursNow)
                {
                    var (sgd, loss) = StepSeconds(exchange, x, y, SharpnessOptimizer.Sgd, steps, warmup);
                    var (sam, _) = StepSeconds(exchange, x, y, SharpnessOptimizer.Sam, steps, warmup);
                    double gflops = MatmulGflops(matmulSize);
                    oursFirstLoss = loss;
                    if (round > 0) { ours["sgd"].Add(sgd); ours["sam"].Add(sam); ours["matmul"].Add(gflops); }
                }
                else
                {
                    JsonElement r = PythonPeer.Run("training_step_benchmark.py", pythonArgs, threads);
                    peerFirstLoss = r.GetProperty("sgd_first_loss").GetDouble();
                    peerVersion = r.GetProperty("torch").GetString() ?? "";
                    if (round > 0)
                    {
                        peer["sgd"].Add(r.GetProperty("sgd_step_seconds").GetDouble());
                        peer["sam"].Add(r.GetProperty("sam_step_seconds").GetDouble());
                        peer["matmul"].Add(r.GetProperty("matmul_2048_gflops").GetDouble());
                    }
                }
            }
            Console.Error.WriteLine($"round {round}{(round == 0 ? " (warm-up)" : "")} done at {wall.Elapsed.TotalSeconds:F0} s");
        }

        int measured = rounds - 1;
        Console.WriteLine($"ConvNet ({exchange.Shape.Channels}×{exchange.Shape.Height}×{exchange.Shape.Width}, {exchange.Shape.Classes} classes), " +
            $"batch {batch}, {threads} threads, weights and rows from {directory}; per round each side times {steps} steps after {warmup} " +
            $"untimed ones from the exchanged weights (median), {measured} rounds after one warm-up round; PyTorch {peerVersion} " +
            $"(OpenBLAS, which runs its linear layers: {blasThreads} thread(s) during the steps, {threads} for its matmul). " +
            $"Load average at start {loadAtStart:F2}, at end {Bench.LoadAverage():F2}; {wall.Elapsed.TotalSeconds:F0} s wall.");
        Console.WriteLine($"Same weights and rows: loss of the first SGD step SharpnessML {oursFirstLoss:F6}, PyTorch {peerFirstLoss:F6} " +
            $"(relative difference {Math.Abs(oursFirstLoss - peerFirstLoss) / Math.Abs(peerFirstLoss):E1}).");
        Console.WriteLine();
        Console.WriteLine("| step | SharpnessML median seconds | PyTorch median seconds | median per-round ratio SharpnessML / PyTorch |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (key, label) in new[] { ("sgd", "SGD"), ("sam", "SAM (ρ = 0.05)") })
            Console.WriteLine($"| {label} | {Bench.Median(ours[key]):F4} | {Bench.Median(peer[key]):F4} | {Bench.MedianRatio(ours[key], peer[key]):F3} |");
        Console.WriteLine($"| SAM / SGD | {Bench.MedianRatio(ours["sam"], ours["sgd"]):F3} | {Bench.MedianRatio(peer["sam"], peer["sgd"]):F3} | |");
        Console.WriteLine();
        Console.WriteLine($"Per-round seconds: SharpnessML SGD {Bench.Join(ours["sgd"], "F4")}; PyTorch SGD {Bench.Join(peer["sgd"], "F4")}; " +
            $"SharpnessML SAM {Bench.Join(ours["sam"], "F4")}; PyTorch SAM {Bench.Join(peer["sam"], "F4")}.");
        Console.WriteLine();
        Console.WriteLine($"Achieved GFLOP/s of a training step: {sgdFlops / 1e9:F3} GFLOP per SGD step, {samFlops / 1e9:F3} per SAM step " +
            $"(2·B·(3·ΣMACs − MACs(conv1)), see the source); {matmulSize}² float32 matmul in the same process and round:");
        Console.WriteLine();
        Console.WriteLine($"| library | step | median step GFLOP/s | median {matmulSize}² matmul GFLOP/s | median per-round ratio step / matmul |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, side) in new[] { ("SharpnessML (TorchSharp, libtorch 2.10)", ours), ($"PyTorch {peerVersion}", peer) })
        {
            foreach (var (key, label, flops) in new[] { ("sgd", "SGD", sgdFlops), ("sam", "SAM", samFlops) })
            {
                var achieved = side[key].Select(s => flops / s / 1e9).ToList();
                Console.WriteLine($"| {name} | {label} | {Bench.Median(achieved):F1} | {Bench.Median(side["matmul"]):F1} | {Bench.MedianRatio(achieved, side["matmul"]):F3} |");
            }
        }
        Console.WriteLine();
        Console.WriteLine($"Per-round matmul GFLOP/s: SharpnessML {Bench.Join(ours["matmul"], "F0")}; PyTorch {Bench.Join(peer["matmul"], "F0")}.");
    }

    /// <summary>Median seconds of the trainer's step (<see cref="SharpnessAwareStep"/> with the trainer's base SGD) from the
    /// exchanged weights, train mode, on one fixed batch; and the loss of the first step.</summary>
    private static (double Seconds, double FirstLoss) StepSeconds(ExchangeImport exchange, Tensor x, Tensor y, SharpnessOptimizer kind, int steps, int warmup)
    {
        using var network = exchange.Network();
        network.train();
        using var optimizer = optim.SGD(network.parameters(), LearningRate, Momentum, 0, WeightDecay, false);
        var stepper = new SharpnessAwareStep(network, optimizer, kind, Rho, Eta, 0, 0);
        var times = new List<double>();
        double firstLoss = double.NaN;
        for (int i = 0; i < warmup + steps; i++)
        {
            var clock = Stopwatch.StartNew();
            StepOutcome outcome;
            using (NewDisposeScope()) outcome = stepper.Step(x, y); // as TrainingLoop runs it
            double seconds = clock.Elapsed.TotalSeconds;
            if (i == 0) firstLoss = outcome.Loss;
            if (i >= warmup) times.Add(seconds);
        }
        return (Bench.Median(times), firstLoss);
    }

    /// <summary>GFLOP/s of an n×n by n×n float32 matmul: the median of 5 timed products after 2 untimed ones.</summary>
    private static double MatmulGflops(int n)
    {
        using var scope = NewDisposeScope();
        Tensor a = randn(n, n), b = randn(n, n);
        for (int i = 0; i < 2; i++) a.matmul(b).Dispose();
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / Bench.Median(times) / 1e9;
    }

    /// <summary>
    /// Floating-point operations of one SGD training step of the ConvNet on <paramref name="batch"/> rows, counting only the
    /// multiply-accumulates of the convolutions and linear layers (a MAC = 2 FLOPs): the forward pass costs 2·MACs; the backward
    /// pass computes the gradient with respect to each layer's input and to its weight, 2·MACs each, except conv1, whose input
    /// (the images) needs no gradient. Per row: 2·(3·ΣMACs − MACs(conv1)). BatchNorm, ReLU, pooling, the loss, the optimizer
    /// update and SAM's perturbation are not counted. A SAM step is counted as two such passes.
    /// ConvNet MACs per row: conv1 32·C·9·H·W, conv2 64·32·9·(H/2)·(W/2), fc1 64·(H/4)·(W/4)·128, classifier 128·K
    /// (1×28×28, K = 10: 225,792 + 3,612,672 + 401,408 + 1,280 = 4,241,152; 24,995,328 FLOPs per row, 3.199 GFLOP per batch of 128).
    /// </summary>
    public static double TrainingStepFlops(NetworkShape shape, int batch)
    {
        if (shape.Architecture != ImageClassifierArchitecture.ConvNet) throw new NotSupportedException("The FLOP count covers the ConvNet only.");
        double conv1 = 32.0 * shape.Channels * 9 * shape.Height * shape.Width;
        double conv2 = 64.0 * 32 * 9 * (shape.Height / 2) * (shape.Width / 2);
        double fc1 = 64.0 * (shape.Height / 4) * (shape.Width / 4) * 128;
        double classifier = 128.0 * shape.Classes;
        double macs = conv1 + conv2 + fc1 + classifier;
        return 2.0 * batch * (3 * macs - conv1);
    }
}
