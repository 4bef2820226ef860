using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Networks.Imported;
using Microsoft.ML.Sharpness.Trainer;
using Prediction = Microsoft.ML.Sharpness.Tests.Persistence.SaveLoadTests.Prediction;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Imported;

/// <summary>
/// A frozen backbone on unaugmented images runs once per image (<see cref="FrozenBackboneFeatures"/>): the features are the
/// backbone's output for each image on its own, and training the head on them gives the model that training through the backbone
/// at every step gives.
/// </summary>
[TestClass]
public sealed class FrozenBackboneFeaturesTests
{
    private const int Classes = 4, Side = 32;

    private static SamImageClassifierOptions Frozen(string model, SharpnessOptimizer optimizer, bool cache) => new()
    {
        PretrainedModelPath = OnnxFixtures.PathOf($"{model}.onnx"), InputNormalization = InputNormalization.ImageNet, FreezeBackbone = true,
        CacheBackboneFeatures = cache, Optimizer = optimizer, Epochs = 3, BatchSize = 8, NumberOfThreads = 1, ValidationFraction = 0.25f,
    };

    [TestMethod]
    [DataRow("resnet18-bn", SharpnessOptimizer.Sam)] // the Gemm's [N, F] input
    [DataRow("squeezenet-folded", SharpnessOptimizer.Sgd)] // no Gemm: [N, C, H, W] feature maps, pooled by the head
    public void TrainingTheHeadOnCachedFeaturesGivesTheModelThatTrainingThroughTheBackboneGives(string model, SharpnessOptimizer optimizer)
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { lock (messages) messages.Add(e.Message); };
        var rows = SyntheticImages.Rows(40, Classes, seed: 3, channels: 3, side: Side);
        var data = ml.Data.LoadFromEnumerable(rows, SyntheticImages.Schema(3, Side));
        var extra = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(12, Classes, seed: 8, channels: 3, side: Side), SyntheticImages.Schema(3, Side));
        SamImageClassifierTransformer Fit(bool cache)
        {
            var options = Frozen(model, optimizer, cache);
            var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data);
            options.AdditionalValidationSets = new Dictionary<string, IDataView> { ["extra"] = keys.Transform(extra) };
            return ml.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(keys.Transform(data));
        }

        var cached = SamImageClassifierModel.FromTransformer(Fit(cache: true));
        string[] passes = [.. messages.Where(m => m.Contains("Frozen backbone: computed its features once", StringComparison.Ordinal))];
        Assert.HasCount(2, passes, "one pass over the 40 rows that training and validation share, one over the additional set's 12");
        StringAssert.Contains(passes[0], "for 40 images");
        messages.Clear();
        var direct = SamImageClassifierModel.FromTransformer(Fit(cache: false));
        Assert.IsFalse(messages.Any(m => m.Contains("Frozen backbone", StringComparison.Ordinal)), "CacheBackboneFeatures = false runs the backbone every step");
        foreach (var (name, value) in direct.Network.state_dict())
            Assert.IsTrue(cached.Network.state_dict()[name].allclose(value, rtol: 1e-4, atol: 1e-6), $"'{name}' differs");
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var (a, b) = (cached.Info.TrainingHistory[epoch], direct.Info.TrainingHistory[epoch]);
            Assert.AreEqual(b.TrainLoss, a.TrainLoss, 1e-4 * b.TrainLoss, $"epoch {epoch + 1} training loss");
            Assert.AreEqual(b.ValidationLoss!.Value, a.ValidationLoss!.Value, 1e-4 * b.ValidationLoss.Value, $"epoch {epoch + 1} validation loss");
            Assert.AreEqual(b.AdditionalValidation!["extra"].Loss, a.AdditionalValidation!["extra"].Loss, 1e-4 * b.AdditionalValidation["extra"].Loss,
                $"epoch {epoch + 1} additional validation loss");
        }
        Assert.IsLessThan(cached.Info.TrainingHistory[0].TrainLoss, cached.Info.TrainingHistory[^1].TrainLoss, "the head learns");
    }

    [TestMethod]
    public void EachStoredImageGoesThroughTheBackboneOnceAndItsFeaturesAreTheBackbonesOutputForItAlone()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticImages.Rows(21, Classes, seed: 5, channels: 3, side: Side);
        var data = SyntheticImages.Keyed(ml, rows, SyntheticImages.Schema(3, Side));
        var columns = ImageColumns.Inspect(data.Schema, "Features", "Label");
        using var cache = DataCache.InMemory();
        using var images = ImageRowsLoader.Load(data, "Features", "Label", columns, cache, skipUnreadableImages: false, "test rows", _ => { });
        var settings = Frozen("resnet18-bn", SharpnessOptimizer.Sgd, cache: true);
        using var network = PretrainedNetwork.Create(settings, 3, Side, Side, Classes, _ => { });
        long imagesSeen = 0;
        var hook = PretrainedNetwork.BackboneOf(network).register_forward_hook((_, input, output) =>
        {
            imagesSeen += input.shape[0];
            return output;
        });
        var logged = new List<string>();
        using var features = new FrozenBackboneFeatures(network, batchSize: 8, CPU, cache, () => { }, logged.Add);

        var train = features.Of(new RowSet(images, [0, 2, 3, 5, 8, 13, 20]));
        var validation = features.Of(new RowSet(images, [1, 4, 6, 7]));
        Assert.AreEqual(21L, imagesSeen, "the training and validation rows share one pass over the stored images");
        hook.remove();
        Assert.AreSame(train.Rows, validation.Rows);
        CollectionAssert.AreEqual(new long[] { 1, 4, 6, 7 }, validation.Indices);
        CollectionAssert.AreEqual(images.Labels, train.Rows.Labels);
        Assert.HasCount(1, logged);

        using var stored = train.Rows.Gather(train.Rows.InOrder(), CPU);
        using var pixels = images.Gather(images.InOrder(), CPU);
        using (no_grad())
            for (long i = 0; i < images.Count; i++)
            {
                using Tensor alone = network.named_children().Where(c => c.name != PretrainedNetwork.Head)
                    .Aggregate(pixels[TensorIndex.Slice(i, i + 1)], (x, part) => ((nn.Module<Tensor, Tensor>)part.module).call(x));
                Assert.IsTrue(stored[TensorIndex.Slice(i, i + 1)].flatten().allclose(alone.flatten(), rtol: 1e-5, atol: 1e-6), $"row {i}");
            }
    }

    [TestMethod]
    public void AModelTrainedOnCachedFeaturesSavesLoadsAndScoresThroughItsWholeNetwork()
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticImages.Rows(24, Classes, seed: 3, channels: 3, side: Side);
        var schema = SyntheticImages.Schema(3, Side);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var options = Frozen("resnet18-bn", SharpnessOptimizer.Sam, cache: true);
        options.ValidationFraction = 0;
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.SamImageClassifier(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(data);
        var network = SamImageClassifierModel.FromTransformer(model).Network;
        using Tensor pixels = tensor(rows.SelectMany(r => r.Features).ToArray(), new long[] { rows.Length, 3, Side, Side });
        float[] expected;
        using (no_grad())
        using (Tensor logits = network.call(pixels))
            expected = nn.functional.softmax(logits, 1).data<float>().ToArray();

        string path = Path.Combine(Path.GetTempPath(), $"frozen-features-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loaded = new MLContext().Model.Load(path, out _);
            var scores = ml.Data.CreateEnumerable<Prediction>(loaded.Transform(data), reuseRowObject: false).SelectMany(p => p.Score).ToArray();
            Assert.HasCount(expected.Length, scores);
            for (int i = 0; i < scores.Length; i++)
                Assert.AreEqual(expected[i], scores[i], 1e-5, $"score {i}: the saved model is the whole network (preprocessing, backbone, trained head)");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
