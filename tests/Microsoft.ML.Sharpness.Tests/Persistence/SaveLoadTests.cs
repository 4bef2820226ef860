using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Persistence;

[TestClass]
public sealed class SaveLoadTests
{
    public sealed class Prediction
    {
        public float[] Score { get; set; } = Array.Empty<float>();
        public string PredictedLabel { get; set; } = "";
    }

    [TestMethod]
    [DataRow(ImageClassifierArchitecture.ConvNet, 1, 8, 64)]
    [DataRow(ImageClassifierArchitecture.Mlp, 1, 8, 64)]
    [DataRow(ImageClassifierArchitecture.ResNet, 1, 8, 64)]
    [DataRow(ImageClassifierArchitecture.ResNet18, 3, 16, 16)] // the 3×3 stem; few rows for ResNet-18's cost
    [DataRow(ImageClassifierArchitecture.ResNet18, 3, 64, 16)] // the 7×7/2 stem and padded max-pool
    [DataRow(ImageClassifierArchitecture.WideResNet, 3, 16, 64)]
    public void SavedPipelineLoadsInAFreshContextAndScoresIdentically(ImageClassifierArchitecture architecture, int channels, int side, int count)
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticImages.Rows(count, 4, seed: 2, channels: channels, side: side);
        var schema = SyntheticImages.Schema(channels, side);
        var data = ml.Data.LoadFromEnumerable(rows, schema);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                // WRN-10-1: its first block has the identity shortcut
                Architecture = architecture, ResNetBlocksPerStage = 1, WideResNetDepth = 10, WideResNetWidth = 1, Epochs = 2, BatchSize = 16, NumberOfThreads = 1,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        float[][] fresh = Scores(model.Transform(data));

