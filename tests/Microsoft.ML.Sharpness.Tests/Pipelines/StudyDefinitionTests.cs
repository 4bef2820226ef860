using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.ML.Sharpness.Lab.Charts;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

[TestClass]
public sealed class StudyDefinitionTests
{
    [TestMethod]
    public void EveryPresetParsesAndResolvesItsRuns()
    {
        CollectionAssert.IsSubsetOf(new[] { "piggybacked-large-batch", "rho-sweep", "sgd-vs-sam", "small-vs-large-batch" }, StudyPresets.Names.ToArray());
        foreach (string name in StudyPresets.Names)
        {
            var study = StudyPresets.Load(name, "/data-root");
            Assert.IsTrue(study.ResolvedRuns().Count >= 2, name);
            StringAssert.StartsWith(study.DataFolder, "/data-root/data/", name);
        }
        var keskar = StudyPresets.Load("small-vs-large-batch", ".");
        var lb = keskar.ResolvedRuns().Single(r => r.Name == "LB (10%)");
        Assert.AreEqual(850, lb.ToOptions(8495, 1, null).BatchSize, "LB is 10 % of MNIST's 8,495 training images");
        Assert.AreEqual(ImageClassifierArchitecture.Mlp, lb.ToOptions(8495, 1, null).Architecture);
        Assert.AreEqual(256, keskar.ResolvedRuns().Single(r => r.Name == "SB (256)").ToOptions(8495, 1, null).BatchSize);
    }

    [TestMethod]
    public void TheIssue12PresetsAskForWhatTheyPromise()
    {
        var noise = StudyPresets.Load("label-noise", ".");
        CollectionAssert.AreEqual(new[] { 0, 0.2, 0.4, 0.6 }, noise.ResolvedRuns().Select(r => r.NoiseFraction).Distinct().ToArray());
        Assert.IsTrue(noise.Seeds.Count >= 3);
        Assert.IsTrue(noise.ResolvedRuns().All(r => r.NoiseKind == LabelNoiseKind.Symmetric));
        foreach (var level in noise.ResolvedRuns().GroupBy(r => r.NoiseFraction))
        {
            var options = level.Select(r => r.ToOptions(3000, 1, null)).ToList();
            Assert.AreEqual(2, options.Count(o => o.Optimizer == SharpnessOptimizer.Sgd), $"two SGD learning rates at noise {level.Key}");
            Assert.IsTrue(options.Any(o => o.Optimizer == SharpnessOptimizer.Sam && o.SharpnessBatchSize == 0), "SAM");
            Assert.IsTrue(options.Any(o => o.Optimizer == SharpnessOptimizer.Sam && o.SharpnessBatchSize == 16), "m-SAM");
        }

        var longRun = StudyPresets.Load("sgd-vs-sam-long", ".");
        Assert.IsTrue(longRun.Seeds.Count >= 3);
        foreach (var options in longRun.ResolvedRuns().Select(r => r.ToOptions(60000, 1, null)))
        {
            Assert.AreEqual(ImageClassifierArchitecture.WideResNet, options.Architecture);
            Assert.AreEqual((16, 4), (options.WideResNetDepth, options.WideResNetWidth));
            Assert.AreEqual(ImageAugmentation.CropAndFlip, options.Augmentation);
            Assert.IsTrue(options.Epochs >= 50);
        }

        var adam = StudyPresets.Load("small-vs-large-batch-adam", ".").ResolvedRuns().Select(r => r.ToOptions(8495, 1, null)).ToList();
        Assert.AreEqual(2, adam.Count(o => o.BaseOptimizer == BaseOptimizer.Adam));
        CollectionAssert.AreEquivalent(new[] { 256, 850, 256, 850 }, adam.Select(o => o.BatchSize).ToArray());
    }

