using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Tests.Evaluation;
using Microsoft.ML.Sharpness.Trainer;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Tests.Trainer;

/// <summary>Each of the monitor's measures against a direct computation on a tiny smooth network over 1×2×2 images: the dense Hessian, closed forms, per-row gradients.</summary>
[TestClass]
public sealed class SharpnessMonitorMeasureTests
{
    private const int Seed = 4;

    private static ImageRows Load(int count)
    {
        var ml = new MLContext();
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(count, 2, seed: 6, noise: 1f, side: 2), SyntheticImages.Schema(1, 2));
        var columns = ImageColumns.Inspect(data.Schema, "Features", "Label");
        return ImageRowsLoader.Load(data, "Features", "Label", columns, DataCache.InMemory(), skipUnreadableImages: false, "test rows", _ => { });
    }

    /// <summary>4 → 5 (tanh) → 2 on the flattened image: 37 parameters.</summary>
    private static Sequential Network()
    {
        manual_seed(3);
        return Sequential(("flatten", Flatten()), ("fc1", Linear(4, 5)), ("tanh", Tanh()), ("fc2", Linear(5, 2)));
    }

    private static (Tensor Images, Tensor Labels) All(ImageRows rows) => (rows.Gather(rows.InOrder(), CPU), rows.GatherLabels(rows.InOrder(), CPU));

    [TestMethod]
    public void WarmStartedPowerIterationsConvergeToTheDenseHessiansTopEigenvalue()
    {
        using var rows = Load(24);
        var network = Network();
        var (images, labels) = All(rows);
        Tensor eigenvalues = linalg.eigvalsh(TinyNetworks.DenseHessian(network, images, labels));
        double top = eigenvalues.abs().max().item<double>() * Math.Sign(eigenvalues[eigenvalues.abs().argmax()].item<double>());
        using var monitor = new SharpnessMonitor(new SharpnessMonitorOptions { Rows = 100, PowerIterations = 3, NoisePairs = 0 }, network, RowSet.All(rows), CPU, Seed);
        Assert.AreEqual(24L, monitor.Rows, "a sample larger than the data takes every row");
        var snapshots = Enumerable.Range(0, 40).Select(i => monitor.Measure(1, i, 0.1, i)).ToArray();
        Assert.AreEqual(top, snapshots[^1].TopEigenvalue, 1e-3 * Math.Abs(top), "each snapshot carries on from the last one's vector: 120 iterations in all");
        Assert.IsGreaterThan(Math.Abs(top - snapshots[^1].TopEigenvalue), Math.Abs(top - snapshots[0].TopEigenvalue), "three iterations alone are not there yet");
    }

    [TestMethod]
    public void LossWeightNormAndSamSharpnessMatchTheirDirectComputation()
    {
        using var rows = Load(20);
        var network = Network();
        var (images, labels) = All(rows);
        const float rho = 0.3f;
        using var monitor = new SharpnessMonitor(new SharpnessMonitorOptions { Rows = 20, Rho = rho, PowerIterations = 1, NoisePairs = 0 }, network, RowSet.All(rows), CPU, Seed);
        var snapshot = monitor.Measure(1, 0, 0.1, 0);

        var parameters = network.parameters().ToArray();
        network.eval();
        Tensor loss = functional.cross_entropy(network.call(images), labels);
        var gradients = autograd.grad(new[] { loss }, parameters);
        double gradientNorm = Math.Sqrt(gradients.Sum(g => g.pow(2).sum().item<float>()));
        double weightNorm = Math.Sqrt(parameters.Sum(p => p.detach().pow(2).sum().item<float>()));
        double perturbed;
        using (no_grad())
        {
            for (int i = 0; i < parameters.Length; i++) parameters[i].add_(gradients[i].mul(rho / gradientNorm));
            perturbed = functional.cross_entropy(network.call(images), labels).item<float>();
            for (int i = 0; i < parameters.Length; i++) parameters[i].sub_(gradients[i].mul(rho / gradientNorm));
        }
        Assert.AreEqual(loss.item<float>(), snapshot.Loss, 1e-6);
        Assert.AreEqual(weightNorm, snapshot.WeightNorm, 1e-5 * weightNorm);
        Assert.AreEqual(perturbed - loss.item<float>(), snapshot.SamSharpness, 1e-5);
        Assert.AreEqual(0.1, snapshot.LearningRate);
    }

    [TestMethod]
    public void TheNoiseTraceEstimatesTheSamplingVarianceOfPerRowGradients()
    {
        const int count = 12, batch = 3;
        using var rows = Load(count);
        var network = Network();
        var (images, labels) = All(rows);
        using var monitor = new SharpnessMonitor(new SharpnessMonitorOptions { Rows = count, PowerIterations = 1, NoiseBatchSize = batch, NoisePairs = 1500 }, network, RowSet.All(rows), CPU, Seed);
        double measured = monitor.Measure(1, 0, 0.1, 0).GradientNoiseTrace!.Value;

        // Minibatches of B of the N rows drawn without replacement: E‖g_B − ḡ‖² = (N − B)/(B(N − 1)) · (1/N)·Σᵢ‖gᵢ − ḡ‖².
        network.eval();
        var parameters = network.parameters().ToArray();
        Tensor perRow = stack(Enumerable.Range(0, count).Select(i =>
            cat(autograd.grad(new[] { functional.cross_entropy(network.call(images.narrow(0, i, 1)), labels.narrow(0, i, 1)) }, parameters).Select(g => g.flatten()).ToArray())).ToArray());
        double spread = perRow.sub(perRow.mean(new long[] { 0 })).pow(2).sum().item<float>() / count;
        double expected = (count - batch) / (double)(batch * (count - 1)) * spread;
        Assert.AreEqual(expected, measured, 0.05 * expected, "3000 minibatch gradients");
    }
}
