using System.Diagnostics;
using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// Where a training step's time goes, layer by layer, in SharpnessML and in PyTorch: each layer without sublayers (convolution,
/// BatchNorm, ReLU, pooling, linear) runs alone on the input it gets in a train-mode forward pass of the exchanged network and
/// batch (<see cref="StepBenchmarkSetup"/>), forward and then backward (output gradient 1; the input needs a gradient except the
/// first layer's, the images), each timed; PyTorch does the same (training_step_benchmark.py's time_layers, command
/// <c>layers K</c>). The sides take turns round by round, the side going first alternating; round 0 is warm-up; each layer's
/// seconds are medians over rounds of the median of K repeats. Residual additions, the loss and the optimizer update are not
/// layers and are not timed here.
/// </summary>
internal static class LayerProfile
{
    public static void Run(string[] args)
    {
        int rounds = Bench.Option(args, "--rounds", 5), repeats = Bench.Option(args, "--repeats", 3);
        using var setup = StepBenchmarkSetup.FromArguments(args);
        double loadAtStart = Bench.LoadAverage();
        using var peer = setup.StartPeer();
        using var network = setup.Exchange.Network();
        network.train();
        var layers = LeafLayers(network, setup.X);
        try
        {
            var ours = layers.ToDictionary(l => l.Name, _ => new List<(double Forward, double Backward)>());
            var theirs = layers.ToDictionary(l => l.Name, _ => new List<(double Forward, double Backward)>());
            var wall = Stopwatch.StartNew();
            for (int round = 0; round < rounds; round++)
            {
                for (int turn = 0; turn < 2; turn++)
                {
                    if ((turn == 0) == (round % 2 == 0))
                    {
                        var mine = TimeLayers(layers, repeats);
                        if (round > 0) foreach (var (name, times) in mine) ours[name].Add(times);
                        continue;
                    }
                    JsonElement reply = peer.Ask($"layers {repeats}");
                    if (round == 0) CheckSameLayers(layers, reply);
                    if (round == 0) continue;
                    foreach (var layer in reply.GetProperty("layers").EnumerateArray())
                        theirs[layer.GetProperty("name").GetString()!].Add((Median(layer, "forward"), Median(layer, "backward")));
                }
                Console.Error.WriteLine($"round {round}{(round == 0 ? " (warm-up)" : "")} done at {wall.Elapsed.TotalSeconds:F0} s");
            }
            Report(setup, layers, ours, theirs, rounds, repeats, loadAtStart, wall.Elapsed.TotalSeconds, peer.Ready.GetProperty("torch").GetString());
        }
        finally
        {
            foreach (var layer in layers) layer.Input.Dispose();
        }
    }

    private sealed record Layer(string Name, nn.Module<Tensor, Tensor> Module, Tensor Input, string Kind, long[] OutputShape);

