using Microsoft.ML.Sharpness.Runtime;
using Microsoft.ML.Sharpness.Networks;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Landscape;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Landscape;

[TestClass]
public sealed class LossLandscapeTests
{
    private const int Rows = 96;

    private static (MLContext MlContext, ITransformer Model, IDataView Data) Trained(SharpnessOptimizer optimizer = SharpnessOptimizer.Sgd, int seed = 1)
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(SyntheticImages.Rows(128, 4, seed: 3));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                Optimizer = optimizer, Epochs = 2, BatchSize = 32, Seed = seed,
            }));
        return (ml, pipeline.Fit(data), data);
    }

    private static SharpnessMetrics LossOnly(MLContext ml, ITransformer model, IDataView data) =>
        ml.MulticlassClassification.EvaluateWithSharpness(model, data, new SharpnessEvaluationOptions { MaxRows = Rows, Measures = 0 });

    [TestMethod]
    public void TheRandomDirectionCurvePassesThroughTheModelAndLeavesItsWeightsAlone()
    {
        var (ml, model, data) = Trained();
        var before = LossOnly(ml, model, data);
        var curve = ml.MulticlassClassification.RandomDirectionLandscape(model, data, 1, new LossLandscapeOptions { MaxRows = Rows, Points = 5 });

        CollectionAssert.AreEqual(new[] { -1.0, -0.5, 0.0, 0.5, 1.0 }, curve.X.ToArray());
        Assert.AreEqual(0, curve.Y.Count);
        Assert.AreEqual(Rows, curve.Rows);
        Assert.AreEqual(before.Loss, curve.At(2).Loss, 1e-5, "x = 0 is the trained model");
        Assert.AreEqual(before.Accuracy, curve.At(2).Accuracy, 1e-9);
        Assert.IsTrue(curve.At(0).Loss > curve.At(2).Loss && curve.At(4).Loss > curve.At(2).Loss,
            $"a trained model sits in a valley along a full-norm direction: {string.Join(", ", curve.Points.Select(p => p.Loss.ToString("F3")))}");
        Assert.AreEqual(before.Loss, LossOnly(ml, model, data).Loss, 1e-7, "the weights are restored");
    }

    [TestMethod]
    public void EveryPointOfTheCurveIsTheLossOfTheWeightsMovedAlongTheFilterNormalizedDirection()
    {
        var (ml, model, data) = Trained();
        var curve = ml.MulticlassClassification.RandomDirectionLandscape(model, data, 1,
            new LossLandscapeOptions { MaxRows = Rows, Points = 5, From = -0.4, To = 0.4, Seed = 7 });

        var classifier = SamImageClassifierModel.FromTransformer(model);
        using var rows = EvaluationRows.Load(MLHost.Of(ml), model, classifier.Info, data, Rows, "test rows", out _);
        var surface = new NetworkLossSurface(classifier.Network, rows.Features, rows.Labels);
        using var generator = new Generator(7);
        using Tensor direction = FilterNormalizedDirection.Create(surface.NetworkWeights.Parameters, generator);
        foreach (var point in curve.Points)
        {
            using Tensor step = direction * point.X;
            Assert.AreEqual(surface.Loss(step), point.Loss, 1e-6, $"x = {point.X}");
        }
        Assert.AreEqual(surface.Loss(), curve.At(2).Loss, 1e-6);
    }

    [TestMethod]
    public void EachFilterOfTheDirectionHasTheNormOfItsWeightFilterAndBiasesDoNotMove()
    {
        var (_, model, _) = Trained();
        var parameters = new NetworkWeights(SamImageClassifierModel.FromTransformer(model).Network).Parameters;
        using var generator = new Generator(3);
        using Tensor direction = FilterNormalizedDirection.Create(parameters, generator);
        long offset = 0;
        int filtersChecked = 0;
        foreach (var p in parameters)
        {
            Tensor d = direction.narrow(0, offset, p.numel()).view(p.shape);
            offset += p.numel();
            if (p.dim() < 2)
            {
                Assert.AreEqual(0f, d.abs().max().item<float>(), "biases and BatchNorm parameters stay put");
                continue;
            }
            var weightNorms = p.detach().flatten(1).norm(1).data<float>().ToArray();
            var directionNorms = d.flatten(1).norm(1).data<float>().ToArray();
            for (int j = 0; j < weightNorms.Length; j++, filtersChecked++)
                Assert.AreEqual(weightNorms[j], directionNorms[j], 1e-4 * weightNorms[j]);
        }
        Assert.AreEqual(direction.shape[0], offset);
        Assert.IsTrue(filtersChecked > 100);
    }

    [TestMethod]
    public void TheMiddleRowOfTheSurfaceIsTheCurveAlongTheFirstDirection()
    {
        var (ml, model, data) = Trained();
        var options = new LossLandscapeOptions { MaxRows = Rows, Points = 5, Seed = 4 };
        var curve = ml.MulticlassClassification.RandomDirectionLandscape(model, data, 1, options);
        var surface = ml.MulticlassClassification.RandomDirectionLandscape(model, data, 2, options);

        Assert.AreEqual(25, surface.Points.Count);
        Assert.IsTrue(surface.IsTwoDimensional);
        for (int i = 0; i < 5; i++)
        {
            Assert.AreEqual(curve.At(i).Loss, surface.At(i, 2).Loss, 1e-6);
            Assert.AreEqual(surface.X[i], surface.At(i, 3).X);
            Assert.AreEqual(0.5, surface.At(i, 3).Y);
        }
        Assert.AreNotEqual(surface.At(0, 2).Loss, surface.At(2, 0).Loss, "the second direction is another direction");
        StringAssert.StartsWith(surface.ToCsv(), "x,y,loss,accuracy\n");
        Assert.AreEqual(26, surface.ToCsv().TrimEnd('\n').Split('\n').Length);
    }

    [TestMethod]
    public void InterpolationWithBlendedStatisticsStartsAtTheFirstModelAndEndsAtTheSecond()
    {
        var (ml, sgd, data) = Trained(SharpnessOptimizer.Sgd);
        var (_, sam, _) = Trained(SharpnessOptimizer.Sam, seed: 2);
        var line = ml.MulticlassClassification.InterpolateModels(sgd, sam, data,
            new LossLandscapeOptions { MaxRows = Rows, Points = 4, From = 0, To = 1, BatchNorm = BatchNormAtInterpolation.Interpolate });

        Assert.AreEqual(LossOnly(ml, sgd, data).Loss, line.At(0).Loss, 1e-5);
        Assert.AreEqual(LossOnly(ml, sam, data).Loss, line.At(3).Loss, 1e-5);
        Assert.IsTrue(line.Points.Max(p => p.Loss) > Math.Max(line.At(0).Loss, line.At(3).Loss),
            "two networks trained from different seeds are separated by a barrier: " + string.Join(", ", line.Points.Select(p => p.Loss.ToString("F3"))));
    }

    [TestMethod]
    public void RecomputedStatisticsMakeTheLineFromAModelToItselfFlat()
    {
        var (ml, model, data) = Trained();
        var line = ml.MulticlassClassification.InterpolateModels(model, model, data, new LossLandscapeOptions { MaxRows = Rows, Points = 4 });
        CollectionAssert.AreEqual(new[] { -1.0, 0.0, 1.0, 2.0 }, line.X.ToArray());
        foreach (var point in line.Points)
            Assert.AreEqual(line.At(0).Loss, point.Loss, 1e-6);
        Assert.AreNotEqual(LossOnly(ml, model, data).Loss, line.At(1).Loss, "the statistics of the evaluated rows replace the running statistics");
    }

    [TestMethod]
    public void BadOptionsAndMismatchedModelsAreRejectedByName()
    {
        var (ml, model, data) = Trained();
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.RandomDirectionLandscape(model, data, 1, new LossLandscapeOptions { Points = 1 }));
        StringAssert.Contains(error.Message, "LossLandscapeOptions.Points is 1");
        error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.RandomDirectionLandscape(model, data, 1, new LossLandscapeOptions { From = 1, To = -1 }));
        StringAssert.Contains(error.Message, "above From");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.RandomDirectionLandscape(model, data, 3));

        var mlp = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
            {
                Architecture = ImageClassifierArchitecture.Mlp, Epochs = 1, BatchSize = 32,
            })).Fit(data);
        var mismatch = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.InterpolateModels(model, mlp, data));
        StringAssert.Contains(mismatch.Message, "same shape");
    }
}
