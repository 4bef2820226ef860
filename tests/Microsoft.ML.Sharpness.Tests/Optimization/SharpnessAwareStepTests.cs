using Microsoft.ML.Sharpness.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Optimization;

[TestClass]
public sealed class SharpnessAwareStepTests
{
    internal const int Classes = 3, Inputs = 4, Rows = 10;
    private const double LearningRate = 0.5, Momentum = 0.9, WeightDecay = 0.01, Rho = 0.2, Eta = 0.05;

    [TestMethod]
    [DataRow(SharpnessOptimizer.Sgd, 0)]
    [DataRow(SharpnessOptimizer.Sam, 0)]
    [DataRow(SharpnessOptimizer.AdaptiveSam, 0)]
    [DataRow(SharpnessOptimizer.Sam, 4)]
    [DataRow(SharpnessOptimizer.AdaptiveSam, 3)]
    public void OneStepMatchesTheHandComputedUpdate(SharpnessOptimizer kind, int rowsPerPerturbation)
    {
        var (x, y) = Batch();
        using var model = SoftmaxModel(seed: 3);
        var reference = ReferenceOf(model);
        using var optimizer = optim.SGD(model.parameters(), LearningRate, Momentum, 0, WeightDecay);
        new SharpnessAwareStep(model, optimizer, kind, Rho, Eta, rowsPerPerturbation, labelSmoothing: 0).Step(Tensor(x), tensor(y.Select(v => (long)v).ToArray()));

        // Hand-computed: g₂ = Σⱼ (nⱼ/B)·∇L_j(w + εⱼ) over the sub-batches (one for plain SAM); SGD's first step with
        // momentum and weight decay is w − lr·(g₂ + λw).
        double[] w = reference.Flatten();
        double[] update = new double[w.Length];
        foreach (var (start, length) in SubBatches.Split(Rows, rowsPerPerturbation))
        {
            double[][] xs = x.Skip((int)start).Take((int)length).ToArray();
            int[] ys = y.Skip((int)start).Take((int)length).ToArray();
            double[] g = kind == SharpnessOptimizer.Sgd ? reference.Gradient(xs, ys)
                : reference.PerturbedGradient(xs, ys, Rho, kind == SharpnessOptimizer.AdaptiveSam ? Eta : null);
            for (int i = 0; i < g.Length; i++) update[i] += g[i] * length / Rows;
        }
        double[] expected = w.Select((wi, i) => wi - LearningRate * (update[i] + WeightDecay * wi)).ToArray();
        double[] actual = ReferenceOf(model).Flatten();
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], 2e-6, $"parameter {i}");
        // The step must have moved the weights by more than the tolerance, so the comparison means something.
        Assert.IsGreaterThan(1e-3, expected.Zip(w).Max(p => Math.Abs(p.First - p.Second)));
    }

    [TestMethod]
    public void APerturbationLimitedToSomeParametersTakesItsNormOverThemAlone()
    {
        var (x, y) = Batch();
        using var model = SoftmaxModel(seed: 3);
        var reference = ReferenceOf(model);
        using var optimizer = optim.SGD(model.parameters(), LearningRate);
        var bias = model.parameters().Last();
        new SharpnessAwareStep(model, optimizer, SharpnessOptimizer.Sam, Rho, Eta, 0, 0, perturbs: p => p.Handle == bias.Handle)
            .Step(Tensor(x), tensor(y.Select(v => (long)v).ToArray()));

        // Hand-computed: ε = ρ·g_b/‖g_b‖₂ on the bias only (the weight unmoved), then w ← w − lr·∇L(W, b + ε) for all parameters.
        double[] w = reference.Flatten(), g = reference.Gradient(x, y);
        int biasStart = Classes * Inputs;
        double norm = Math.Sqrt(g.Skip(biasStart).Sum(v => v * v));
        double[] perturbed = w.Select((wi, i) => i < biasStart ? wi : wi + Rho * g[i] / norm).ToArray();
        double[] g2 = SoftmaxRegression.FromFlat(perturbed, Classes, Inputs).Gradient(x, y);
        double[] actual = ReferenceOf(model).Flatten();
        for (int i = 0; i < w.Length; i++)
            Assert.AreEqual(w[i] - LearningRate * g2[i], actual[i], 2e-6, $"parameter {i}");
        double[] whole = reference.PerturbedGradient(x, y, Rho, adaptiveEta: null);
        Assert.IsGreaterThan(1e-4, whole.Zip(g2).Max(p => Math.Abs(p.First - p.Second)), "a different step from SAM over all parameters");
    }

    [TestMethod]
    public void SamAndSgdStepsDiffer()
    {
        var (x, y) = Batch();
        double[] AfterStep(SharpnessOptimizer kind)
        {
            using var model = SoftmaxModel(seed: 3);
            using var optimizer = optim.SGD(model.parameters(), LearningRate);
            new SharpnessAwareStep(model, optimizer, kind, Rho, Eta, 0, 0).Step(Tensor(x), tensor(y.Select(v => (long)v).ToArray()));
            return ReferenceOf(model).Flatten();
        }
        double difference = AfterStep(SharpnessOptimizer.Sgd).Zip(AfterStep(SharpnessOptimizer.Sam)).Max(p => Math.Abs(p.First - p.Second));
        Assert.IsGreaterThan(1e-4, difference);
    }

    [TestMethod]
    public void SecondPassLeavesBatchNormRunningStatisticsUntouched()
    {
        var (x, y) = Batch();
        using var sam = BatchNormModel(seed: 5);
        using var reference = BatchNormModel(seed: 5);
        using var optimizer = optim.SGD(sam.parameters(), LearningRate);
        new SharpnessAwareStep(sam, optimizer, SharpnessOptimizer.Sam, Rho, Eta, 0, 0).Step(Tensor(x), tensor(y.Select(v => (long)v).ToArray()));

        // One training-mode forward pass at the starting weights is all that may have reached the running statistics.
        reference.train();
        using (no_grad()) reference.forward(Tensor(x));
        var samNorm = (BatchNorm1d)sam[2];
        var referenceNorm = (BatchNorm1d)reference[2];
        CollectionAssert.AreEqual(referenceNorm.running_mean!.data<float>().ToArray(), samNorm.running_mean!.data<float>().ToArray());
        CollectionAssert.AreEqual(referenceNorm.running_var!.data<float>().ToArray(), samNorm.running_var!.data<float>().ToArray());
        Assert.AreEqual(1L, samNorm.num_batches_tracked!.item<long>());
        Assert.AreEqual(0.1, samNorm.momentum!.Value, 1e-12, "momentum restored after the second pass");

        // A second pass that did update them would have changed the mean: the test can tell.
        using (no_grad()) reference.forward(Tensor(x) * 2);
        CollectionAssert.AreNotEqual(referenceNorm.running_mean!.data<float>().ToArray(), samNorm.running_mean!.data<float>().ToArray());
    }

    [TestMethod]
    [DataRow(10, 0, "0+10")]
    [DataRow(10, 10, "0+10")]
    [DataRow(10, 4, "0+4 4+4 8+2")]
    [DataRow(9, 4, "0+4 4+5")]
    [DataRow(12, 3, "0+3 3+3 6+3 9+3")]
    public void SubBatchesSplitAsSpecified(int rows, int m, string expected)
    {
        string actual = string.Join(" ", SubBatches.Split(rows, m).Select(c => $"{c.Start}+{c.Length}"));
        Assert.AreEqual(expected, actual);
    }

    internal static (double[][] X, int[] Y) Batch()
    {
        var random = new Random(11);
        double[][] x = Enumerable.Range(0, Rows).Select(_ => Enumerable.Range(0, Inputs).Select(_ => random.NextDouble() * 2 - 1).ToArray()).ToArray();
        int[] y = Enumerable.Range(0, Rows).Select(i => i % Classes).ToArray();
        return (x, y);
    }

    internal static Tensor Tensor(double[][] x) =>
        tensor(x.SelectMany(r => r).Select(v => (float)v).ToArray(), new long[] { x.Length, 1, 2, 2 });

    internal static Sequential SoftmaxModel(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(Inputs, Classes)));
    }

    private static Sequential BatchNormModel(int seed)
    {
        manual_seed(seed);
        return nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(Inputs, Classes)), ("bn", nn.BatchNorm1d(Classes)));
    }

    internal static SoftmaxRegression ReferenceOf(Sequential model)
    {
        var linear = (Linear)model[1];
        float[] w = linear.weight!.data<float>().ToArray();
        var weight = new double[Classes, Inputs];
        for (int k = 0; k < Classes; k++)
            for (int d = 0; d < Inputs; d++) weight[k, d] = w[k * Inputs + d];
        return new SoftmaxRegression(weight, linear.bias!.data<float>().Select(v => (double)v).ToArray());
    }
}
