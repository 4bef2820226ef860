using System.Diagnostics;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Layers;
using Microsoft.ML.Sharpness.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// Hessian-vector products of the ConvNet's summed cross-entropy (random weights and BatchNorm statistics, random images) by
/// double backward through libtorch's own convolutions and through the layer rules' second-order pass
/// (<see cref="SecondOrderConvolution"/>), each against float64 double backward, for batch sizes and thread counts at which
/// libtorch 2.10's convolution double backward was seen to go wrong on some machines (docs/known-issues.md); then the median
/// seconds of one product on <c>--timing-rows</c> rows (one chunk) by both routes, interleaved.
/// Usage: dotnet run -c Release --project bench/EvaluatorBenchmarks -- double-backward [--timing-rows 256] [--repeats 7]
/// </summary>
internal static class DoubleBackwardCheck
{
    public static void Run(string[] args)
    {
        int timingRows = Bench.Option(args, "--timing-rows", 256), repeats = Bench.Option(args, "--repeats", 7);
        TorchRuntime.Prepare(threads: 2);
        Console.WriteLine($"Load average at start {Bench.LoadAverage():F2}.");
        Console.WriteLine("| rows | threads | libtorch's double backward vs float64 | SecondOrderConvolution vs float64 |");
        Console.WriteLine("|---|---|---|---|");
        foreach (int rows in new[] { 24, 50, 128, 183, 232, 256 })
            foreach (int threads in new[] { 1, 2 })
            {
                set_num_threads(threads);
                using var scope = NewDisposeScope();
                var (network, x, y, v) = Problem(rows);
                Tensor libtorch = Product(network.call, network, x, y, v);
                Tensor rules = Product(input => LayerRules.SecondOrderForward(network, input), network, x, y, v);
                network.to(ScalarType.Float64);
                Tensor reference = Product(network.call, network, x.to_type(ScalarType.Float64), y, v.to_type(ScalarType.Float64));
                Console.WriteLine($"| {rows} | {threads} | {Error(libtorch, reference):E1} | {Error(rules, reference):E1} |");
            }

        set_num_threads(2);
        var (net, images, labels, direction) = Problem(timingRows);
        var own = new List<double>();
        var ours = new List<double>();
        for (int r = 0; r <= repeats; r++)
        {
            double a = Seconds(() => Product(net.call, net, images, labels, direction));
            double b = Seconds(() => Product(input => LayerRules.SecondOrderForward(net, input), net, images, labels, direction));
            if (r == 0) continue; // warm-up
            own.Add(a);
            ours.Add(b);
        }
        Console.WriteLine($"\nOne Hessian-vector product on {timingRows} rows, 2 threads, median of {repeats}: libtorch's double backward " +
            $"{Bench.Median(own):F3} s, SecondOrderConvolution {Bench.Median(ours):F3} s (ratio {Bench.MedianRatio(ours, own):F3}). " +
            $"Load average at end {Bench.LoadAverage():F2}.");
    }

    private static (Sequential Network, Tensor X, Tensor Y, Tensor V) Problem(int rows)
    {
        manual_seed(1);
        var network = NetworkFactory.Create(new NetworkShape(ImageClassifierArchitecture.ConvNet, 1, 28, 28, 10));
        using (no_grad())
        {
            foreach (var norm in network.modules().OfType<BatchNorm>())
            {
                norm.running_mean!.copy_(randn(norm.running_mean.shape).mul(0.1));
                norm.running_var!.copy_(rand(norm.running_var.shape).add(0.5));
            }
        }
        network.eval();
        manual_seed(2);
        Tensor v = randn(new NetworkWeights(network).Dimension);
        return (network, randn(rows, 1, 28, 28), randint(10, rows), v);
    }

    /// <summary>H·v of the summed cross-entropy by double backward through <paramref name="forward"/> (Pearlmutter 1994).</summary>
    private static Tensor Product(Func<Tensor, Tensor> forward, Sequential network, Tensor x, Tensor y, Tensor v)
    {
        var parameters = new NetworkWeights(network).Parameters;
        Tensor loss = nn.functional.cross_entropy(forward(x), y, reduction: nn.Reduction.Sum);
        Tensor gradient = Gradients.Flatten(Gradients.Of(loss, parameters, createGraph: true));
        return Gradients.Flatten(Gradients.Of(gradient.dot(v), parameters));
    }

    private static double Error(Tensor actual, Tensor expected) =>
        actual.to_type(ScalarType.Float64).sub(expected).norm().item<double>() / expected.norm().item<double>();

    private static double Seconds(Action action)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
