using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Sharpness.Optimization;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// The trainer's SGD and SAM steps against PyTorch's on the same network weights, rows, batch and thread count (<see cref="StepBenchmarkSetup"/>), and the achieved
/// GFLOP/s of each training step against a 2048² float32 matrix multiply of the same library in the same process.
/// PyTorch runs bench/python/training_step_benchmark.py --serve as a subprocess; the two sides take turns a few steps at a
/// time: round r runs K SGD steps on each side, then K SAM steps on each side, then a few matmuls on each side, the side
/// that goes first alternating from block to block, so that slow phases of the shared machine hit both. Each side keeps one
/// network and optimizer per kind of step, from the exchanged weights, across rounds. Round 0 is warm-up. Ratios are medians
/// over rounds of the per-round ratio of the medians of the K timings; the ratio of the fastest timings over the whole run is
/// shown too (interference only ever adds time).
/// </summary>
internal static class PyTorchComparison
{
    private const float LearningRate = 0.01f, Momentum = 0.9f, WeightDecay = 5e-4f, Rho = 0.05f, Eta = 0.01f;

    /// <summary>Relative difference of the two sides' first-step losses above which they did not run the same network on the same
    /// weights and rows (float32 sums in another order differ by ~1e-6).</summary>
    private const double FirstLossTolerance = 1e-4;