    /// <summary>Every module without children, with its input in a forward pass of <paramref name="x"/>, in call order.</summary>
    private static List<Layer> LeafLayers(Sequential network, Tensor x)
    {
        var names = network.named_modules().ToDictionary(m => m.module, m => m.name);
        var layers = new List<Layer>();
        var hooks = network.modules().Where(m => !m.children().Any()).Cast<nn.Module<Tensor, Tensor>>()
            .Select(module => module.register_forward_hook((m, input, output) =>
            {
                layers.Add(new Layer(names[m], m, input.detach().clone().DetachFromDisposeScope(), Kind(m, input, output), output.shape));
                return output;
            })).ToArray();
        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            network.call(x);
        }
        finally
        {
            foreach (var hook in hooks) hook.remove();
        }
        return layers;
    }

    /// <summary>The layer's type, with kernel and stride for a convolution (e.g. "Conv2d 3×3/2").</summary>
    private static string Kind(nn.Module module, Tensor input, Tensor output)
    {
        if (module is not Conv2d conv) return module.GetType().Name;
        long[] w = conv.weight!.shape;
        return $"Conv2d {w[2]}×{w[3]}/{input.shape[2] / output.shape[2]}";
    }

    private static Dictionary<string, (double Forward, double Backward)> TimeLayers(List<Layer> layers, int repeats)
    {
        var result = new Dictionary<string, (double, double)>();
        for (int i = 0; i < layers.Count; i++)
        {
            var (forward, backward) = (new List<double>(), new List<double>());
            for (int r = 0; r <= repeats; r++)
            {
                layers[i].Module.zero_grad();
                using var scope = NewDisposeScope();
                Tensor x = layers[i].Input.detach().requires_grad_(i > 0);
                var clock = Stopwatch.StartNew();
                Tensor y = layers[i].Module.call(x);
                double middle = clock.Elapsed.TotalSeconds;
                y.backward(new[] { ones_like(y) });
                double end = clock.Elapsed.TotalSeconds;
                if (r > 0) { forward.Add(middle); backward.Add(end - middle); }
            }
            result[layers[i].Name] = (Bench.Median(forward), Bench.Median(backward));
        }
        return result;
    }

    private static double Median(JsonElement layer, string property) => Bench.Median(layer.GetProperty(property).EnumerateArray().Select(e => e.GetDouble()));

    private static void CheckSameLayers(List<Layer> layers, JsonElement reply)
    {
        var ours = layers.Select(l => $"{l.Name} ({l.Module.GetType().Name})");
        var theirs = reply.GetProperty("layers").EnumerateArray().Select(l => $"{l.GetProperty("name").GetString()} ({l.GetProperty("type").GetString()})");
        if (!ours.SequenceEqual(theirs))
            throw new InvalidOperationException($"The networks' layers differ:\nSharpnessML {string.Join(", ", ours)}\nPyTorch     {string.Join(", ", theirs)}");
    }

    private static void Report(StepBenchmarkSetup setup, List<Layer> layers, Dictionary<string, List<(double Forward, double Backward)>> ours,
        Dictionary<string, List<(double Forward, double Backward)>> theirs, int rounds, int repeats, double loadAtStart, double wall, string? peerVersion)
    {
        (double Forward, double Backward) Medians(List<(double Forward, double Backward)> t) => (Bench.Median(t.Select(v => v.Forward)), Bench.Median(t.Select(v => v.Backward)));
        double RatioOfTotals(string name) => Bench.MedianRatio(ours[name].Select(t => t.Forward + t.Backward).ToList(), theirs[name].Select(t => t.Forward + t.Backward).ToList());

        Console.WriteLine($"Per-layer forward and backward, {setup.Describe()}; {rounds - 1} rounds after one warm-up round, each timing every layer " +
            $"{repeats} times on each side in turn; PyTorch {peerVersion}. Load average at start {loadAtStart:F2}, at end {Bench.LoadAverage():F2}; {wall:F0} s wall.");
        Console.WriteLine();
        Console.WriteLine("| layer | kind | output | SharpnessML forward / backward ms | PyTorch forward / backward ms | median per-round ratio of forward + backward |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var layer in layers)
        {
            var (of, ob) = Medians(ours[layer.Name]);
            var (tf, tb) = Medians(theirs[layer.Name]);
            Console.WriteLine($"| {layer.Name} | {layer.Kind} | {string.Join("×", layer.OutputShape.Skip(1))} | {of * 1e3:F1} / {ob * 1e3:F1} | " +
                $"{tf * 1e3:F1} / {tb * 1e3:F1} | {RatioOfTotals(layer.Name):F2} |");
        }
        Console.WriteLine();
        Console.WriteLine("By kind (sums of the layers' medians):");
        Console.WriteLine();
        Console.WriteLine("| kind | layers | SharpnessML forward / backward ms | PyTorch forward / backward ms | SharpnessML / PyTorch, forward + backward | share of SharpnessML's total |");
        Console.WriteLine("|---|---|---|---|---|---|");
        double oursTotal = layers.Sum(l => Medians(ours[l.Name]).Forward + Medians(ours[l.Name]).Backward);
        var groups = layers.GroupBy(l => l.Kind).Select(g => (Kind: g.Key, Count: g.Count(),
            Ours: (g.Sum(l => Medians(ours[l.Name]).Forward), g.Sum(l => Medians(ours[l.Name]).Backward)),
            Theirs: (g.Sum(l => Medians(theirs[l.Name]).Forward), g.Sum(l => Medians(theirs[l.Name]).Backward)))).ToList();
        groups.Add(("all layers", layers.Count, (groups.Sum(g => g.Ours.Item1), groups.Sum(g => g.Ours.Item2)), (groups.Sum(g => g.Theirs.Item1), groups.Sum(g => g.Theirs.Item2))));
        foreach (var (kind, count, (of, ob), (tf, tb)) in groups)
            Console.WriteLine($"| {kind} | {count} | {of * 1e3:F1} / {ob * 1e3:F1} | {tf * 1e3:F1} / {tb * 1e3:F1} | {(of + ob) / (tf + tb):F2} | {(of + ob) / oursTotal:P0} |");
    }
}