    [TestMethod]
    public void TheQuickProfileEvaluatesFewerRowsAndProductsAndDrawsOneDimensionalLandscapesOnly()
    {
        var study = StudyPresets.Load("sgd-vs-sam", ".");
        QuickProfile.Apply(study);
        var e = study.Evaluation;
        Assert.AreEqual(EvaluationProfile.Quick, e.Profile);
        Assert.AreEqual((128, 128, 2000), (e.TrainRows, e.TestRows, study.TestRows));
        Assert.AreEqual(SharpnessMeasures.KeskarFullSpace | SharpnessMeasures.Sam | SharpnessMeasures.AdaptiveSam | SharpnessMeasures.MSharpness
            | SharpnessMeasures.HessianEigenvalues, e.TrainMeasures, "the default measures less the costly ones");
        Assert.AreEqual(SharpnessMeasures.KeskarFullSpace | SharpnessMeasures.Sam | SharpnessMeasures.HessianEigenvalues, e.TestMeasures, "the preset's test measures");
        Assert.AreEqual((6, 3), (e.PowerIterations, e.KeskarIterations));
        var options = e.ToOptions(e.TrainMeasures, e.TrainRows, threads: null);
        Assert.AreEqual((128, 6, 3), (options.MaxRows, options.PowerIterations, options.KeskarIterations), "the evaluator gets them");
        var l = study.Landscapes!;
        Assert.AreEqual(0, l.Surfaces.Count + l.Spectra.Count, "1-D landscapes only");
        Assert.AreEqual(1, l.Interpolations.Count);
        CollectionAssert.AreEqual(new[] { "SGD", "SAM", "ASAM" }, l.RandomDirections);
        Assert.AreEqual((128, 11), (l.Rows, l.Points));
    }

    [TestMethod]
    public void ACurvePairNamesRunsOrSeedsAndTheQuickProfileTrainsItForAtMostTwentyEpochs()
    {
        var study = StudyDefinition.Parse("""
            { "data": "d", "seeds": [1, 2], "runs": [{ "name": "SGD" }, { "name": "SAM" }],
              "landscapes": { "curves": [["SGD#1", "SGD#2"], ["SGD", "SAM#2"]], "curveEpochs": 30, "rows": 500 } }
            """, "study.json");
        Assert.AreEqual(new CurveEnd("SGD", 2), CurveEnd.Parse("SGD#2"));
        Assert.AreEqual(new CurveEnd("SGD", null), CurveEnd.Parse("SGD"));
        Assert.AreEqual(("SAM", 2), CurveEnd.Parse("SAM#2").Resolve(1), "the last #seed names the seed");
        Assert.AreEqual(("SGD", 1), CurveEnd.Parse("SGD").Resolve(1), "a run name alone is the first seed's model");
        Assert.AreEqual((30, 0.01), (study.Landscapes!.CurveEpochs, study.Landscapes.CurveLearningRate));

        QuickProfile.Apply(study);
        Assert.AreEqual(2, study.Landscapes.Curves.Count, "the quick profile keeps the curves");
        Assert.AreEqual((20, 128), (study.Landscapes.CurveEpochs, study.Landscapes.Rows));
    }

    [TestMethod]
    public void AStudyFileAsksForTheQuickProfileWhichNeverScalesUp()
    {
        var study = StudyDefinition.Parse("""
            { "data": "d", "testRows": 300, "runs": [{ "name": "A" }],
              "evaluation": { "profile": "quick", "trainRows": 50, "testMeasures": "Sam, Fisher", "powerIterations": 4 },
              "landscapes": { "randomDirections": ["A"], "surfaces": ["A"], "points": 7 } }
            """, "study.json");
        var e = study.Evaluation;
        Assert.AreEqual(EvaluationProfile.Quick, e.Profile);
        Assert.AreEqual((50, 128, 300, 4), (e.TrainRows, e.TestRows, study.TestRows, e.PowerIterations));
        Assert.AreEqual(SharpnessMeasures.Sam, e.TestMeasures, "Fisher is not a quick measure");
        Assert.AreEqual(24, e.TraceProbes, "settings of measures the profile leaves out stay");
        Assert.AreEqual((0, 1, 7), (study.Landscapes!.Surfaces.Count, study.Landscapes.RandomDirections.Count, study.Landscapes.Points));
        Assert.AreEqual(EvaluationProfile.Full, StudyDefinition.Parse("""{ "data": "d", "runs": [{ "name": "A" }] }""", "s").Evaluation.Profile);
    }

