using System.Diagnostics;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Persistence;
using Microsoft.ML.Sharpness.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>Evaluates loss and accuracy on a grid of weights: between two models, or around one along random directions.</summary>
internal sealed class LandscapeEvaluator
{
    private readonly IHostEnvironment environment;
    private readonly LossLandscapeOptions options;

    public LandscapeEvaluator(IHostEnvironment environment, LossLandscapeOptions options)
    {
        LandscapeOptionsValidation.Check(options);
        this.environment = environment;
        this.options = options;
    }

    /// <summary>Keskar et al. (2017) Fig. 3 (after Goodfellow et al. 2015): L((1 − α)·w_A + α·w_B) and accuracy for α on the grid.</summary>
    public LossLandscape Interpolate(ITransformer modelA, ITransformer modelB, IDataView data)
    {
        var clock = Stopwatch.StartNew();
        using var leaseA = ModelLease.Of(modelA);
        using var leaseB = ModelLease.Of(modelB);
        var (a, b) = (leaseA.Model, leaseB.Model);
        if (a.Info.NetworkShape != b.Info.NetworkShape)
            throw new ArgumentException($"Only networks of the same shape interpolate; the first model is a {a.Info.NetworkShape.Describe()}, the second a {b.Info.NetworkShape.Describe()}.", nameof(modelB));
        using var log = environment.Start("InterpolateModels");
        Prepare();
        var host = MLHost.Of(environment);
        using var rows = EvaluationRows.Load(host, modelA, a.Info, data, options.MaxRows, "evaluation data", out _);
        using var statisticsRows = options.BatchNorm == BatchNormAtInterpolation.Recompute && options.BatchNormData is { } bnData
            ? EvaluationRows.Load(host, modelA, a.Info, bnData, options.MaxRows, "BatchNorm data", out _)
            : null;
        using var network = a.NewNetwork();
        var from = a.Network.state_dict();
        var to = b.Network.state_dict();
        double[] alphas = Grid(options.From ?? -1, options.To ?? 2);
        var points = new List<LandscapePoint>();
        foreach (double alpha in alphas)
        {
            host.ThrowIfCanceled("The model interpolation");
            Blend(network, from, to, alpha);
            if (options.BatchNorm == BatchNormAtInterpolation.Recompute)
                BatchNormRecalibration.Run(network, (statisticsRows ?? rows).Features);
            var (loss, accuracy) = InferenceScores.Of(network, rows.Features, rows.Labels);
            points.Add(new LandscapePoint(alpha, 0, loss, accuracy));
            log.Info(MessageSensitivity.None, $"α = {alpha:F3}: loss {loss:F4}, accuracy {accuracy:P2}");
        }
        return new LossLandscape
        {
            Description = "interpolation w(α) = (1 − α)·w_A + α·w_B" +
                (options.BatchNorm == BatchNormAtInterpolation.Recompute ? ", BatchNorm statistics recomputed at each α" : ", BatchNorm statistics interpolated"),
            X = alphas,
            Y = [],
            Points = points,
            Rows = rows.Count,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Li et al. (2018): L(w + x·d₁) (1-D) or L(w + x·d₁ + y·d₂) (2-D) with filter-normalized random directions d₁, d₂; BatchNorm statistics kept.</summary>
    public LossLandscape RandomDirections(ITransformer model, IDataView data, int dimensions)
    {
        if (dimensions is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "A landscape has 1 or 2 random directions.");
        var clock = Stopwatch.StartNew();
        using var lease = ModelLease.Of(model);
        var classifier = lease.Model;
        using var log = environment.Start("RandomDirectionLandscape");
        Prepare();
        var host = MLHost.Of(environment);
        using var rows = EvaluationRows.Load(host, model, classifier.Info, data, options.MaxRows, "evaluation data", out _);
        var network = classifier.Network;
        var networkWeights = new NetworkWeights(network);
        var parameters = networkWeights.Parameters;
        using var scope = NewDisposeScope();
        using var restore = networkWeights.Snapshot();
        Tensor weights = networkWeights.Flatten();
        using var generator = new Generator((ulong)options.Seed);
        Tensor first = FilterNormalizedDirection.Create(parameters, generator);
        Tensor? second = dimensions == 2 ? FilterNormalizedDirection.Create(parameters, generator) : null;
        double[] xs = Grid(options.From ?? -1, options.To ?? 1);
        double[] ys = second is null ? [] : xs;
        var points = new List<LandscapePoint>();
        foreach (double y in second is null ? [0.0] : ys)
            foreach (double x in xs)
            {
                host.ThrowIfCanceled("The loss landscape");
                using var pointScope = NewDisposeScope();
                Tensor at = weights + first * x;
                if (second is not null) at = at + second * y;
                networkWeights.Set(at);
                var (loss, accuracy) = InferenceScores.Of(network, rows.Features, rows.Labels);
                points.Add(new LandscapePoint(x, y, loss, accuracy));
            }
        log.Info(MessageSensitivity.None, $"{points.Count} points in {clock.Elapsed.TotalSeconds:F1} s.");
        return new LossLandscape
        {
            Description = $"{dimensions} filter-normalized random direction(s), seed {options.Seed}",
            X = xs,
            Y = ys,
            Points = points,
            Rows = rows.Count,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Sets every floating-point state entry (weights and BatchNorm statistics) to (1 − α)·a + α·b; running variances clamped at 0.</summary>
    private static void Blend(Sequential network, IDictionary<string, Tensor> a, IDictionary<string, Tensor> b, double alpha)
    {
        using var noGrad = no_grad();
        foreach (var (name, target) in network.state_dict())
        {
            if (!target.is_floating_point()) continue;
            using var scope = NewDisposeScope();
            Tensor blended = a[name] * (1 - alpha) + b[name] * alpha;
            if (name.EndsWith("running_var", StringComparison.Ordinal)) blended = blended.clamp_min(0);
            target.copy_(blended);
        }
    }

    private double[] Grid(double from, double to) =>
        [.. Enumerable.Range(0, options.Points).Select(i => from + (to - from) * i / (options.Points - 1))];

    private void Prepare() => TorchRuntime.Prepare(options.NumberOfThreads);
}
