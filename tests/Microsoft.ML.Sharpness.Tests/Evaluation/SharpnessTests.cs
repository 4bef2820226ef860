using Microsoft.ML.Sharpness.Evaluation;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Tests.Evaluation;

[TestClass]
public sealed class SharpnessTests
{
    private static readonly double[] Spectrum = { 5, 3, 1, 0.5, -0.2, 0.1 };

    [TestMethod]
    public void SamSharpnessOfAQuadraticIsExactlyTheSecondOrderFormula()
    {
        // For a quadratic, L(w + ρg/‖g‖) − L(w) = ρ‖g‖ + ½ρ²·gᵀHg/‖g‖² holds exactly.
        var surface = new QuadraticSurface(Spectrum, seed: 4);
        Tensor g = surface.GradientAt();
        double norm = g.norm().item<double>(), curvature = g.dot(surface.Hessian.mv(g)).item<double>() / (norm * norm);
        foreach (double rho in new[] { 0.01, 0.1, 0.5 })
            Assert.AreEqual(rho * norm + 0.5 * rho * rho * curvature, SamSharpness.Evaluate(surface, rho, 1, null), 1e-4 * rho * norm, $"ρ = {rho}");
    }

    [TestMethod]
    public void SamSharpnessOfASmoothNetworkFollowsTheSecondOrderExpansionForSmallRho()
    {
        var network = TinyNetworks.Smooth(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 200, 4 }, 3, seed: 2);
        var surface = new NetworkLossSurface(network, x, y);
        var (_, g) = surface.LossAndGradient();
        double norm = g.norm().item<float>(), curvature = surface.HessianVectorProduct(g).dot(g).item<float>() / (norm * norm);
        foreach (double rho in new[] { 0.005, 0.01, 0.02 })
        {
            double expected = rho * norm + 0.5 * rho * rho * curvature;
            double actual = SamSharpness.Evaluate(surface, rho, 1, null);
            // the remainder is O(ρ³); its bound here is generous next to ρ²-sized second-order term
            Assert.AreEqual(expected, actual, 0.05 * 0.5 * rho * rho * Math.Abs(curvature) + 1e-6, $"ρ = {rho}");
        }
    }

    [TestMethod]
    public void SamSharpnessDoesNotDecreaseWithRhoOrWithAscentSteps()
    {
        var network = TinyNetworks.Smooth(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 200, 4 }, 3, seed: 2);
        var surface = new NetworkLossSurface(network, x, y);
        double previous = 0;
        foreach (double rho in new[] { 0.01, 0.05, 0.1, 0.5, 1.0 })
        {
            double value = SamSharpness.Evaluate(surface, rho, 1, null);
            Assert.IsTrue(value >= previous, $"ρ = {rho}: {value} < {previous}");
            previous = value;
        }
        foreach (double? eta in new double?[] { null, 0.01 })
        {
            var byK = Enumerable.Range(1, 5).Select(k => SamSharpness.Evaluate(surface, 0.5, k, eta)).ToArray();
            for (int k = 1; k < byK.Length; k++) Assert.IsTrue(byK[k] >= byK[k - 1], $"η = {eta}, k = {k + 1}: {byK[k]} < {byK[k - 1]}");
            Assert.IsTrue(byK[^1] > byK[0], "more ascent steps find a higher loss on this curved surface");
        }
    }

    [TestMethod]
    public void ProbingLeavesTheWeightsBitForBitUnchanged()
    {
        var network = TinyNetworks.Smooth(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 50, 4 }, 3, seed: 2);
        var surface = new NetworkLossSurface(network, x, y);
        Tensor before = surface.Weights().clone();
        SamSharpness.Evaluate(surface, 0.3, 3, 0.01);
        KeskarMaximization.FullSpace(surface, 1e-2, 5);
        Assert.IsTrue(before.equal(surface.Weights()).all().item<bool>(), "weights restored exactly");
    }

    [TestMethod]
    public void AdaptiveSharpnessIsInvariantToTheDinhRescalingWhileSamSharpnessIsNot()
    {
        // Dinh et al. (2017): scaling a ReLU layer by α and the next layer's weights by 1/α leaves the function unchanged.
        var (x, y) = TinyNetworks.Data(new long[] { 200, 4 }, 3, seed: 2);
        Sequential Network(double alpha)
        {
            manual_seed(7);
            var network = Sequential(("fc1", Linear(4, 8)), ("relu", ReLU()), ("fc2", Linear(8, 3)));
            using (no_grad())
            {
                var fc1 = (Linear)network[0];
                var fc2 = (Linear)network[2];
                fc1.weight!.mul_(alpha);
                fc1.bias!.mul_(alpha);
                fc2.weight!.div_(alpha);
            }
            network.eval();
            return network;
        }
        var plain = new NetworkLossSurface(Network(1), x, y);
        var rescaled = new NetworkLossSurface(Network(10), x, y);
        Assert.AreEqual(plain.Loss(), rescaled.Loss(), 1e-5, "same function, same loss");

        double sam = SamSharpness.Evaluate(plain, 0.05, 1, null), samRescaled = SamSharpness.Evaluate(rescaled, 0.05, 1, null);
        double asam = SamSharpness.Evaluate(plain, 0.05, 1, 1e-6), asamRescaled = SamSharpness.Evaluate(rescaled, 0.05, 1, 1e-6);
        Assert.IsTrue(Math.Abs(samRescaled - sam) > 0.5 * sam, $"SAM sharpness {sam} → {samRescaled} changes with the rescaling");
        Assert.AreEqual(asam, asamRescaled, 0.01 * asam, $"adaptive sharpness {asam} → {asamRescaled} stays");
    }

    [TestMethod]
    public void KeskarSharpnessIsNonNegativeAndItsMaximizerStaysInTheBox()
    {
        var network = TinyNetworks.AllLayerKinds(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 64, 2, 16, 16 }, 3, seed: 2);
        var surface = new NetworkLossSurface(network, x, y);
        double loss = surface.Loss();
        foreach (double epsilon in new[] { 1e-3, 5e-4, 1e-1 })
        {
            foreach (var result in new[] { KeskarMaximization.FullSpace(surface, epsilon, 10), KeskarMaximization.Subspace(surface, epsilon, 20, 10, seed: 1) })
            {
                Assert.IsTrue(result.Sharpness >= 0, $"ε = {epsilon}: φ = {result.Sharpness}");
                Assert.IsTrue(result.LargestBoxFraction <= 1 + 1e-6, $"ε = {epsilon}: the maximizer lies {result.LargestBoxFraction} of the way to the box edge");
                Assert.AreEqual(100 * (result.MaximumLoss - loss) / (1 + loss), result.Sharpness, 1e-9);
            }
        }
        Assert.IsTrue(KeskarMaximization.FullSpace(surface, 1e-1, 10).Sharpness > KeskarMaximization.FullSpace(surface, 1e-3, 10).Sharpness, "a larger box finds a larger loss");
    }

    [TestMethod]
    public void KeskarFullSpaceMaximumOfALinearLossIsTheBoxCorner()
    {
        // With H = 0, L(w + y) − L(w) = bᵀy, maximized over |yᵢ| ≤ ε(|wᵢ| + 1) at yᵢ = sign(bᵢ)·ε(|wᵢ| + 1).
        var surface = new QuadraticSurface(new double[8], seed: 5);
        double epsilon = 1e-2, loss = surface.Loss();
        Tensor corner = surface.Linear.abs().mul(surface.Weights().to_type(ScalarType.Float64).abs().add(1)).mul(epsilon);
        double expected = 100 * corner.sum().item<double>() / (1 + loss);
        Assert.AreEqual(expected, KeskarMaximization.FullSpace(surface, epsilon, 10).Sharpness, 1e-4 * Math.Abs(expected));
    }
}
