using Microsoft.ML.Sharpness.Evaluation;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Evaluation;

[TestClass]
public sealed class HessianSpectrumTests
{
    private static readonly double[] Spectrum = { 10, -6, 4, 2, 1, 0.5, 0.25, 0.1, 0.05, 0.01 };

    [TestMethod]
    public void PowerIterationFindsTheKnownSpectrumOfAQuadratic()
    {
        var surface = new QuadraticSurface(Spectrum, seed: 3);
        var top = HessianSpectrum.TopEigenvalues(surface, 3, maxIterations: 500, tolerance: 1e-7, seed: 1);
        // largest magnitude first: 10, −6, 4
        Assert.AreEqual(10, top[0].Eigenvalue, 1e-3);
        Assert.AreEqual(-6, top[1].Eigenvalue, 1e-3);
        Assert.AreEqual(4, top[2].Eigenvalue, 1e-3);
        Assert.IsTrue(top.All(t => t.Converged), "every eigenvalue converged");
    }

    [TestMethod]
    public void HutchinsonTraceOfAQuadraticIsWithinThreeStandardErrors()
    {
        var surface = new QuadraticSurface(Spectrum, seed: 3);
        var trace = HessianSpectrum.Trace(surface, 400, seed: 1);
        double exact = Spectrum.Sum();
        Assert.AreEqual(400, trace.Samples);
        Assert.IsTrue(trace.StandardError > 0);
        Assert.IsTrue(Math.Abs(trace.Value - exact) <= 3 * trace.StandardError, $"trace {trace.Value} ± {trace.StandardError}, exact {exact}");
    }

    [TestMethod]
    public void HutchPlusPlusIsExactWhenTheSketchSpansTheHessian()
    {
        // rank-3 H: a sketch of k ≥ 3 columns captures its range, so tr(QᵀHQ) is the whole trace and the residual is zero
        var surface = new QuadraticSurface(new double[] { 7, -2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, seed: 3);
        var trace = HessianSpectrum.TraceHutchPlusPlus(surface, products: 12, seed: 1);
        Assert.AreEqual(8, trace.Value, 1e-4);
        Assert.AreEqual(0, trace.StandardError, 1e-4);
        Assert.AreEqual(12, trace.Samples);
    }

    [TestMethod]
    public void HutchPlusPlusOfAFullRankQuadraticIsWithinThreeStandardErrorsAndBeatsHutchinson()
    {
        double[] spectrum = Enumerable.Range(0, 60).Select(i => 100 * Math.Pow(0.7, i)).ToArray();
        var surface = new QuadraticSurface(spectrum, seed: 3);
        double exact = spectrum.Sum();
        var plusPlus = HessianSpectrum.TraceHutchPlusPlus(surface, products: 30, seed: 1);
        var plain = HessianSpectrum.Trace(surface, 30, seed: 1);
        Assert.IsTrue(Math.Abs(plusPlus.Value - exact) <= 3 * plusPlus.StandardError + 1e-6, $"Hutch++ {plusPlus.Value} ± {plusPlus.StandardError}, exact {exact}");
        Assert.IsTrue(plusPlus.StandardError < plain.StandardError / 5, $"Hutch++ SE {plusPlus.StandardError} vs Hutchinson SE {plain.StandardError} at the same cost");
    }

    [TestMethod]
    public void LanczosWithAsManyStepsAsDimensionsRecoversTheSpectrum()
    {
        var surface = new QuadraticSurface(Spectrum, seed: 3);
        var density = HessianSpectrum.Density(surface, runs: 1, steps: Spectrum.Length, seed: 1);
        var nodes = density.Nodes.OrderBy(x => x).ToArray();
        var expected = Spectrum.OrderBy(x => x).ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], nodes[i], 1e-3, $"node {i}");
        Assert.AreEqual(1, density.Weights.Sum(), 1e-5);
        // Σ wⱼθⱼ estimates tr(H)/n
        Assert.AreEqual(Spectrum.Average(), density.Nodes.Zip(density.Weights, (t, w) => t * w).Sum(), 3.0);
    }

    [TestMethod]
    public void NetworkHessianVectorProductsMatchTheDenseHessian()
    {
        var network = TinyNetworks.Smooth(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 300, 4 }, 3, seed: 2);
        Tensor dense = TinyNetworks.DenseHessian(network, x, y);
        var surface = new NetworkLossSurface(network, x, y);
        Assert.AreEqual(dense.shape[0], surface.Dimension);

        manual_seed(5);
        Tensor v = randn(surface.Dimension);
        Tensor expected = dense.mv(v.to_type(ScalarType.Float64));
        double error = surface.HessianVectorProduct(v).to_type(ScalarType.Float64).sub(expected).norm().item<double>();
        Assert.IsTrue(error <= 1e-4 * expected.norm().item<double>(), $"‖Hv − H_dense·v‖ = {error}");
    }

    [TestMethod]
    public void NetworkTopEigenvaluesAndTraceMatchTheDenseHessian()
    {
        var network = TinyNetworks.Smooth(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 300, 4 }, 3, seed: 2);
        Tensor eigenvalues = linalg.eigvalsh(TinyNetworks.DenseHessian(network, x, y));
        var byMagnitude = eigenvalues.data<double>().ToArray().OrderByDescending(Math.Abs).ToArray();
        var surface = new NetworkLossSurface(network, x, y);

        var top = HessianSpectrum.TopEigenvalues(surface, 2, maxIterations: 1000, tolerance: 1e-6, seed: 1);
        Assert.AreEqual(byMagnitude[0], top[0].Eigenvalue, 1e-3 * Math.Abs(byMagnitude[0]));
        Assert.AreEqual(byMagnitude[1], top[1].Eigenvalue, 1e-2 * Math.Abs(byMagnitude[1]));

        double exactTrace = eigenvalues.sum().item<double>();
        var trace = HessianSpectrum.Trace(surface, 300, seed: 1);
        Assert.IsTrue(Math.Abs(trace.Value - exactTrace) <= 3 * trace.StandardError, $"trace {trace.Value} ± {trace.StandardError}, exact {exactTrace}");
    }
}
