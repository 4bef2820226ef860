using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Networks.Imported;
using Microsoft.ML.Sharpness.Networks.Layers;
using Microsoft.ML.Sharpness.Optimization;
using Prediction = Microsoft.ML.Sharpness.Tests.Persistence.SaveLoadTests.Prediction;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Imported;

[TestClass]
public sealed class FineTuningTests
{
    private const int Classes = 4, Side = 32;

    private static (MLContext Ml, SyntheticImages.Row[] Rows, SchemaDefinition Schema, IDataView Data) Images(int count = 32)
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticImages.Rows(count, Classes, seed: 3, channels: 3, side: Side);
        var schema = SyntheticImages.Schema(3, Side);
        return (ml, rows, schema, ml.Data.LoadFromEnumerable(rows, schema));
    }

    private static IEstimator<ITransformer> Pipeline(MLContext ml, SamImageClassifierOptions options) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    private static SamImageClassifierOptions FineTune(string model) => new()
    {
        PretrainedModelPath = OnnxFixtures.PathOf($"{model}.onnx"), InputNormalization = InputNormalization.ImageNet,
        Epochs = 2, BatchSize = 16, NumberOfThreads = 1, LearningRateSchedule = LearningRateSchedule.Constant,
    };

    [TestMethod]
    [DataRow("mobilenetv2-bn")]
    [DataRow("efficientnet-b0-folded")]
    [DataRow("squeezenet-folded")] // no Gemm: the head reads the last Conv's input, pooled
    public void AFineTunedModelSavesLoadsScoresAndIsEvaluatedLikeAnyOther(string file)
    {
        var (ml, rows, schema, data) = Images();
        var model = Pipeline(ml, FineTune(file)).Fit(data);
        float[][] fresh = ml.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).Select(p => p.Score).ToArray();
        Assert.IsTrue(fresh.All(s => s.Length == Classes), "a new head sized for the label's classes");

        string path = Path.Combine(Path.GetTempPath(), $"finetuned-{file}-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var context = new MLContext();
            var loaded = context.Model.Load(path, out _);
            var engine = context.Model.CreatePredictionEngine<SyntheticImages.Row, Prediction>(loaded, inputSchemaDefinition: schema);
            for (int i = 0; i < rows.Length; i++)
                CollectionAssert.AreEqual(fresh[i], engine.Predict(rows[i]).Score, $"row {i} via a PredictionEngine on the loaded model");

            using var rebuilt = SamImageClassifierModel.FromTransformer(loaded);
            var trained = SamImageClassifierModel.FromTransformer(model);
            Assert.AreEqual(trained.Info.NetworkShape, rebuilt.Info.NetworkShape);
            CollectionAssert.AreEqual(trained.Network.state_dict().Keys.ToArray(), rebuilt.Network.state_dict().Keys.ToArray(), "the saved graph imports again with the same layers");
            manual_seed(2);
            using Tensor images = randn(4, 3, Side, Side);
            using (no_grad())
                Assert.IsTrue(rebuilt.Network.call(images).allclose(trained.Network.call(images), rtol: 1e-5, atol: 1e-6), "the rebuilt network computes the trained one");
            Assert.IsTrue(LayerRules.HavePerRowGradients(rebuilt.Network), "every imported layer with weights has a per-row gradient rule");

            var metrics = context.MulticlassClassification.EvaluateWithSharpness(loaded, context.Data.LoadFromEnumerable(rows, schema), new SharpnessEvaluationOptions
            {
                Measures = SharpnessMeasures.Sam | SharpnessMeasures.HessianEigenvalues | SharpnessMeasures.MinibatchGradients, MaxRows = 16,
                Rhos = new[] { 0.05 }, PowerIterations = 3, MinibatchSize = 8, MinibatchPairs = 2,
            }).ToDictionary();
            Assert.IsTrue(metrics.Values.All(double.IsFinite), string.Join(", ", metrics));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void AFrozenBackboneKeepsItsWeightsAndBatchNormStatisticsWhileTheHeadLearns()
    {
        var (ml, _, _, data) = Images();
        var options = FineTune("resnet18-bn");
        options.FreezeBackbone = true;
        var model = Pipeline(ml, options).Fit(data);
        using var original = SamImageClassifierModel.FromOnnxFile(options.PretrainedModelPath!);
        var before = PretrainedNetwork.BackboneOf(original.Network).state_dict();
        var network = SamImageClassifierModel.FromTransformer(model).Network;
        var after = PretrainedNetwork.BackboneOf(network).state_dict();
        Assert.IsNotEmpty(after);
        foreach (var (name, value) in after)
            Assert.IsTrue(value.equal(before[name]).all().item<bool>(), $"backbone '{name}' changed");
        Assert.IsTrue(after.Keys.Any(k => k.EndsWith("running_mean", StringComparison.Ordinal)), "the fixture has BatchNorm statistics");
        Assert.IsTrue(new NetworkWeights(network).Parameters.All(p => !PretrainedNetwork.BackboneOf(network).parameters().Any(b => b.Handle == p.Handle)),
            "SAM perturbs only the head");
        var history = SamImageClassifierModel.FromTransformer(model).Info.TrainingHistory;
        Assert.IsLessThan(history[0].TrainLoss, history[^1].TrainLoss, "the head learns");
    }

    [TestMethod]
    public void FrozenBackboneStatisticsStayPretrainedWhileTheBackbonesWeightsLearn()
    {
        var (ml, _, _, data) = Images();
        using var original = SamImageClassifierModel.FromOnnxFile(OnnxFixtures.PathOf("resnet18-bn.onnx"));
        var before = PretrainedNetwork.BackboneOf(original.Network).state_dict();
        foreach (bool freeze in new[] { true, false })
        {
            var options = FineTune("resnet18-bn");
            options.FreezeBackboneStatistics = freeze;
            var after = PretrainedNetwork.BackboneOf(SamImageClassifierModel.FromTransformer(Pipeline(ml, options).Fit(data)).Network).state_dict();
            bool Same(string name) => after[name].equal(before[name]).all().item<bool>();
            var statistics = after.Keys.Where(k => k.EndsWith("running_mean", StringComparison.Ordinal) || k.EndsWith("running_var", StringComparison.Ordinal)).ToArray();
            var weights = after.Keys.Where(k => k.EndsWith("weight", StringComparison.Ordinal)).ToArray();
            Assert.IsNotEmpty(statistics, "the fixture has BatchNorm statistics");
            Assert.IsTrue(weights.All(k => !Same(k)), $"freeze {freeze}: every backbone weight learns");
            if (freeze)
                Assert.IsTrue(statistics.All(Same), "frozen statistics keep the file's values");
            else
                Assert.IsTrue(statistics.All(k => !Same(k)), "without the option, BatchNorm updates its running statistics");
        }
    }

    [TestMethod]
    public void AFineTuneStartsFromAHeadTrainedOnTheFrozenBackbone()
    {
        var (ml, _, _, data) = Images(16);
        var probe = FineTune("resnet18-bn");
        probe.FreezeBackbone = true;
        var probed = Pipeline(ml, probe).Fit(data);

        // A fine-tune from the probed model with a vanishing learning rate (and frozen statistics) is the probed model.
        var fineTune = FineTune("resnet18-bn");
        (fineTune.InitialModel, fineTune.FreezeBackboneStatistics, fineTune.Epochs, fineTune.LearningRate) = (probed, true, 1, 1e-12f);
        var tuned = Pipeline(ml, fineTune).Fit(data);
        float[][] Scores(ITransformer model) => ml.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).Select(p => p.Score).ToArray();
        var (expected, actual) = (Scores(probed), Scores(tuned));
        for (int i = 0; i < expected.Length; i++)
            Assert.IsLessThan(1e-5, OnnxFixtures.RelativeDifference(actual[i], expected[i]), $"row {i}: the fine-tune starts from the probed head and backbone");

        var other = FineTune("resnet18-bn");
        (other.InitialModel, other.InputNormalization) = (probed, null);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Pipeline(ml, other).Fit(data));
        StringAssert.Contains(error.Message, "InitialModel and this network differ in 'normalize.mean'");
        StringAssert.Contains(error.Message, "A warm start needs the same network");
    }

    [TestMethod]
    public void TheBackboneStepsAtItsScaleOfTheScheduledLearningRateAndTheHeadAtTheFullRate()
    {
        var settings = new TrainingSettings
        {
            PretrainedModelPath = OnnxFixtures.PathOf("mobilenetv2-folded.onnx"), BackboneLearningRateScale = 0.25f, BaseOptimizer = BaseOptimizer.Sgd,
            Momentum = 0, WeightDecay = 0, LearningRate = 1,
        };
        using var network = PretrainedNetwork.Create(settings, 3, Side, Side, Classes, _ => { });
        var groups = TrainableGroups.Of(network, settings);
        using var optimizer = BaseOptimizers.Create(groups, settings);
        optimizer.SetLearningRate(0.2); // what the schedule sets each step
        CollectionAssert.AreEqual(new[] { 0.2, 0.05 }, optimizer.Optimizer.ParamGroups.Select(g => Math.Round(g.LearningRate, 12)).ToArray());

        var backbone = PretrainedNetwork.BackboneOf(network).parameters().ToArray();
        Assert.AreEqual(network.parameters().Count(), groups.Sum(g => g.Parameters.Count), "every parameter in one group");
        network.train();
        manual_seed(5);
        using Tensor x = randn(4, 3, Side, Side);
        var before = network.parameters().Select(p => p.detach().clone()).ToArray();
        optimizer.Optimizer.zero_grad();
        nn.functional.cross_entropy(network.call(x), tensor(new long[] { 0, 1, 2, 3 })).backward();
        var gradients = network.parameters().Select(p => p.grad!.clone()).ToArray();
        optimizer.Optimizer.step();
        var parameters = network.parameters().ToArray();
        for (int i = 0; i < parameters.Length; i++)
        {
            double rate = backbone.Any(b => b.Handle == parameters[i].Handle) ? 0.05 : 0.2;
            // plain SGD: w ← w − lr·scale·g
            Assert.IsTrue(parameters[i].detach().allclose(before[i] - rate * gradients[i], rtol: 1e-5, atol: 1e-7), $"parameter {i}");
        }
    }

    [TestMethod]
    public void TwoFineTunedModelsInterpolate()
    {
        var (ml, _, _, data) = Images(16);
        var sgd = FineTune("mobilenetv2-folded");
        sgd.Optimizer = SharpnessOptimizer.Sgd;
        var modelA = Pipeline(ml, sgd).Fit(data);
        var modelB = Pipeline(ml, FineTune("mobilenetv2-folded")).Fit(data);
        var line = ml.MulticlassClassification.InterpolateModels(modelA, modelB, data, new LossLandscapeOptions { Points = 3, MaxRows = 16 });
        Assert.HasCount(3, line.Points);
        Assert.IsTrue(line.Points.All(p => double.IsFinite(p.Loss)));
    }
}