    [TestMethod]
    [DataRow("""{ "data": "d", "runs": [] }""", "\"runs\" is empty")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A" }, { "name": "A" }] }""", "two runs are named \"A\"")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "warmStartFrom": "B" }, { "name": "B" }] }""", "not an earlier run")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A" }], "landscapes": { "surfaces": ["C"] } }""", "the run \"C\"")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "batchFraction": 2 }] }""", "\"batchFraction\" must be in (0, 1]")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "optimiser": "Sam" }] }""", "optimiser")]
    [DataRow("""{ "runs": [{ "name": "A" }] }""", "\"data\" must name a folder")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "schedule": "Cosine" }] }""", "run \"A\": \"schedule\" is not a setting; the training settings are \"architecture\", ")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "schedule": "Cosine" }] }""", "\"learningRateSchedule\"")]
    [DataRow("""{ "data": "d", "defaults": { "rhoo": 0.1 }, "runs": [{ "name": "A" }] }""", "\"defaults\": \"rhoo\" is not a setting")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "epochs": "ten" }] }""", "run \"A\": \"epochs\" must be an integer; got \"ten\"")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "optimizer": "Adam" }] }""", "\"optimizer\" must be one of Sgd, Sam, AdaptiveSam")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "nesterov": 1 }] }""", "\"nesterov\" must be true or false")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "rho": null }] }""", "\"rho\" must be a number")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "seed": 3 }] }""", "\"seed\" is set by the study's \"seeds\"")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A" }], "landscapes": { "curves": [["A#1", "C"]] } }""", "\"landscapes.curves\" names the run \"C\"")]
    [DataRow("""{ "data": "d", "seeds": [1, 2], "runs": [{ "name": "A" }], "landscapes": { "curves": [["A#1", "A#3"]] } }""", "seed 3 of \"A\", which is not one of the study's \"seeds\"")]
    [DataRow("""{ "data": "d", "seeds": [1, 2], "runs": [{ "name": "A" }], "landscapes": { "curves": [["A", "A#1"]] } }""", "connects a model to itself")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A" }, { "name": "B" }], "landscapes": { "curves": [["A", "B", "A"]] } }""", "is a pair of models")]
    public void ImpossibleStudiesAreRejectedWithWhatIsWrong(string json, string expected)
    {
        var error = Assert.ThrowsExactly<StudyException>(() => StudyDefinition.Parse(json, "study.json"));
        StringAssert.StartsWith(error.Message, "study.json: ");
        StringAssert.Contains(error.Message, expected);
    }

    /// <summary>Every TrainingSettings property but the seed (the study's "seeds" set it) at a value other than its default, and as study-file JSON.</summary>
    private static (TrainingSettings Settings, JsonObject Json) NonDefaultSettings()
    {
        var settings = new TrainingSettings
        {
            Architecture = ImageClassifierArchitecture.ResNet, ResNetBlocksPerStage = 2, WideResNetDepth = 22, WideResNetWidth = 4, WideResNetDropout = 0.3f, Optimizer = SharpnessOptimizer.AdaptiveSam, Rho = 0.5f,
            AdaptiveEta = 0.02f, SharpnessBatchSize = 16, LearningRate = 0.2f, Momentum = 0.5f, Nesterov = true, WeightDecay = 1e-3f,
            LearningRateSchedule = LearningRateSchedule.Step, StepEpochs = 3, StepGamma = 0.5f, Epochs = 7, BatchSize = 64, LabelSmoothing = 0.1f, Seed = 9,
            BaseOptimizer = BaseOptimizer.AdamW, Beta1 = 0.8f, Beta2 = 0.99f, AdamEpsilon = 1e-6f, GradientClipNorm = 1f,
            Augmentation = ImageAugmentation.CropAndFlip | ImageAugmentation.Cutout, AugmentationPadding = 2, CutoutSize = 6,
            ValidationFraction = 0.1, EarlyStoppingPatience = 4, EarlyStoppingMetric = EarlyStoppingMetric.ValidationLoss,
            PretrainedModelPath = "pretrained.onnx", PretrainedPreprocessingPath = "preprocess.onnx", PretrainedFeatureNode = "/features/Relu", FreezeBackbone = true,
            CacheBackboneFeatures = false, FreezeBackboneStatistics = true, PerturbBackbone = false, BackboneLearningRateScale = 0.5f,
            InputNormalization = InputNormalization.ImageNet, SharpnessMonitor = new SharpnessMonitorOptions { EverySteps = 20, Rows = 64 },
        };
        foreach (var property in SettableProperties.Where(p => p.Name != nameof(TrainingSettings.Seed)))
            Assert.AreNotEqual(property.GetValue(new TrainingSettings()), property.GetValue(settings), $"the test sets {property.Name} to a non-default value");
        var json = JsonNode.Parse(JsonSerializer.Serialize(settings, CamelCase))!.AsObject();
        json.Remove("seed");
        return (settings, json);
    }

    private static IEnumerable<System.Reflection.PropertyInfo> SettableProperties => typeof(TrainingSettings).GetProperties().Where(p => p.CanWrite);

    private static readonly JsonSerializerOptions CamelCase = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, Converters = { new JsonStringEnumConverter() } };

    [TestMethod]
    public void EveryTrainingSettingCanBeSetInAStudyFileAndReachesTheTrainerOptions()
    {
        var (wanted, json) = NonDefaultSettings();
        var study = StudyDefinition.Parse($$"""{ "data": "d", "defaults": {{json.ToJsonString()}}, "runs": [{ "name": "A" }] }""", "study.json");
        var options = study.ResolvedRuns()[0].ToOptions(trainRows: 1000, seed: 9, threads: null);
        foreach (var property in SettableProperties)
            Assert.AreEqual(property.GetValue(wanted), property.GetValue(options), property.Name);
    }

    [TestMethod]
    public void TheFingerprintChangesWithEverySettingAndOnlyThen()
    {
        static string Fingerprint(string run)
        {
            var resolved = StudyDefinition.Parse($$"""{ "data": "d", "runs": [{ "name": "SB" }, {{run}}] }""", "study.json").ResolvedRuns()[1];
            return resolved.Fingerprint(resolved.ToOptions(trainRows: 1000, seed: 1, threads: null));
        }
        string plain = Fingerprint("""{ "name": "A" }""");
        Assert.AreEqual(plain, Fingerprint("""{ "name": "A", "report": false }"""), "the same settings, shown or not, are the same run");
        foreach (var (name, value) in NonDefaultSettings().Json)
            Assert.AreNotEqual(plain, Fingerprint($$"""{ "name": "A", "{{name}}": {{value!.ToJsonString()}} }"""), name);
        Assert.AreNotEqual(plain, Fingerprint("""{ "name": "A", "batchFraction": 0.5 }"""));
        Assert.AreNotEqual(plain, Fingerprint("""{ "name": "A", "warmStartFrom": "SB" }"""));
    }

    [TestMethod]
    public void ARunOverridesTheDefaultsAndTheSameSettingsGiveTheSameOptions()
    {
        var study = StudyDefinition.Parse("""
            {
              "data": "d",
              "defaults": { "optimizer": "Sgd", "learningRate": 0.1, "batchFraction": 0.1, "epochs": 4 },
              "runs": [
                { "name": "A" },
                { "name": "B", "learningRate": 0.2, "batchSize": 32 },
                { "name": "C", "nesterov": true, "epochs": 2 }
              ]
            }
            """, "study.json");
        var options = study.ResolvedRuns().Select(run => run.ToOptions(trainRows: 1000, seed: 1, threads: null)).ToList();
        Assert.AreEqual((SharpnessOptimizer.Sgd, 0.1f, 100, 4), (options[0].Optimizer, options[0].LearningRate, options[0].BatchSize, options[0].Epochs));
        Assert.AreEqual((SharpnessOptimizer.Sgd, 0.2f, 32, 4), (options[1].Optimizer, options[1].LearningRate, options[1].BatchSize, options[1].Epochs),
            "a run's own batchSize replaces the defaults' batchFraction");
        Assert.AreEqual((true, 2, 100), (options[2].Nesterov, options[2].Epochs, options[2].BatchSize));

        // The study as the runner writes it to study.json reads back to the same options.
        var again = StudyDefinition.Parse(JsonSerializer.Serialize(study, CamelCase), "study.json").ResolvedRuns()
            .Select(run => run.ToOptions(trainRows: 1000, seed: 1, threads: null)).ToList();
        CollectionAssert.AreEqual(options.Select(o => JsonSerializer.Serialize(o.CopySettings())).ToList(), again.Select(o => JsonSerializer.Serialize(o.CopySettings())).ToList());
    }

    [TestMethod]
    public void ARunNamesItsPretrainedModelAsPretrainedModel()
    {
        var study = StudyDefinition.Parse("""
            { "data": "d", "runs": [{ "name": "A", "pretrainedModel": "backbone.onnx", "freezeBackbone": true }, { "name": "B" }] }
            """, "study.json");
        var options = study.ResolvedRuns().Select(run => run.ToOptions(trainRows: 1000, seed: 1, threads: null)).ToList();
        Assert.AreEqual(("backbone.onnx", true), (options[0].PretrainedModelPath, options[0].FreezeBackbone));
        Assert.IsNull(options[1].PretrainedModelPath);
        var both = Assert.ThrowsExactly<StudyException>(() => StudyDefinition.Parse("""
            { "data": "d", "runs": [{ "name": "A", "pretrainedModel": "a.onnx", "pretrainedModelPath": "b.onnx" }] }
            """, "study.json"));
        StringAssert.Contains(both.Message, "are the same setting");
    }

    [TestMethod]
    public void MissingDataTellsHowToPrepareIt()
    {
        var error = Assert.ThrowsExactly<StudyException>(() => StudyData.ReadIndex("/no/such/folder", "train.tsv", null, 1));
        StringAssert.Contains(error.Message, "src/Pipelines -- data --dataset");
    }

    [TestMethod]
    public void TheSmoothedSpectralDensityIsAMixtureOfGaussiansWithTheQuadratureWeights()
    {
        double[] nodes = [0, 10], weights = [0.75, 0.25];
        var (sigma, from, to) = SpectralDensity.Range(nodes, widthFraction: 0.02);
        Assert.AreEqual(0.2, sigma, 1e-12, "σ = 2 % of the eigenvalue range");
        var (t, density) = SpectralDensity.Smooth(nodes, weights, sigma, from, to, points: 4001);
        double integral = 0;
        for (int k = 1; k < t.Length; k++) integral += 0.5 * (density[k] + density[k - 1]) * (t[k] - t[k - 1]);
        // The grid stops 3σ beyond the outer nodes, so each outer tail, Φ(−3) = 0.0013499 of its node's weight, is cut off.
        Assert.AreEqual(1.0 - 0.0013499, integral, 1e-5, "∫φ = Σw less the two cut tails");
        int atZero = Array.BinarySearch(t, t.OrderBy(x => Math.Abs(x)).First());
        Assert.AreEqual(0.75 / (sigma * Math.Sqrt(2 * Math.PI)), density[atZero], 1e-2 * density[atZero], "peak height w/(σ√2π) at the node");
        Assert.AreEqual(-0.6, t[0], 1e-12, "from min λ − 3σ");
        Assert.AreEqual(10.6, t[^1], 1e-12, "to max λ + 3σ");
    }
}
