using System.Diagnostics;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>Runs ML.NET's evaluator and the chosen measures on the evaluated rows, timing and logging each.</summary>
internal sealed class SharpnessEvaluator
{
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
        var classifier = SamImageClassifierModel.Find(model, out bool owned);
        try
        {
            return Evaluate(model, data, classifier);
        }
        finally
        {
            if (owned) classifier.Dispose();
        }
    }

    private SharpnessMetrics Evaluate(ITransformer model, IDataView data, SamImageClassifierModel classifier)
    {
        var info = classifier.Info;
        var mlContext = environment as MLContext ?? new MLContext(options.Seed);
        using IChannel channel = environment.Start("EvaluateWithSharpness");
        void Log(string message) => channel.Info(MessageSensitivity.None, message);
        NativeMemoryTuning.Apply();
        if (options.NumberOfThreads is int threads) set_num_threads(threads);

        using var rows = EvaluationRows.Load(mlContext, model, info, data, options.MaxRows, "evaluation data", out IDataView scored);
        var standard = mlContext.MulticlassClassification.Evaluate(scored, info.LabelColumnName, info.ScoreColumnName, info.PredictedLabelColumnName,
            topKPredictionCount: options.TopKPredictionCount);

        var network = classifier.Network;
        network.eval();
        var seconds = new Dictionary<string, double>();
        T Timed<T>(string name, Func<T> measure)
        {
            var clock = Stopwatch.StartNew();
            T result = measure();
            seconds[name] = clock.Elapsed.TotalSeconds;
            Log($"{name}: {clock.Elapsed.TotalSeconds:F1} s");
            return result;
        }
        bool Wants(SharpnessMeasures measure) => (options.Measures & measure) != 0;

        using var scope = NewDisposeScope();
        Log($"Evaluating {info.Training.Architecture} on {rows.Count} rows.");
        var surface = new NetworkLossSurface(network, rows.Features, rows.Labels);
        var start = Timed("Loss", () => surface.LossAndGradient());
        long n = surface.Dimension;
        double accuracy = InferenceScores.Of(network, rows.Features, rows.Labels).Accuracy;
        double weightNorm = surface.Weights().norm().item<float>();

        var keskar = new List<KeskarSharpness>();
        if (Wants(SharpnessMeasures.KeskarFullSpace))
            keskar.AddRange(Timed("KeskarFullSpace", () => options.KeskarEpsilons.Select(e =>
                Keskar(e, null, KeskarMaximization.FullSpace(surface, e, options.KeskarIterations, start))).ToList()));
        if (Wants(SharpnessMeasures.KeskarSubspace))
        {
            int p = (int)Math.Min(options.KeskarSubspaceDimension, n);
            keskar.AddRange(Timed("KeskarSubspace", () => options.KeskarEpsilons.Select(e =>
                Keskar(e, p, KeskarMaximization.Subspace(surface, e, p, options.KeskarIterations, options.Seed, start))).ToList()));
        }

        int k = options.SamAscentSteps;
        var sam = Wants(SharpnessMeasures.Sam)
            ? Timed("Sam", () => options.Rhos.Select(r => new RadiusSharpness(r, k, SamSharpness.Evaluate(surface, r, k, null, start))).ToList())
            : new List<RadiusSharpness>();
        var adaptive = Wants(SharpnessMeasures.AdaptiveSam)
            ? Timed("AdaptiveSam", () => options.Rhos.Select(r =>
                new RadiusSharpness(r, k, SamSharpness.Evaluate(surface, r, k, options.AdaptiveEta, start), Eta: options.AdaptiveEta)).ToList())
            : new List<RadiusSharpness>();
        var mSharpness = Wants(SharpnessMeasures.MSharpness)
            ? Timed("MSharpness", () => MSharpness(network, rows, Log))
            : new List<RadiusSharpness>();

        var eigenvalues = Wants(SharpnessMeasures.HessianEigenvalues)
            ? Timed("HessianEigenvalues", () => HessianSpectrum.TopEigenvalues(surface, options.HessianEigenvalueCount, options.PowerIterations,
                options.PowerIterationTolerance, options.Seed).Select(e => new HessianEigenvalue(e.Eigenvalue, e.Iterations, e.Converged)).ToList())
            : new List<HessianEigenvalue>();
        StochasticValue? trace = null;
        if (Wants(SharpnessMeasures.HessianTrace))
        {
            var t = Timed("HessianTrace", () => options.TraceEstimator == HessianTraceEstimator.HutchPlusPlus
                ? HessianSpectrum.TraceHutchPlusPlus(surface, options.TraceProbes, options.Seed)
                : HessianSpectrum.Trace(surface, options.TraceProbes, options.Seed));
            trace = new StochasticValue(t.Value, t.StandardError, t.Samples, options.TraceEstimator == HessianTraceEstimator.HutchPlusPlus ? "Hutch++" : "Hutchinson");
        }
        HessianDensity? density = null;
        if (Wants(SharpnessMeasures.HessianDensity))
        {
            var d = Timed("HessianDensity", () => HessianSpectrum.Density(surface, options.DensityRuns, options.DensityLanczosSteps, options.Seed));
            density = new HessianDensity(d.Nodes, d.Weights, d.Runs, d.LanczosSteps);
        }

        FisherMeasures? fisher = null;
        if (Wants(SharpnessMeasures.Fisher))
        {
            var f = Timed("Fisher", () => FisherInformation.Compute(new PerExampleGradients(network), rows.Features, rows.Labels, options.ModelFisherSamples, options.Seed));
            var modelTrace = f.ModelTraceEstimate is { } e ? new StochasticValue(e.Value, e.StandardError, e.Samples) : new StochasticValue(f.ModelTrace, null, 0);
            fisher = new FisherMeasures(f.EmpiricalTrace, modelTrace, f.FisherRaoNorm, f.UsedRowLoop ? "per-row loop" : "per-example trick");
        }

        MinibatchGradientMeasures? minibatch = null;
        if (Wants(SharpnessMeasures.MinibatchGradients))
        {
            int batch = (int)Math.Min(options.MinibatchSize, rows.Count / 2);
            if (batch < 1)
                Log($"Minibatch-gradient measures skipped: two disjoint minibatches need at least 2 rows; {rows.Count} are evaluated.");
            else
            {
                if (batch < options.MinibatchSize)
                    Log($"MinibatchSize {options.MinibatchSize} is more than half of the {rows.Count} rows evaluated; using minibatches of {batch} rows.");
                var m = Timed("MinibatchGradients", () => MinibatchGradientPairs.Compute(network, rows.Features, rows.Labels, start.Gradient, batch, options.MinibatchPairs, options.Seed));
                minibatch = new MinibatchGradientMeasures(Stochastic(m.LocalGeneralization), Stochastic(m.Cosine), Stochastic(m.NoiseTrace), m.BatchSize, m.Pairs);
            }
        }

        return new SharpnessMetrics
        {
            Standard = standard,
            Rows = (int)rows.Count,
            Parameters = n,
            Loss = start.Loss,
            Accuracy = accuracy,
            WeightNorm = weightNorm,
            Keskar = keskar,
            Sam = sam,
            AdaptiveSam = adaptive,
            MSharpness = mSharpness,
            HessianEigenvalues = eigenvalues,
            HessianTrace = trace,
            HessianDensity = density,
            Fisher = fisher,
            MinibatchGradients = minibatch,
            Seconds = seconds,
        };
    }

    /// <summary>m-sharpness (Foret et al. 2021, §4): the mean over the ⌊N/m⌋ disjoint consecutive sub-batches of m rows of each one's SAM sharpness.</summary>
    private List<RadiusSharpness> MSharpness(nn.Module<Tensor, Tensor> network, ImageTensors rows, Action<string> log)
    {
        int m = (int)Math.Min(options.SharpnessBatchSize, rows.Count);
        if (m < options.SharpnessBatchSize)
            log($"SharpnessBatchSize {options.SharpnessBatchSize} is more than the {rows.Count} rows evaluated; m-sharpness uses one sub-batch of {m} rows.");
        long batches = rows.Count / m;
        var surfaces = Enumerable.Range(0, (int)batches)
            .Select(b => new NetworkLossSurface(network, rows.Features.narrow(0, b * (long)m, m), rows.Labels.narrow(0, b * (long)m, m)))
            .ToArray();
        var starts = surfaces.Select(s => s.LossAndGradient()).ToArray();
        return options.Rhos.Select(rho =>
        {
            var values = surfaces.Select((s, i) => SamSharpness.Evaluate(s, rho, options.SamAscentSteps, null, starts[i])).ToArray();
            var estimate = Statistics.MeanAndStandardError(values);
            return new RadiusSharpness(rho, options.SamAscentSteps, estimate.Value, SubBatchSize: m, SubBatches: values.Length,
                StandardError: values.Length > 1 ? estimate.StandardError : null);
        }).ToList();
    }

    private static KeskarSharpness Keskar(double epsilon, int? dimension, KeskarResult result) =>
        new(epsilon, dimension, result.Sharpness, result.MaximumLoss, result.Iterations, result.LargestBoxFraction);

    private static StochasticValue Stochastic(Estimate e) => new(e.Value, e.StandardError, e.Samples);
}
