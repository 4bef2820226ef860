using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Landscape;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Landscape;

[TestClass]
public sealed class ModelConnectionTests
{
    private static MLContext ml = null!;
    private static IDataView data = null!;
    private static ITransformer first = null!;
    private static ITransformer second = null!;

    /// <summary>Two ConvNets from seeds 1 and 2 on noisy 4-class bands: different minima with a loss barrier on the line between them.</summary>
    [ClassInitialize]
    public static void TrainTwoModels(TestContext context)
    {
        ml = new MLContext(seed: 1);
        data = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(256, 4, seed: 3, noise: 1.5f));
        first = Trained(ImageClassifierArchitecture.ConvNet, seed: 1);
        second = Trained(ImageClassifierArchitecture.ConvNet, seed: 2);
    }

    private static ITransformer Trained(ImageClassifierArchitecture architecture, int seed) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                Architecture = architecture, Optimizer = SharpnessOptimizer.Sgd, Epochs = 8, BatchSize = 32, Seed = seed,
            }))
            .Fit(data);

    private static ModelConnection Connect(int epochs, int seed = 1, int points = 5) =>
        ml.MulticlassClassification.ConnectModels(first, second, data, new ModelConnectionOptions
        {
            Epochs = epochs, BatchSize = 32, LearningRate = 0.05, Seed = seed, Points = points,
        });

    private static void AssertSameState(ITransformer expected, SamImageClassifierTransformer actual, string what)
    {
        var want = SamImageClassifierModel.FromTransformer(expected).Network.state_dict();
        foreach (var (name, tensor) in actual.Model.Network.state_dict())
        {
            if (!tensor.is_floating_point()) continue;
            Assert.IsTrue(tensor.eq(want[name]).all().item<bool>(), $"{what}: '{name}' differs");
        }
    }

    [TestMethod]
    public void TheCurveStartsAtTheFirstModelAndEndsAtTheSecondExactly()
    {
        var connection = Connect(epochs: 1, points: 3);

        using var atStart = connection.ModelAt(0);
        using var atEnd = connection.ModelAt(1);
        AssertSameState(first, atStart, "t = 0");
        AssertSameState(second, atEnd, "t = 1");
        CollectionAssert.AreEqual(new[] { 0.0, 0.5, 1.0 }, connection.Curve.X.ToArray());
        Assert.AreEqual(connection.Line.At(0), connection.Curve.At(0), "t = 0 is the same network on the line and on the curve");
        Assert.AreEqual(connection.Line.At(2), connection.Curve.At(2));
        Assert.AreNotEqual(connection.Line.At(1).Loss, connection.Curve.At(1).Loss, "the trained bend moves the middle");

        var scored = atStart.Transform(ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data));
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        var own = ml.MulticlassClassification.Evaluate(first.Transform(data));
        Assert.AreEqual(own.LogLoss, metrics.LogLoss, 1e-5, "the model at t = 0 scores as the first model");
    }

    [TestMethod]
    public void TheModelInsideTheCurveScoresAsTheCurveWasEvaluatedAndTestRowsAndProgressAreReported()
    {
        var epochs = new List<TrainingEpochReport>();
        var test = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(64, 4, seed: 9, noise: 1.5f));
        var connection = ml.MulticlassClassification.ConnectModels(first, second, data, new ModelConnectionOptions
        {
            Epochs = 2, BatchSize = 32, LearningRate = 0.05, Points = 3, TestData = test, Progress = new Reports(epochs.Add),
        });

        Assert.AreEqual(2, epochs.Count);
        Assert.AreEqual(64, connection.TestCurve!.Rows);
        Assert.AreEqual(3, connection.TestLine!.Points.Count);
        var line = connection.Line.Points;
        Assert.AreEqual(line.Max(p => p.Loss) - (line[0].Loss + line[2].Loss) / 2, connection.LineLossBarrier, 1e-12, "max_t L(t) − (L(0) + L(1))/2");
        using var middle = connection.ModelAt(0.5, batchNormData: data);
        var scored = middle.Transform(ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data));
        Assert.AreEqual(connection.Curve.At(1).Loss, ml.MulticlassClassification.Evaluate(scored).LogLoss, 1e-4,
            "ONNX scoring of the model at t = 0.5, statistics recomputed from the same rows, gives the evaluated loss");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => connection.ModelAt(1.5));
    }

    [TestMethod]
    public void ACanceledContextStopsTheCurve()
    {
        ml.CancelExecution();
        Assert.ThrowsExactly<OperationCanceledException>(() => Connect(epochs: 1));
    }

    private sealed class Reports(Action<TrainingEpochReport> report) : IProgress<TrainingEpochReport>
    {
        public void Report(TrainingEpochReport value) => report(value);
    }

    [TestMethod]
    public void TheBendGetsTheGradientOfTheLossAtTheCurvePointScaledBy2t1MinusT()
    {
        // A logistic regression, where φ_θ(t) and the loss are written out and differentiated by autograd with respect to θ.
        manual_seed(5);
        using var network = nn.Sequential(("linear", nn.Linear(6, 3)));
        using var other = nn.Sequential(("linear", nn.Linear(6, 3)));
        using var path = new CurvePath(network, network.state_dict(), other.state_dict());
        using var scope = NewDisposeScope();
        Tensor bend = randn(path.First.shape[0]);
        Tensor images = randn(10, 6);
        Tensor labels = randint(0, 3, 10, dtype: int64);
        const double t = 0.3;

        var (gradient, loss, _) = CurveTraining.BendGradient(path, bend, t, images, labels);

        Tensor theta = bend.clone().requires_grad_();
        Tensor w = BezierCurve.At(path.First, theta, path.Second, t);
        Tensor logits = images.matmul(w.narrow(0, 0, 18).view(3, 6).t()) + w.narrow(0, 18, 3);
        Tensor expectedLoss = nn.functional.cross_entropy(logits, labels);
        Tensor expected = Gradients.Of(expectedLoss, new[] { theta })[0];
        Assert.AreEqual(expectedLoss.item<float>(), loss, 1e-6);
        Assert.IsTrue(gradient.allclose(expected, rtol: 1e-5, atol: 1e-7), $"largest difference {(gradient - expected).abs().max().item<float>()}");
    }

    [TestMethod]
    public void TheTrainedCurveAvoidsTheBarrierOfTheStraightLine()
    {
        var connection = Connect(epochs: 10, points: 11);

        double lineMax = connection.Line.Points.Max(p => p.Loss), curveMax = connection.Curve.Points.Max(p => p.Loss);
        string losses = $"line {string.Join(", ", connection.Line.Points.Select(p => p.Loss.ToString("F3")))}; curve {string.Join(", ", connection.Curve.Points.Select(p => p.Loss.ToString("F3")))}";
        Assert.IsTrue(connection.LineLossBarrier > 0.2, "the line between two seeds crosses a barrier: " + losses);
        Assert.IsTrue(curveMax < lineMax, "the curve's highest loss is below the line's: " + losses);
        Assert.IsTrue(connection.CurveLossBarrier < connection.LineLossBarrier / 2, losses);
        Assert.AreEqual(10, connection.TrainingHistory.Count);
    }

    [TestMethod]
    public void TheSameSeedTrainsTheSameCurve()
    {
        var once = Connect(epochs: 1, seed: 4, points: 3);
        var again = Connect(epochs: 1, seed: 4, points: 3);
        var otherSeed = Connect(epochs: 1, seed: 5, points: 3);

        CollectionAssert.AreEqual(once.Bend.ToArray(), again.Bend.ToArray());
        CollectionAssert.AreEqual(once.Curve.Points.ToArray(), again.Curve.Points.ToArray());
        CollectionAssert.AreNotEqual(once.Bend.ToArray(), otherSeed.Bend.ToArray());
    }

    [TestMethod]
    public void NetworksOfDifferentArchitecturesAreRefused()
    {
        var mlp = Trained(ImageClassifierArchitecture.Mlp, seed: 1);

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.ConnectModels(first, mlp, data, new ModelConnectionOptions { Epochs = 1 }));
        StringAssert.Contains(error.Message, "same architecture");
    }

    [TestMethod]
    public void ModelsOfOtherClassesAreRefused()
    {
        var renamed = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(256, 4, seed: 3, noise: 1.5f)
            .Select(row => new SyntheticImages.Row { Label = "other " + row.Label, Features = row.Features }));
        var other = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Optimizer = SharpnessOptimizer.Sgd, Epochs = 1, Seed = 1 }))
            .Fit(renamed);

        var error = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.ConnectModels(first, other, data, new ModelConnectionOptions { Epochs = 1 }));
        StringAssert.Contains(error.Message, "same classes");
    }

    [TestMethod]
    public void OptionsThatCannotTrainACurveAreRefused()
    {
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.ConnectModels(first, second, data, new ModelConnectionOptions { Points = 1 }));
        StringAssert.Contains(error.Message, "ModelConnectionOptions.Points");
    }
}
