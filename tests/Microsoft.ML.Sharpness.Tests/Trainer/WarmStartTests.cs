using Microsoft.ML.Sharpness.Networks;

namespace Microsoft.ML.Sharpness.Tests.Trainer;

[TestClass]
public sealed class WarmStartTests
{
    private static SamImageClassifierTransformer Fit(MLContext ml, IDataView data, SamImageClassifierOptions options) =>
        ml.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(data);

    private static float[] Weights(ITransformer model) =>
        new NetworkWeights(SamImageClassifierModel.FromTransformer(model).Network).Flatten().data<float>().ToArray();

    [TestMethod]
    public void TrainingStartsFromTheInitialModelsWeights()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(64, 4, seed: 2));
        var first = Fit(ml, data, new SamImageClassifierOptions { Optimizer = SharpnessOptimizer.Sgd, Epochs = 2, BatchSize = 32 });
        // A step of learning rate 1e-9 with no momentum or decay barely moves the weights: the second model is the first.
        var tiny = new SamImageClassifierOptions { Optimizer = SharpnessOptimizer.Sgd, Epochs = 1, BatchSize = 32, LearningRate = 1e-9f, Momentum = 0, WeightDecay = 0, Seed = 9 };
        tiny.InitialModel = first;
        var warm = Fit(ml, data, tiny);
        tiny.InitialModel = null;
        var cold = Fit(ml, data, tiny);

        float[] start = Weights(first), warmWeights = Weights(warm), coldWeights = Weights(cold);
        Assert.AreEqual(0, start.Zip(warmWeights, (a, b) => Math.Abs(a - b)).Max(), 1e-6);
        Assert.IsTrue(start.Zip(coldWeights, (a, b) => Math.Abs(a - b)).Max() > 0.01, "without a warm start the weights are a fresh initialization");
    }

    [TestMethod]
    public void AnInitialModelOfAnotherShapeIsRejectedWithBothShapes()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(64, 4, seed: 2));
        var mlp = Fit(ml, data, new SamImageClassifierOptions { Architecture = ImageClassifierArchitecture.Mlp, Epochs = 1, BatchSize = 32 });
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            Fit(ml, data, new SamImageClassifierOptions { Epochs = 1, BatchSize = 32, InitialModel = mlp }));
        StringAssert.Contains(error.Message, "InitialModel is a Mlp for 1×8×8 images and 4 classes");
        StringAssert.Contains(error.Message, "builds a ConvNet");
    }
}