        string path = Path.Combine(Path.GetTempPath(), $"sam-{architecture}-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, data.Schema, path);
            var loadingContext = new MLContext();
            var loaded = loadingContext.Model.Load(path, out var inputSchema);
            Assert.AreEqual("Features", inputSchema["Features"].Name);

            var loadedData = loadingContext.Data.LoadFromEnumerable(rows, schema);
            float[][] viaTransform = Scores(loaded.Transform(loadedData));
            var engine = loadingContext.Model.CreatePredictionEngine<SyntheticImages.Row, Prediction>(loaded, inputSchemaDefinition: schema);
            for (int i = 0; i < rows.Length; i++)
            {
                CollectionAssert.AreEqual(fresh[i], viaTransform[i], $"row {i} via Transform");
                var prediction = engine.Predict(rows[i]);
                CollectionAssert.AreEqual(fresh[i], prediction.Score, $"row {i} via PredictionEngine");
                Assert.AreEqual($"class{Array.IndexOf(prediction.Score, prediction.Score.Max())}", prediction.PredictedLabel, "the predicted label is the most probable class's name");
            }
            using var rebuilt = SamImageClassifierModel.FromTransformer(loaded);
            Assert.AreEqual(SamImageClassifierModel.FromTransformer(model).Info.NetworkShape, rebuilt.Info.NetworkShape, "the saved description rebuilds the same network");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void LoadedModelRebuildsTheNetworkWithIdenticalWeightsAndDescription()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(48, 3, seed: 4));
        var trained = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Epochs = 2, BatchSize = 16, Rho = 0.1f, NumberOfThreads = 1 }).Fit(data);

        using var stream = new MemoryStream();
        ml.Model.Save(trained, data.Schema, stream);
        stream.Position = 0;
        var loaded = new MLContext().Model.Load(stream, out _);
        using var rebuilt = SamImageClassifierModel.FromTransformer(loaded);

        var original = trained.Model.Network.state_dict();
        foreach (var (name, tensor) in rebuilt.Network.state_dict())
        {
            if (name.EndsWith("num_batches_tracked")) continue;
            CollectionAssert.AreEqual(original[name].data<float>().ToArray(), tensor.data<float>().ToArray(), name);
        }
        var info = rebuilt.Info;
        Assert.AreEqual(ImageClassifierArchitecture.ConvNet, info.Training.Architecture);
        Assert.AreEqual((1, 8, 8), (info.Channels, info.Height, info.Width));
        CollectionAssert.AreEqual(new[] { "class0", "class1", "class2" }, info.ClassNames.ToArray());
        Assert.AreEqual(SharpnessOptimizer.Sam, info.Training.Optimizer);
        Assert.AreEqual(0.1f, info.Training.Rho);
        Assert.HasCount(2, info.TrainingHistory);
        Assert.AreEqual(trained.TrainingHistory[1], info.TrainingHistory[1]);
    }

    [TestMethod]
    [DataRow(ImageClassifierArchitecture.ConvNet, 1, 8, 40)]
    [DataRow(ImageClassifierArchitecture.Mlp, 1, 8, 40)]
    [DataRow(ImageClassifierArchitecture.ResNet, 1, 8, 40)]
    [DataRow(ImageClassifierArchitecture.ResNet18, 3, 16, 16)]
    [DataRow(ImageClassifierArchitecture.ResNet18, 3, 64, 16)]
    [DataRow(ImageClassifierArchitecture.WideResNet, 3, 16, 40)]
    public void OnnxScoresMatchTorchSharpScores(ImageClassifierArchitecture architecture, int channels, int side, int count)
    {
        var ml = new MLContext(seed: 1);
        var rows = SyntheticImages.Rows(count, 4, seed: 6, channels: channels, side: side);
        var data = SyntheticImages.Keyed(ml, rows, SyntheticImages.Schema(channels, side));
        var trained = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            // the wide ResNet with dropout, which its ONNX graph (inference) leaves out
            Architecture = architecture, ResNetBlocksPerStage = 1, WideResNetDepth = 10, WideResNetWidth = 2, WideResNetDropout = 0.3f,
            Epochs = 2, BatchSize = 8, NumberOfThreads = 1,
        }).Fit(data);

        float[][] onnx = Scores(trained.Transform(data));
        using var images = tensor(rows.SelectMany(r => r.Features).ToArray(), new long[] { rows.Length, channels, side, side });
        using var probabilities = trained.Model.PredictProbabilities(images);
        float[] torch = probabilities.data<float>().ToArray();
        double maxDifference = 0;
        for (int i = 0; i < rows.Length; i++)
            for (int k = 0; k < 4; k++)
                maxDifference = Math.Max(maxDifference, Math.Abs(onnx[i][k] - torch[i * 4 + k]));
        Assert.IsLessThan(1e-5, maxDifference);
    }

    [TestMethod]
    public void TruncatedOrCorruptedModelFilesFailWithAnException()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(32, 2, seed: 8));
        var trained = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Epochs = 1, BatchSize = 16 }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(trained, data.Schema, stream);
        byte[] bytes = stream.ToArray();

        var truncated = Assert.ThrowsExactly<FormatException>(() => new MLContext().Model.Load(new MemoryStream(bytes[..(bytes.Length / 2)]), out _));
        StringAssert.Contains(truncated.Message, "zip archive");
        var corrupted = new MemoryStream();
        corrupted.Write(bytes);
        using (var zip = new System.IO.Compression.ZipArchive(corrupted, System.IO.Compression.ZipArchiveMode.Update, leaveOpen: true))
        {
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("OnnxModel"));
            byte[] onnx;
            using (var reader = new MemoryStream()) { using (var s = entry.Open()) s.CopyTo(reader); onnx = reader.ToArray(); }
            Array.Fill(onnx, (byte)0xFF, 4, onnx.Length / 2);
            using var writer = entry.Open();
            writer.SetLength(0);
            writer.Write(onnx);
        }
        corrupted.Position = 0;
        Assert.Throws<Exception>(() => new MLContext().Model.Load(corrupted, out _));

        var onnxError = Assert.ThrowsExactly<InvalidDataException>(() => SamImageClassifierModel.FromOnnx(trained.Model.OnnxModel[..(trained.Model.OnnxModel.Length - 100)]));
        StringAssert.Contains(onnxError.Message, "corrupted or truncated");
    }

    internal static float[][] Scores(IDataView scored) =>
        scored.GetColumn<float[]>("Score").ToArray();
}
