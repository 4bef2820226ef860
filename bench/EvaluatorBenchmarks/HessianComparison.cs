using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// The top Hessian eigenvalue by EvaluateWithSharpness (Measures = HessianEigenvalues) against the same power iteration in
/// PyTorch (bench/python/hessian_eigenvalue_benchmark.py: same start-vector rule and seed, stopping rule, iteration cap, tolerance
/// and 256-row chunks) on the same model and rows: a ConvNet trained with SGD on the shipped Fashion-MNIST subset, evaluated on
/// the first rows of its test set, exported through the exchange format. Round r runs EvaluateWithSharpness in this process and
/// one power iteration in the PyTorch script (a subprocess started once, --serve), in alternating order; round 0 is warm-up;
/// the ratio is the median of per-round ratios of the power iteration's seconds (per iteration, and in total when both sides
/// ran the same number of iterations). Both sides start from the same vector, so they compute the same iterates.
/// </summary>
internal static class HessianComparison
{
    public static void Run(string[] args)
    {
        int rounds = Bench.Option(args, "--rounds", 7), threads = Bench.Option(args, "--threads", 2), rows = Bench.Option(args, "--rows", 256);
        int iterations = Bench.Option(args, "--iterations", 5), epochs = Bench.Option(args, "--epochs", 3);
        double tolerance = Bench.Option(args, "--tolerance", 1e-3);
        int blasThreads = Bench.Option(args, "--blas-threads", 1); // PyTorch's OpenBLAS (make_random_exchange.set_blas_threads)
        string directory = Bench.Option(args, "--exchange") ?? Path.Combine(Path.GetTempPath(), "sharpness-hessian-exchange");
        set_num_threads(threads);
        NativeMemoryTuning.Apply();
        double loadAtStart = Bench.LoadAverage();

        var ml = new MLContext(seed: 1);
        var wall = Stopwatch.StartNew();
        var model = SubsetModel.Train(ml, epochs, threads);
        double trainSeconds = wall.Elapsed.TotalSeconds;
        var test = SubsetModel.Load(ml, "test.tsv");

        // The rows EvaluateWithSharpness evaluates (the first `rows` test rows through the model's pipeline), for PyTorch.
        var classifier = SamImageClassifierModel.FromTransformer(model);
        using (var data = Evaluation.EvaluationRows.Load(Runtime.MLHost.Of(ml), model, classifier.Info, test, rows, "test rows", out _))
            ExchangeExport.Write(directory, classifier, data.Features, data.Labels);
        long parameters = classifier.Network.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        float[] startHead;
        using (var generator = new Generator(1))
        using (var start = randn(parameters, generator: generator))
            startHead = start.narrow(0, 0, 3).data<float>().ToArray(); // HessianSpectrum's start vector before normalization

        var options = new SharpnessEvaluationOptions
        {
            Measures = SharpnessMeasures.HessianEigenvalues, MaxRows = rows, PowerIterations = iterations, PowerIterationTolerance = tolerance,
            Seed = 1, NumberOfThreads = threads,
        };
        var pythonArgs = new[] { directory, "--rows", rows.ToString(), "--iterations", iterations.ToString(),
            "--tolerance", tolerance.ToString("R", System.Globalization.CultureInfo.InvariantCulture), "--seed", "1", "--threads", threads.ToString(), "--blas-threads", blasThreads.ToString() };
        using var server = PythonPeer.Serve("hessian_eigenvalue_benchmark.py", pythonArgs, threads);
        var ours = new List<(double Seconds, double Value, int Iterations, double CallSeconds)>();
        var peer = new List<(double Seconds, double Value, int Iterations)>();
        double[] peerStartHead = Array.Empty<double>();
        string peerVersion = "";
        for (int round = 0; round < rounds; round++)
        {
            for (int turn = 0; turn < 2; turn++)
            {
                if ((turn == 0) == (round % 2 == 0))
                {
                    var clock = Stopwatch.StartNew();
                    var metrics = ml.MulticlassClassification.EvaluateWithSharpness(model, test, options);
                    double call = clock.Elapsed.TotalSeconds;
                    var top = metrics.HessianEigenvalues[0];
                    if (round > 0) ours.Add((metrics.Seconds["HessianEigenvalues"], top.Value, top.Iterations, call));
                }
                else
                {
                    JsonElement r = server.Ask("run");
                    peerVersion = r.GetProperty("torch").GetString() ?? "";
                    peerStartHead = r.GetProperty("start_vector_head").EnumerateArray().Select(e => e.GetDouble()).ToArray();
                    if (round > 0) peer.Add((r.GetProperty("seconds").GetDouble(), r.GetProperty("value").GetDouble(), r.GetProperty("iterations").GetInt32()));
                }
            }
            Console.Error.WriteLine($"round {round}{(round == 0 ? " (warm-up)" : "")} done at {wall.Elapsed.TotalSeconds:F0} s");
        }

        var oursPerIteration = ours.Select(o => o.Seconds / o.Iterations).ToList();
        var peerPerIteration = peer.Select(p => p.Seconds / p.Iterations).ToList();
        bool sameIterations = ours.Select(o => o.Iterations).Concat(peer.Select(p => p.Iterations)).Distinct().Count() == 1;
        double oursValue = ours[^1].Value, peerValue = peer[^1].Value;
        Console.WriteLine($"ConvNet trained with SGD for {epochs} epochs on {SubsetModel.DataFolder} ({trainSeconds:F0} s); top Hessian eigenvalue on the first {rows} " +
            $"test rows, {parameters:N0} parameters, {threads} threads; at most {iterations} power iterations, tolerance {tolerance:G3}, seed 1; " +
            $"{rounds - 1} rounds after one warm-up round; PyTorch {peerVersion} (OpenBLAS, which runs its linear layers: {blasThreads} thread(s)). Load average at start {loadAtStart:F2}, at end {Bench.LoadAverage():F2}; " +
            $"{wall.Elapsed.TotalSeconds:F0} s wall.");
        Console.WriteLine($"Start vector (first three components before normalization): SharpnessML {string.Join(", ", startHead.Select(v => v.ToString("G7")))}; " +
            $"PyTorch {string.Join(", ", peerStartHead.Select(v => v.ToString("G7")))}.");
        Console.WriteLine();
        Console.WriteLine("| | SharpnessML (EvaluateWithSharpness) | PyTorch | SharpnessML / PyTorch (median of per-round ratios) |");
        Console.WriteLine("|---|---|---|---|");
        Console.WriteLine($"| λ₁ (last round) | {oursValue:G7} | {peerValue:G7} | relative difference {Math.Abs(oursValue - peerValue) / Math.Abs(peerValue):E1} |");
        Console.WriteLine($"| iterations per round | {string.Join(" ", ours.Select(o => o.Iterations))} | {string.Join(" ", peer.Select(p => p.Iterations))} | |");
        Console.WriteLine($"| median seconds per iteration (one Hessian-vector product over {rows} rows) | {Bench.Median(oursPerIteration):F3} | {Bench.Median(peerPerIteration):F3} | {Bench.MedianRatio(oursPerIteration, peerPerIteration):F3} |");
        Console.WriteLine($"| median seconds, power iteration | {Bench.Median(ours.Select(o => o.Seconds)):F2} | {Bench.Median(peer.Select(p => p.Seconds)):F2} | " +
            (sameIterations ? $"{Bench.MedianRatio(ours.Select(o => o.Seconds).ToList(), peer.Select(p => p.Seconds).ToList()):F3}" : "(iteration counts differ; see per iteration)") + " |");
        Console.WriteLine($"| median seconds, whole EvaluateWithSharpness call (image loading, standard metrics, loss and gradient included) | {Bench.Median(ours.Select(o => o.CallSeconds)):F2} | | |");
        Console.WriteLine();
        Console.WriteLine($"Per-round seconds: SharpnessML {Bench.Join(ours.Select(o => o.Seconds), "F2")}; PyTorch {Bench.Join(peer.Select(p => p.Seconds), "F2")}. " +
            $"λ₁ per round: SharpnessML {string.Join(" ", ours.Select(o => o.Value.ToString("G7")))}; PyTorch {string.Join(" ", peer.Select(p => p.Value.ToString("G7")))}.");
    }
}
