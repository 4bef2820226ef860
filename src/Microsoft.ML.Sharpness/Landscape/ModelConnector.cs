using System.Diagnostics;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Persistence;
using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>
/// Mode connectivity (Garipov et al. 2018): trains a quadratic Bézier curve between two models of one architecture, then evaluates it and
/// the straight line at evenly spaced t, BatchNorm statistics recomputed at every t.
/// </summary>
internal sealed class ModelConnector
{
    private readonly IHostEnvironment environment;
    private readonly ModelConnectionOptions options;

    public ModelConnector(IHostEnvironment environment, ModelConnectionOptions options)
    {
        ConnectionOptionsValidation.Check(options);
        this.environment = environment;
        this.options = options;
    }

    public ModelConnection Connect(ITransformer modelA, ITransformer modelB, IDataView trainData)
    {
        var clock = Stopwatch.StartNew();
        using var leaseA = ModelLease.Of(modelA);
        using var leaseB = ModelLease.Of(modelB);
        var (a, b) = (leaseA.Model, leaseB.Model);
        if (a.Info.NetworkShape != b.Info.NetworkShape)
            throw new ArgumentException($"Only networks of the same architecture connect; the first model is a {a.Info.NetworkShape.Describe()}, the second a {b.Info.NetworkShape.Describe()}.", nameof(modelB));
        if (!a.Info.ClassNames.SequenceEqual(b.Info.ClassNames))
            throw new ArgumentException($"Only models of the same classes, in the same order, connect; the first has {string.Join(", ", a.Info.ClassNames)}, the second {string.Join(", ", b.Info.ClassNames)}.", nameof(modelB));
        var stateA = a.Network.state_dict();
        var stateB = b.Network.state_dict();
        CurvePath.CheckSameLayout(stateA, stateB, nameof(modelB));
        var host = MLHost.Of(environment);
        int seed = options.Seed ?? host.Seed ?? 1;
        using var log = environment.Start("ConnectModels");
        void Log(string message) => log.Info(MessageSensitivity.None, message);
        TorchRuntime.Prepare(options.NumberOfThreads);

        using var rows = EvaluationRows.Load(host, modelA, a.Info, trainData, options.MaxRows, "training data", out var classifierInput);
        using var testRows = options.TestData is { } test ? EvaluationRows.Load(host, modelA, a.Info, test, options.MaxRows, "test data", out _) : null;
        using var statisticsRows = options.BatchNormData is { } bnData ? EvaluationRows.Load(host, modelA, a.Info, bnData, options.MaxRows, "BatchNorm data", out _) : null;
        using var network = a.NewNetwork();
        using var path = new CurvePath(network, stateA, stateB);
        Log($"Training a Bézier curve between two {a.Info.NetworkShape.Describe()} networks on {rows.Count} rows, {options.Epochs} epochs of batch {options.BatchSize}, seed {seed}.");
        var (bend, history) = new CurveTraining(options, host, Log).Train(path, rows, seed);
        using (bend)
        using (var straight = BezierCurve.StraightBend(path.First, path.Second))
        {
            double[] ts = [.. Enumerable.Range(0, options.Points).Select(i => (double)i / (options.Points - 1))];
            List<LandscapePoint> curve = [], line = [], testCurve = [], testLine = [];
            foreach (double t in ts)
            {
                host.ThrowIfCanceled("The curve evaluation");
                foreach (var (pathBend, trainPoints, testPoints) in new[] { (bend, curve, testCurve), (straight, line, testLine) })
                {
                    path.MoveTo(t, pathBend);
                    BatchNormRecalibration.Run(network, (statisticsRows ?? rows).Features);
                    trainPoints.Add(Point(t, InferenceScores.Of(network, rows.Features, rows.Labels)));
                    if (testRows is not null) testPoints.Add(Point(t, InferenceScores.Of(network, testRows.Features, testRows.Labels)));
                }
                Log($"t = {t:F3}: curve loss {curve[^1].Loss:F4}, line loss {line[^1].Loss:F4}");
            }
            LossLandscape Landscape(string what, List<LandscapePoint> points, long count) => new()
            {
                Description = what + ", BatchNorm statistics recomputed at each t",
                X = ts,
                Y = [],
                Points = points,
                Rows = count,
                Seconds = clock.Elapsed.TotalSeconds,
            };
            const string CurveText = "Bézier curve φ(t) = (1 − t)²·w_A + 2t(1 − t)·θ + t²·w_B";
            const string LineText = "line w(t) = (1 − t)·w_A + t·w_B";
            var models = new CurveModels(environment, modelA, a, b, bend.data<float>().ToArray(), classifierInput.Schema, options.MaxRows);
            return new ModelConnection(models)
            {
                Curve = Landscape(CurveText, curve, rows.Count),
                Line = Landscape(LineText, line, rows.Count),
                TestCurve = testRows is null ? null : Landscape(CurveText, testCurve, testRows.Count),
                TestLine = testRows is null ? null : Landscape(LineText, testLine, testRows.Count),
                TrainingHistory = history,
                Seconds = clock.Elapsed.TotalSeconds,
            };
        }
    }

    private static LandscapePoint Point(double t, (double Loss, double Accuracy) score) => new(t, 0, score.Loss, score.Accuracy);
}
