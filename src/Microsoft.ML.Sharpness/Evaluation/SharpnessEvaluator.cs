using System.Diagnostics;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sharpness.Evaluation.Measures;
using Microsoft.ML.Sharpness.Persistence;
using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>Runs ML.NET's evaluator and then the selected <see cref="SharpnessMeasure"/>s on the evaluated rows, timing and logging each.</summary>
internal sealed class SharpnessEvaluator
{
    /// <summary>Every measure, in report order.</summary>
    private static readonly SharpnessMeasure[] Measures =
    [
        new KeskarFullSpaceMeasure(), new KeskarSubspaceMeasure(), new SamSharpnessMeasure(), new AdaptiveSharpnessMeasure(), new MSharpnessMeasure(),
        new HessianEigenvaluesMeasure(), new HessianTraceMeasure(), new HessianDensityMeasure(), new FisherMeasure(), new MinibatchGradientsMeasure(),
    ];

    private readonly IHostEnvironment environment;
    private readonly SharpnessEvaluationOptions options;

    public SharpnessEvaluator(IHostEnvironment environment, SharpnessEvaluationOptions options)
    {
        EvaluationOptionsValidation.Check(options);
        this.environment = environment;
        this.options = options;
    }

    public SharpnessMetrics Evaluate(ITransformer model, IDataView data)
    {
        var host = MLHost.Of(environment);
        host.ThrowIfCanceled("EvaluateWithSharpness");
        using var lease = ModelLease.Of(model);
        var info = lease.Model.Info;
        using IChannel channel = environment.Start("EvaluateWithSharpness");
        void Log(string message) => channel.Info(MessageSensitivity.None, message);
        TorchRuntime.Prepare(options.NumberOfThreads);

        using var rows = EvaluationRows.Load(host, model, info, data, options.MaxRows, "evaluation data", out IDataView scored);
        var standard = host.MulticlassClassification.Evaluate(scored, info.LabelColumnName, info.ScoreColumnName, info.PredictedLabelColumnName,
            topKPredictionCount: Math.Min(options.TopKPredictionCount, info.ClassNames.Count)); // ML.NET's evaluator fails for k above the class count

        var network = lease.Model.Network;
        network.eval();
        using var scope = NewDisposeScope();
        Log($"Evaluating {info.Training.Architecture} on {rows.Count} rows.");
        var seconds = new Dictionary<string, double>();
        var clock = Stopwatch.StartNew();
        void ThrowIfCanceled() => host.ThrowIfCanceled("EvaluateWithSharpness");
        var surface = new NetworkLossSurface(network, rows.Features, rows.Labels, ThrowIfCanceled);
        var start = surface.LossAndGradient();
        seconds["Loss"] = clock.Elapsed.TotalSeconds;
        var metrics = new SharpnessMetrics
        {
            Standard = standard,
            Rows = (int)rows.Count,
            Parameters = surface.Dimension,
            Loss = start.Loss,
            Accuracy = InferenceScores.Of(network, rows.Features, rows.Labels).Accuracy,
            WeightNorm = surface.Weights().norm().item<float>(),
        };

        var context = new MeasureContext(options, network, rows, surface, start, Log, ThrowIfCanceled);
        foreach (var measure in Measures.Where(m => (options.Measures & m.Kind) != 0))
        {
            clock.Restart();
            metrics = measure.AddTo(metrics, context);
            seconds[measure.Kind.ToString()] = clock.Elapsed.TotalSeconds;
            Log($"{measure.Kind}: {clock.Elapsed.TotalSeconds:F1} s");
        }
        return metrics with { Seconds = seconds };
    }
}
