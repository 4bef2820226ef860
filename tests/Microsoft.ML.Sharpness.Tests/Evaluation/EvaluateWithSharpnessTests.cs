using System.Text.Json;
using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Tests.Evaluation;

[TestClass]
public sealed class EvaluateWithSharpnessTests
{
    private static readonly SharpnessEvaluationOptions Quick = new()
    {
        Measures = SharpnessMeasures.All,
        MaxRows = 96,
        KeskarIterations = 3,
        KeskarSubspaceDimension = 10,
        Rhos = new[] { 0.05 },
        SharpnessBatchSize = 32,
        PowerIterations = 20,
        TraceProbes = 9,
        DensityLanczosSteps = 10,
        MinibatchSize = 16,
        MinibatchPairs = 4,
    };

    private static (MLContext MlContext, ITransformer Model, IDataView Data) Trained()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(128, 4, seed: 3));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Epochs = 2, BatchSize = 32 }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        return (ml, pipeline.Fit(data), data);
    }

    [TestMethod]
    public void ReportsTheStandardMetricsAndEveryMeasureConsistently()
    {
        var (ml, model, data) = Trained();
        var metrics = ml.MulticlassClassification.EvaluateWithSharpness(model, data, Quick);

        Assert.AreEqual(96, metrics.Rows, "the first MaxRows rows");
        Assert.AreEqual(metrics.Standard.MicroAccuracy, metrics.Accuracy, 1e-9, "ML.NET and TorchSharp agree on accuracy");
        Assert.AreEqual(metrics.Standard.LogLoss, metrics.Loss, 1e-4, "ML.NET's log-loss is L(w)");
        Assert.AreEqual(4, metrics.Keskar.Count, "two ε in the full space and in the subspace");
        Assert.IsTrue(metrics.Keskar.All(k => k.Value >= 0 && k.LargestBoxFraction <= 1 + 1e-6));
        Assert.IsTrue(metrics.Sam.Single().Value > 0 && metrics.AdaptiveSam.Single().Value > 0);
        Assert.AreEqual(3, metrics.MSharpness.Single().SubBatches, "96 rows in sub-batches of 32");
        Assert.IsTrue(metrics.HessianEigenvalues.Single().Value > 0);
        Assert.AreEqual(9, metrics.HessianTrace!.Samples);
        Assert.AreEqual("Hutch++", metrics.HessianTrace.Method);
        Assert.AreEqual(1, metrics.HessianDensity!.Weights.Sum(), 1e-4);
        Assert.IsTrue(metrics.Fisher!.EmpiricalTrace > 0 && metrics.Fisher.ModelTrace.Value > 0);
        Assert.AreEqual("per-example trick", metrics.Fisher.Method);
        Assert.AreEqual(4, metrics.MinibatchGradients!.Pairs);
        Assert.IsTrue(metrics.MinibatchGradients.MeanCosine.Value is > -1 and <= 1);

        var values = metrics.ToDictionary();
        Assert.AreEqual(metrics.Sam[0].Value, values["Sam[rho=0.05,k=1]"]);
        Assert.AreEqual(metrics.HessianTrace.StandardError!.Value, values["HessianTrace.StandardError"]);
        Assert.AreEqual(metrics.Standard.MicroAccuracy, values["Standard.MicroAccuracy"]);
        using var json = JsonDocument.Parse(metrics.ToJson());
        Assert.AreEqual(metrics.Loss, json.RootElement.GetProperty("Loss").GetDouble(), 1e-12);
        Assert.AreEqual(metrics.Standard.LogLoss, json.RootElement.GetProperty("StandardMetrics").GetProperty("LogLoss").GetDouble(), 1e-12);
        string table = metrics.ToString();
        foreach (string row in new[] { "Micro-accuracy (ML.NET)", "Keskar ε-sharpness", "SAM sharpness", "Hessian eigenvalue λ1", "Empirical Fisher trace", "Gradient-noise trace" })
            StringAssert.Contains(table, row);
    }

    [TestMethod]
    public void TheDictionaryTableAndJsonAreTheSameEntriesUnderTheirPublicKeys()
    {
        var (ml, model, data) = Trained();
        var metrics = ml.MulticlassClassification.EvaluateWithSharpness(model, data, new SharpnessEvaluationOptions
        {
            Measures = Quick.Measures, MaxRows = Quick.MaxRows, KeskarIterations = Quick.KeskarIterations, KeskarSubspaceDimension = Quick.KeskarSubspaceDimension,
            Rhos = Quick.Rhos, SharpnessBatchSize = Quick.SharpnessBatchSize, PowerIterations = Quick.PowerIterations, TraceProbes = Quick.TraceProbes,
            DensityLanczosSteps = Quick.DensityLanczosSteps, MinibatchSize = Quick.MinibatchSize, MinibatchPairs = Quick.MinibatchPairs, TopKPredictionCount = 2,
        });

        // ML.NET's top-K accuracy with K = 2 of 4 classes: at least the accuracy, at most 1 (it was 0 when K was not passed).
        Assert.AreEqual(2, metrics.Standard.TopKPredictionCount);
        Assert.IsTrue(metrics.Standard.TopKAccuracy >= metrics.Standard.MicroAccuracy && metrics.Standard.TopKAccuracy <= 1);
        Assert.IsTrue(metrics.Standard.TopKAccuracy > 0);

        var values = metrics.ToDictionary();
        Assert.AreEqual(metrics.Keskar.First(k => k.SubspaceDimension is null).Value, values[SharpnessMetrics.Keys.Keskar(1e-3)]);
        Assert.AreEqual(metrics.Keskar.First(k => k.SubspaceDimension == 10).Value, values[SharpnessMetrics.Keys.Keskar(1e-3, 10)]);
        Assert.AreEqual(metrics.MSharpness[0].Value, values[SharpnessMetrics.Keys.MSharpness(0.05, 1, 32)]);
        Assert.AreEqual(metrics.HessianEigenvalues[0].Value, values[SharpnessMetrics.Keys.HessianEigenvalue(1)]);
        Assert.AreEqual(metrics.Fisher!.EmpiricalTrace, values[SharpnessMetrics.Keys.EmpiricalFisherTrace]);
        Assert.AreEqual(metrics.MinibatchGradients!.NoiseTrace.StandardError!.Value, values[SharpnessMetrics.Keys.StandardError(SharpnessMetrics.Keys.GradientNoiseTrace)]);
        Assert.AreEqual(metrics.Standard.TopKAccuracy, values[SharpnessMetrics.Keys.Standard("TopKAccuracy")]);

        // One list behind all three: every entry is in the dictionary, every table row in the text, every entry in the JSON.
        string table = metrics.ToString();
        using var json = JsonDocument.Parse(metrics.ToJson());
        var jsonEntries = json.RootElement.GetProperty("Entries").EnumerateArray().ToDictionary(e => e.GetProperty("Key").GetString()!, e => e.GetProperty("Value").GetDouble());
        Assert.AreEqual(metrics.Entries.Count, jsonEntries.Count);
        foreach (var entry in metrics.Entries)
        {
            Assert.AreEqual(entry.Value, values[entry.Key], entry.Key);
            Assert.AreEqual(entry.Value, jsonEntries[entry.Key], 1e-12 * Math.Max(1, Math.Abs(entry.Value)), entry.Key);
            if (entry.Measure is not null) StringAssert.Contains(table, entry.Measure);
        }
        Assert.AreEqual(values.Count, metrics.Entries.Count + metrics.Entries.Count(e => e.StandardError is not null), "no key outside the entries");
    }

    [TestMethod]
    public void AModelFreshFromFitAndTheSameModelAfterSaveAndLoadGiveTheSameResult()
    {
        var (ml, model, data) = Trained();
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var fresh = new MLContext(seed: 5);
        var loaded = fresh.Model.Load(stream, out _);

        var options = new SharpnessEvaluationOptions
        {
            MaxRows = Quick.MaxRows, KeskarIterations = 3, KeskarSubspaceDimension = 10, Rhos = new[] { 0.05 }, SharpnessBatchSize = 32,
            PowerIterations = 20, TraceProbes = 6, MinibatchSize = 16, MinibatchPairs = 4,
        };
        var before = ml.MulticlassClassification.EvaluateWithSharpness(model, data, options).ToDictionary();
        var after = fresh.MulticlassClassification.EvaluateWithSharpness(loaded, data, options).ToDictionary();
        foreach (var (name, value) in before.Where(kv => !kv.Key.StartsWith("Seconds.", StringComparison.Ordinal)))
            Assert.AreEqual(value, after[name], 1e-5 * Math.Max(1, Math.Abs(value)), name);
    }

    [TestMethod]
    public void EachMeasureIsTheSameAloneAsWithTheOthers()
    {
        // The measures share L(w) and ∇L(w); none may change what the others see.
        var (ml, model, data) = Trained();
        var together = ml.MulticlassClassification.EvaluateWithSharpness(model, data, Quick).ToDictionary();
        foreach (var measure in new[] { SharpnessMeasures.Sam, SharpnessMeasures.AdaptiveSam, SharpnessMeasures.MinibatchGradients, SharpnessMeasures.KeskarSubspace })
        {
            var alone = ml.MulticlassClassification.EvaluateWithSharpness(model, data, new SharpnessEvaluationOptions
            {
                Measures = measure, MaxRows = Quick.MaxRows, KeskarIterations = Quick.KeskarIterations, KeskarSubspaceDimension = Quick.KeskarSubspaceDimension,
                Rhos = Quick.Rhos, MinibatchSize = Quick.MinibatchSize, MinibatchPairs = Quick.MinibatchPairs,
            }).ToDictionary();
            foreach (var (name, value) in alone.Where(kv => !kv.Key.StartsWith("Seconds.", StringComparison.Ordinal)))
                Assert.AreEqual(together[name], value, 1e-6 * Math.Max(1, Math.Abs(value)), $"{measure}: {name}");
        }
    }

    [TestMethod]
    [DataRow(ImageClassifierArchitecture.ResNet18, 16)]
    [DataRow(ImageClassifierArchitecture.ResNet18, 64)]
    [DataRow(ImageClassifierArchitecture.WideResNet, 16)]
    public void TheImageNetAndWideArchitecturesEvaluateWithThePerExampleTrick(ImageClassifierArchitecture architecture, int side)
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(16, 4, seed: 3, channels: 3, side: side), SyntheticImages.Schema(3, side));
        var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Architecture = architecture, WideResNetDepth = 10, WideResNetWidth = 2, WideResNetDropout = 0.3f, Epochs = 1, BatchSize = 16,
        }).Fit(data);
        var metrics = ml.MulticlassClassification.EvaluateWithSharpness(model, data, new SharpnessEvaluationOptions
        {
            Measures = SharpnessMeasures.Sam | SharpnessMeasures.HessianEigenvalues | SharpnessMeasures.Fisher, MaxRows = 8, Rhos = new[] { 0.05 }, PowerIterations = 3,
        });

        Assert.AreEqual(8, metrics.Rows);
        Assert.AreEqual(metrics.Standard.LogLoss, metrics.Loss, 1e-4, "ML.NET's log-loss (ONNX) is TorchSharp's L(w)");
        Assert.AreEqual("per-example trick", metrics.Fisher!.Method);
        Assert.IsTrue(metrics.Fisher.EmpiricalTrace > 0 && double.IsFinite(metrics.HessianEigenvalues.Single().Value) && double.IsFinite(metrics.Sam.Single().Value));
    }

    [TestMethod]
    public void BadInputGetsAClearError()
    {
        var (ml, model, data) = Trained();
        var transformsOnly = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data);
        var noSam = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.EvaluateWithSharpness(transformsOnly, data));
        StringAssert.Contains(noSam.Message, "holds no SamImageClassifier model");

        var unlabeled = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(8, 4, seed: 3).Select(r => new FeaturesOnly { Features = r.Features }));
        var noLabel = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.EvaluateWithSharpness(
            ml.MulticlassClassification.Trainers.SamImageClassifier(epochs: 1).Fit(SyntheticImages.Keyed(ml, SyntheticImages.Rows(32, 4, 3))), unlabeled));
        StringAssert.Contains(noLabel.Message, "label column 'Label'");

        var badRows = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.EvaluateWithSharpness(model, data, new SharpnessEvaluationOptions { MaxRows = 0 }));
        StringAssert.Contains(badRows.Message, "MaxRows is 0");
        var badRho = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.EvaluateWithSharpness(model, data, new SharpnessEvaluationOptions { Rhos = new[] { 0.05, -0.1 } }));
        StringAssert.Contains(badRho.Message, "Rhos is {0.05, -0.1}");

        var empty = ml.Data.LoadFromEnumerable(Array.Empty<SyntheticImages.Row>());
        var noRows = Assert.ThrowsExactly<InvalidOperationException>(() => ml.MulticlassClassification.EvaluateWithSharpness(model, empty));
        StringAssert.Contains(noRows.Message, "has no rows");
    }

    private sealed class FeaturesOnly
    {
        [VectorType(1, SyntheticImages.Size, SyntheticImages.Size)]
        public float[] Features { get; set; } = Array.Empty<float>();
    }
}
