using Google.Protobuf;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Networks.Imported;
using Microsoft.ML.Sharpness.Onnx.Proto;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Imported;

/// <summary>
/// ML.NET's ImageNet ResNet-18 (the Microsoft.ML.DnnImageFeaturizer.ResNet18 package, which this project references) as a
/// pretrained backbone: its features against ML.NET's own DnnFeaturizeImage on the same colour images, and fine-tuning it.
/// </summary>
[TestClass]
public sealed class ResNet18ImageNetTests
{
    private const int Side = 224;

    private sealed class IndexRow
    {
        [LoadColumn(0)] public string ImagePath { get; set; } = "";
        [LoadColumn(1)] public string Label { get; set; } = "";
    }

    private sealed class PixelsRow
    {
        [VectorType(3, Side, Side)] public float[] Pixels { get; set; } = [];
    }

    private sealed class FeaturesRow
    {
        public float[] Features { get; set; } = [];
    }

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }

    /// <summary>Colour shapes (5 classes, 2 images each) at 24 px, written to a fresh folder, as ExtractPixels' default pixels of 224×224 images.</summary>
    private static (MLContext Ml, IDataView Pixels, string Folder) ColourImages()
    {
        string folder = Directory.CreateTempSubdirectory("resnet18-").FullName;
        ColorShapesDataset.Write(folder, trainPerClass: 2, testPerClass: 1, imageSize: 24, seed: 7);
        var ml = new MLContext(seed: 1);
        var index = ml.Data.LoadFromTextFile<IndexRow>(Path.Combine(folder, "train.tsv"), separatorChar: '\t', hasHeader: true);
        var pixels = ml.Transforms.LoadImages("Image", folder, "ImagePath")
            .Append(ml.Transforms.ResizeImages("Image", Side, Side))
            .Append(ml.Transforms.ExtractPixels("Pixels", "Image"))
            .Fit(index).Transform(index);
        return (ml, ml.Data.Cache(pixels), folder);
    }

    [TestMethod]
    public void ThePackagesFilesAreFoundByName()
    {
        Assert.IsTrue(File.Exists(PretrainedModels.ResNet18ImageNet));
        Assert.IsTrue(File.Exists(PretrainedModels.ResNet18ImageNetPreprocessing));
        StringAssert.EndsWith(PretrainedModels.ResNet18ImageNet, Path.Combine("DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"));
    }

    [TestMethod]
    public void AMissingPackageFileNamesThePackageToAdd()
    {
        var error = Assert.ThrowsExactly<FileNotFoundException>(() => PretrainedModels.Find(Path.Combine("DnnImageModels", "NoSuchNet", "Net.onnx"), "Some.Package"));
        StringAssert.Contains(error.Message, "dotnet add package Some.Package");
        StringAssert.Contains(error.Message, Path.Combine("DnnImageModels", "NoSuchNet", "Net.onnx"));
    }

    [TestMethod]
    public void AHeadlessModelImportsAsAFeatureExtractorNotAs512Classes()
    {
        using var model = SamImageClassifierModel.FromOnnxFile(PretrainedModels.ResNet18ImageNet);
        Assert.IsTrue(model.Info.IsFeatureExtractor);
        Assert.AreEqual(512, model.Info.FeatureLength);
        Assert.IsEmpty(model.Info.ClassNames);
        Assert.AreEqual((3, 224, 224), (model.Info.Channels, model.Info.Height, model.Info.Width));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => model.PredictProbabilities(zeros(1, 3, Side, Side))).Message, "feature extractor");

        using var batch = rand(3, 3, Side, Side).mul(255);
        using var features = model.Network.forward(batch);
        CollectionAssert.AreEqual(new long[] { 3, 512, 1, 1 }, features.shape, "the file's batch size of 1 runs any batch");
    }

    [TestMethod]
    public void PreprocessingAndBackboneGiveMLNetsDnnFeaturizerFeatures()
    {
        var (ml, pixels, folder) = ColourImages();
        try
        {
            // ML.NET's recipe: DnnFeaturizeImage(ResNet18) runs the package's preprocessing and network in ONNX Runtime.
            var recipe = ml.Transforms.DnnFeaturizeImage("Features", m => m.ModelSelector.ResNet18(ml, m.OutputColumn, m.InputColumn), "Pixels").Fit(pixels).Transform(pixels);
            var expected = ml.Data.CreateEnumerable<FeaturesRow>(recipe, reuseRowObject: false).Select(r => r.Features).ToArray();
            var images = ml.Data.CreateEnumerable<PixelsRow>(pixels, reuseRowObject: false).Select(r => r.Pixels).ToArray();

            var settings = new TrainingSettings
            {
                PretrainedModelPath = PretrainedModels.ResNet18ImageNet, PretrainedPreprocessingPath = PretrainedModels.ResNet18ImageNetPreprocessing, FreezeBackbone = true,
            };
            using var network = PretrainedNetwork.Create(settings, 3, Side, Side, classes: 5, _ => { });
            var preprocess = network.named_children().Single(c => c.name == PretrainedNetwork.Preprocess).module as nn.Module<Tensor, Tensor>;
            var backbone = PretrainedNetwork.BackboneOf(network);
            using var noGrad = no_grad();
            using var input = tensor(images.SelectMany(i => i).ToArray(), new long[] { images.Length, 3, Side, Side });
            using var features = backbone.call(preprocess!.call(input)).flatten(1);
            Assert.HasCount(10, expected);
            double worst = 0;
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.HasCount(512, expected[i]);
                float[] actual = features[i].data<float>().ToArray();
                double scale = expected[i].Max(Math.Abs), error = expected[i].Zip(actual, (e, a) => Math.Abs(e - a)).Max();
                Assert.IsGreaterThan(0.1, scale, "real features, not zeros");
                Assert.IsLessThanOrEqualTo(1e-4, error / scale, $"image {i}: max |SharpnessML − ML.NET| = {error:G3} of max |feature| = {scale:G3}");
                worst = Math.Max(worst, error / scale);
            }
            Console.WriteLine($"Largest relative difference from ML.NET's features over {expected.Length} images: {worst:G3}");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void AFineTunedResNet18WithItsPreprocessingSavesLoadsAndScoresThroughOnnx()
    {
        var (ml, pixels, folder) = ColourImages();
        string path = Path.Combine(folder, "model.zip"), onnx = Path.Combine(folder, "model.onnx");
        try
        {
            var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(pixels).Transform(pixels);
            var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                FeatureColumnName = "Pixels", PretrainedModelPath = PretrainedModels.ResNet18ImageNet, PretrainedPreprocessingPath = PretrainedModels.ResNet18ImageNetPreprocessing,
                Epochs = 2, BatchSize = 4, NumberOfThreads = 2, LearningRate = 0.01f, BackboneLearningRateScale = 0.1f,
            }).Fit(data);
            var scored = model.Transform(data);
            float[][] fresh = ml.Data.CreateEnumerable<ScoreRow>(scored, reuseRowObject: false).Select(p => p.Score).ToArray();
            Assert.IsTrue(fresh.All(s => s.Length == 5), "a new 5-class head");

            ml.Model.Save(model, data.Schema, path);
            var context = new MLContext();
            var loaded = context.Model.Load(path, out var schema);
            var loadedScores = context.Data.CreateEnumerable<ScoreRow>(loaded.Transform(data), reuseRowObject: false).Select(p => p.Score).ToArray();
            for (int i = 0; i < fresh.Length; i++)
                CollectionAssert.AreEqual(fresh[i], loadedScores[i], $"row {i}: the loaded model scores as the trained one");

            using var rebuilt = SamImageClassifierModel.FromTransformer(loaded);
            CollectionAssert.AreEqual(new[] { PretrainedNetwork.Preprocess, PretrainedNetwork.Backbone, PretrainedNetwork.Head },
                rebuilt.Network.named_children().Select(c => c.name).ToArray(), "the preprocessing is part of the saved network");
            rebuilt.ExportOnnx(onnx);
            var images = ml.Data.CreateEnumerable<PixelsRow>(pixels, reuseRowObject: false).Take(3).Select(r => r.Pixels).ToArray();
            using var input = tensor(images.SelectMany(i => i).ToArray(), new long[] { images.Length, 3, Side, Side });
            float[] runtime = OnnxFixtures.RuntimeOutput(onnx, input);
            using var logits = rebuilt.Network.call(input);
            Assert.IsLessThan(1e-4, OnnxFixtures.RelativeDifference(logits.data<float>().ToArray(), runtime), "the exported ONNX (preprocessing included) computes the network");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    [DataRow(3, 32, "takes 3×224×224 images; the feature column holds 3×32×32")]
    [DataRow(1, 224, "takes 3×224×224 images; the feature column holds 1×224×224")]
    public void ImagesThePretrainedModelDoesNotTakeAreRefusedSayingWhatItNeeds(int channels, int side, string expected)
    {
        foreach (string? preprocessing in new[] { null, PretrainedModels.ResNet18ImageNetPreprocessing })
        {
            var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Fit(channels, side, preprocessing));
            StringAssert.Contains(error.Message, expected);
            StringAssert.Contains(error.Message, "ResizeImages");
        }
    }

    [TestMethod]
    public void APreprocessingGraphWhoseOutputDoesNotFitTheBackboneIsRefused()
    {
        // The package's preprocessing with only two of its three split channels concatenated: [2, 224, 224] per image.
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(PretrainedModels.ResNet18ImageNetPreprocessing));
        var concat = model.Graph.Node.Single(n => n.OpType == "Concat");
        concat.Input.RemoveAt(0);
        var mean = model.Graph.Initializer.Single(i => i.Dims.Count == 4);
        var twoChannels = new TensorProto { Name = mean.Name, DataType = mean.DataType, Dims = { 1, 2, Side, Side } };
        twoChannels.FloatData.Add(Enumerable.Repeat(100f, 2 * Side * Side));
        model.Graph.Initializer.Remove(mean);
        model.Graph.Initializer.Add(twoChannels);
        string path = Path.Combine(Path.GetTempPath(), $"two-channel-preprocess-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        try
        {
            var error = Assert.ThrowsExactly<ArgumentException>(() => Fit(3, Side, path));
            StringAssert.Contains(error.Message, "turns 3×224×224 images into [2, 224, 224] per image");
            StringAssert.Contains(error.Message, "takes 3×224×224 images");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void APreprocessingGraphWithoutAPretrainedModelIsRefused()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            PretrainedPreprocessingPath = PretrainedModels.ResNet18ImageNetPreprocessing,
        }));
        StringAssert.Contains(error.Message, "expected its default with PretrainedModelPath null");
    }

    [TestMethod]
    public void FineTuningMLNetsResNet18WithoutItsPreprocessingSaysSo()
    {
        foreach (string? preprocessing in new[] { null, PretrainedModels.ResNet18ImageNetPreprocessing })
        {
            var ml = new MLContext(seed: 1);
            var messages = new List<string>();
            ml.Log += (_, e) => { if (e.Source == "SamImageClassifier") lock (messages) messages.Add(e.Message); };
            var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(4, 2, seed: 1, channels: 3, side: Side), SyntheticImages.Schema(3, Side));
            ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                PretrainedModelPath = PretrainedModels.ResNet18ImageNet, PretrainedPreprocessingPath = preprocessing, FreezeBackbone = true,
                Epochs = 1, NumberOfThreads = 1,
            }).Fit(data);
            bool warned = messages.Any(m => m.Contains("ML.NET's ImageNet ResNet-18, which was trained on preprocessed images", StringComparison.Ordinal)
                && m.Contains("PretrainedPreprocessingPath = PretrainedModels.ResNet18ImageNetPreprocessing", StringComparison.Ordinal));
            Assert.AreEqual(preprocessing is null, warned, $"preprocessing {preprocessing ?? "none"}: {string.Join(" | ", messages)}");
        }
    }

    private static void Fit(int channels, int side, string? preprocessing)
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(4, 2, seed: 1, channels: channels, side: side), SyntheticImages.Schema(channels, side));
        ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            PretrainedModelPath = PretrainedModels.ResNet18ImageNet, PretrainedPreprocessingPath = preprocessing, Epochs = 1, NumberOfThreads = 1,
        }).Fit(data);
    }
}