    public static void Run(string[] args)
    {
        int rounds = Bench.Option(args, "--rounds", 21), steps = Bench.Option(args, "--steps", 5), matmuls = Bench.Option(args, "--matmuls", 3);
        const int MatmulSize = 2048;
        using var setup = StepBenchmarkSetup.FromArguments(args);
        var (exchange, x, y, threads, blasThreads) = (setup.Exchange, setup.X, setup.Y, setup.Threads, setup.BlasThreads);
        double loadAtStart = Bench.LoadAverage();

        using var peer = setup.StartPeer();
        string peerVersion = peer.Ready.GetProperty("torch").GetString() ?? "";
        using var sgd = new Stepper(exchange, SharpnessOptimizer.Sgd);
        using var sam = new Stepper(exchange, SharpnessOptimizer.Sam);
        double sgdFlops = StepFlops.OfSgdStep(sgd.Network, exchange.Shape, setup.Batch), samFlops = 2 * sgdFlops, matmulFlops = 2.0 * MatmulSize * MatmulSize * MatmulSize;
        using var a = randn(MatmulSize, MatmulSize);
        using var b = randn(MatmulSize, MatmulSize);

        var blocks = new (string Key, Func<List<double>> Ours, string Command)[]
        {
            ("sgd", () => sgd.Steps(x, y, steps), $"sgd {steps}"),
            ("sam", () => sam.Steps(x, y, steps), $"sam {steps}"),
            ("matmul", () => Matmuls(a, b, matmuls), $"matmul {matmuls}"),
        };
        var ours = blocks.ToDictionary(k => k.Key, _ => new List<List<double>>());
        var theirs = blocks.ToDictionary(k => k.Key, _ => new List<List<double>>());
        var peerFirstLoss = new Dictionary<string, double>();
        double peerPeakMiB = double.NaN;
        var wall = Stopwatch.StartNew();
        for (int round = 0; round < rounds; round++)
        {
            for (int block = 0; block < blocks.Length; block++)
            {
                var (key, mine, command) = blocks[block];
                List<double>? o = null, p = null;
                for (int turn = 0; turn < 2; turn++)
                {
                    if ((turn == 0) == ((round + block) % 2 == 0)) o = mine();
                    else
                    {
                        JsonElement reply = peer.Ask(command);
                        p = reply.GetProperty("seconds").EnumerateArray().Select(e => e.GetDouble()).ToList();
                        if (reply.TryGetProperty("first_loss", out var firstLoss)) peerFirstLoss[key] = firstLoss.GetDouble();
                        if (reply.TryGetProperty("peak_rss_mib", out var peak)) peerPeakMiB = peak.GetDouble();
                    }
                }
                if (round > 0) { ours[key].Add(o!); theirs[key].Add(p!); }
            }
            if (round == 0)
            {
                CheckSameLoss("SGD", sgd.FirstLoss, peerFirstLoss["sgd"], setup);
                CheckSameLoss("SAM", sam.FirstLoss, peerFirstLoss["sam"], setup);
            }
            if (round % 5 == 0 || wall.Elapsed.TotalSeconds > 60) Console.Error.WriteLine($"round {round}{(round == 0 ? " (warm-up)" : "")} done at {wall.Elapsed.TotalSeconds:F0} s");
        }

        List<double> PerRound(Dictionary<string, List<List<double>>> side, string key) => side[key].Select(Bench.Median).ToList();
        double Fastest(Dictionary<string, List<List<double>>> side, string key) => side[key].SelectMany(t => t).Min();
        int measured = rounds - 1;
        Console.WriteLine($"{setup.Describe()}; {measured} rounds after one warm-up round, each running " +
            $"{steps} SGD steps, {steps} SAM steps and {matmuls} {MatmulSize}² matmuls on each side in turn; PyTorch {peerVersion} " +
            $"(OpenBLAS, which runs its linear layers: {blasThreads} thread(s) during the steps, {threads} for its matmul). " +
            $"Load average at start {loadAtStart:F2}, at end {Bench.LoadAverage():F2}; {wall.Elapsed.TotalSeconds:F0} s wall.");
        Console.WriteLine($"Same weights and rows: loss of the first SGD step SharpnessML {sgd.FirstLoss:F6}, PyTorch {peerFirstLoss["sgd"]:F6} " +
            $"(relative difference {RelativeDifference(sgd.FirstLoss, peerFirstLoss["sgd"]):E1}); of the first SAM step {sam.FirstLoss:F6}, " +
            $"{peerFirstLoss["sam"]:F6} ({RelativeDifference(sam.FirstLoss, peerFirstLoss["sam"]):E1}); checked ≤ {FirstLossTolerance:E0}.");
        Console.WriteLine();
        Console.WriteLine("| step | SharpnessML median seconds | PyTorch median seconds | median per-round ratio SharpnessML / PyTorch | " +
            "fastest step SharpnessML / PyTorch (seconds) | ratio of fastest steps |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (key, label) in new[] { ("sgd", "SGD"), ("sam", "SAM (ρ = 0.05)") })
            Console.WriteLine($"| {label} | {Bench.Median(PerRound(ours, key)):F4} | {Bench.Median(PerRound(theirs, key)):F4} | " +
                $"{Bench.MedianRatio(PerRound(ours, key), PerRound(theirs, key)):F3} | {Fastest(ours, key):F4} / {Fastest(theirs, key):F4} | " +
                $"{Fastest(ours, key) / Fastest(theirs, key):F3} |");
        Console.WriteLine($"| peak resident memory (MiB) of the whole process: its steps, the matmul operands, the exchanged data | {Bench.PeakResidentMiB():F0} | {peerPeakMiB:F0} | | | |");
        Console.WriteLine($"| SAM / SGD | {Bench.MedianRatio(PerRound(ours, "sam"), PerRound(ours, "sgd")):F3} | {Bench.MedianRatio(PerRound(theirs, "sam"), PerRound(theirs, "sgd")):F3} | | " +
            $"{Fastest(ours, "sam") / Fastest(ours, "sgd"):F3} / {Fastest(theirs, "sam") / Fastest(theirs, "sgd"):F3} | |");
        Console.WriteLine();
        Console.WriteLine($"Per-round median seconds: SharpnessML SGD {Bench.Join(PerRound(ours, "sgd"), "F4")}; PyTorch SGD {Bench.Join(PerRound(theirs, "sgd"), "F4")}; " +
            $"SharpnessML SAM {Bench.Join(PerRound(ours, "sam"), "F4")}; PyTorch SAM {Bench.Join(PerRound(theirs, "sam"), "F4")}.");
        Console.WriteLine();
        Console.WriteLine($"Achieved GFLOP/s of a training step: {sgdFlops / 1e9:F3} GFLOP per SGD step, {samFlops / 1e9:F3} per SAM step " +
            $"(2·B·(3·ΣMACs − MACs(first layer)), see StepFlops); {MatmulSize}² float32 matmul ({matmulFlops / 1e9:F2} GFLOP) of the same library, same process, same rounds:");
        Console.WriteLine();
        Console.WriteLine($"| library | step | median step GFLOP/s | median matmul GFLOP/s | median per-round ratio step / matmul | fastest step GFLOP/s / fastest matmul GFLOP/s |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var (name, side) in new[] { ("SharpnessML (TorchSharp 0.107, libtorch 2.10)", ours), ($"PyTorch {peerVersion}", theirs) })
        {
            var matmul = PerRound(side, "matmul").Select(s => matmulFlops / s / 1e9).ToList();
            double bestMatmul = matmulFlops / Fastest(side, "matmul") / 1e9;
            foreach (var (key, label, flops) in new[] { ("sgd", "SGD", sgdFlops), ("sam", "SAM", samFlops) })
            {
                var achieved = PerRound(side, key).Select(s => flops / s / 1e9).ToList();
                double best = flops / Fastest(side, key) / 1e9;
                Console.WriteLine($"| {name} | {label} | {Bench.Median(achieved):F1} | {Bench.Median(matmul):F1} | {Bench.MedianRatio(achieved, matmul):F3} | " +
                    $"{best:F1} / {bestMatmul:F1} = {best / bestMatmul:F3} |");
            }
        }
        Console.WriteLine();
        Console.WriteLine($"Per-round matmul GFLOP/s: SharpnessML {Bench.Join(PerRound(ours, "matmul").Select(s => matmulFlops / s / 1e9), "F0")}; " +
            $"PyTorch {Bench.Join(PerRound(theirs, "matmul").Select(s => matmulFlops / s / 1e9), "F0")}.");
    }

    private static double RelativeDifference(double ours, double theirs) => Math.Abs(ours - theirs) / Math.Abs(theirs);

    /// <summary>Stops the run when the two sides' first-step losses differ: they would not be timing the same computation.</summary>
    private static void CheckSameLoss(string step, double ours, double theirs, StepBenchmarkSetup setup)
    {
        if (!(RelativeDifference(ours, theirs) <= FirstLossTolerance))
            throw new InvalidOperationException($"The first {step} step's loss is {ours:F6} in SharpnessML and {theirs:F6} in PyTorch " +
                $"(relative difference {RelativeDifference(ours, theirs):E1} > {FirstLossTolerance:E0}): the two sides do not run the same " +
                $"network on the same weights and rows ({setup.Describe()}); compare bench/python/make_random_exchange.py's network() with NetworkFactory.");
    }

    private static List<double> Matmuls(Tensor a, Tensor b, int count)
    {
        var times = new List<double>();
        for (int i = 0; i < count; i++)
        {
            var clock = Stopwatch.StartNew();
            a.matmul(b).Dispose();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return times;
    }

    /// <summary>The trainer's step (<see cref="SharpnessAwareStep"/> with the trainer's base SGD) on one network from the exchanged
    /// weights, in train mode, kept across calls.</summary>
    private sealed class Stepper : IDisposable
    {
        private readonly TorchSharp.Modules.Sequential network;
        private readonly optim.Optimizer optimizer;
        private readonly SharpnessAwareStep step;

        public Stepper(ExchangeImport exchange, SharpnessOptimizer kind)
        {
            network = exchange.Network();
            network.train();
            optimizer = optim.SGD(network.parameters(), LearningRate, Momentum, 0, WeightDecay, false);
            step = new SharpnessAwareStep(network, optimizer, kind, Rho, Eta, 0, 0);
        }

        public TorchSharp.Modules.Sequential Network => network;

        public double FirstLoss { get; private set; } = double.NaN;

        public List<double> Steps(Tensor x, Tensor y, int count)
        {
            var times = new List<double>();
            for (int i = 0; i < count; i++)
            {
                var clock = Stopwatch.StartNew();
                StepOutcome outcome;
                using (NewDisposeScope()) outcome = step.Step(x, y); // as TrainingLoop runs it
                times.Add(clock.Elapsed.TotalSeconds);
                if (double.IsNaN(FirstLoss)) FirstLoss = outcome.Loss;
            }
            return times;
        }

        public void Dispose()
        {
            optimizer.Dispose();
            network.Dispose();
        }
    }
}
