using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Networks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Tests.Evaluation;

[TestClass]
public sealed class FisherInformationTests
{
    [TestMethod]
    public void SoftmaxRegressionFisherTracesMatchTheClosedForm()
    {
        // For logits Wx + b: ∇_{W,b} ℓ = (p − e_y)·[x; 1]ᵀ, so ‖∇ℓ‖² = ‖p − e_y‖²·(‖x‖² + 1) and ⟨w, ∇ℓ⟩ = (p − e_y)·logits.
        manual_seed(1);
        var network = Sequential(("fc", Linear(6, 4)));
        network.eval();
        var (x, y) = TinyNetworks.Data(new long[] { 300, 6 }, 4, seed: 2);
        Tensor logits = network.forward(x).detach();
        Tensor p = functional.softmax(logits, 1);
        Tensor inputs = x.pow(2).sum(1).add(1);
        Tensor residual = p.sub(functional.one_hot(y, 4).to_type(ScalarType.Float32));
        double empirical = residual.pow(2).sum(1).mul(inputs).mean().item<float>();
        double fisherRao = residual.mul(logits).sum(1).pow(2).mean().item<float>();
        double model = 0;
        for (int c = 0; c < 4; c++)
        {
            Tensor r = p.sub(functional.one_hot(full(300, c, dtype: ScalarType.Int64), 4).to_type(ScalarType.Float32));
            model += p.select(1, c).mul(r.pow(2).sum(1)).mul(inputs).mean().item<float>();
        }

        foreach (bool rowLoop in new[] { false, true })
        {
            var result = FisherInformation.Compute(new PerExampleGradients(network, rowLoop), x, y, modelSamples: 0, seed: 1);
            Assert.AreEqual(rowLoop, result.UsedRowLoop);
            Assert.AreEqual(empirical, result.EmpiricalTrace, 1e-4 * empirical, $"empirical, row loop {rowLoop}");
            Assert.AreEqual(model, result.ModelTrace, 1e-4 * model, $"model, row loop {rowLoop}");
            Assert.AreEqual(fisherRao, result.FisherRaoNorm, 1e-4 * fisherRao, $"Fisher–Rao, row loop {rowLoop}");
        }
    }

    [TestMethod]
    public void PerExampleTrickMatchesThePerRowLoopOnEveryLayerKind()
    {
        var network = TinyNetworks.AllLayerKinds(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 150, 2, 16, 16 }, 3, seed: 2);
        AssertTrickMatchesLoop(network, x, y);
    }

    [TestMethod]
    public void PerExampleTrickMatchesThePerRowLoopOnTheResNet()
    {
        manual_seed(3);
        var network = NetworkFactory.Create(new NetworkShape(ImageClassifierArchitecture.ResNet, 1, 16, 16, 3, 1));
        using (no_grad())
            foreach (var norm in network.modules().OfType<BatchNorm>()) norm.running_var!.copy_(rand(norm.running_var.shape).add(0.5));
        network.eval();
        var (x, y) = TinyNetworks.Data(new long[] { 20, 1, 16, 16 }, 3, seed: 2);
        AssertTrickMatchesLoop(network, x, y);
    }

    [TestMethod]
    public void SampledModelFisherIsWithinThreeStandardErrorsOfTheExactOne()
    {
        var network = TinyNetworks.AllLayerKinds(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 100, 2, 16, 16 }, 3, seed: 2);
        var gradients = new PerExampleGradients(network);
        double exact = FisherInformation.Compute(gradients, x, y, 0, seed: 1).ModelTrace;
        var sampled = FisherInformation.Compute(gradients, x, y, 20, seed: 1).ModelTraceEstimate!.Value;
        Assert.AreEqual(20, sampled.Samples);
        Assert.IsTrue(Math.Abs(sampled.Value - exact) <= 3 * sampled.StandardError, $"sampled {sampled.Value} ± {sampled.StandardError}, exact {exact}");
    }

    [TestMethod]
    public void HessianTraceOfAPiecewiseLinearNetworkEqualsItsModelFisherTrace()
    {
        // With ReLU, max-pooling and inference-mode BatchNorm the logits are linear in each single weight, so the Hessian's
        // diagonal is the Gauss–Newton diagonal, and for cross-entropy tr(GGN) = tr(model Fisher) (Martens 2020, §9).
        var network = TinyNetworks.AllLayerKinds(seed: 1);
        var (x, y) = TinyNetworks.Data(new long[] { 100, 2, 16, 16 }, 3, seed: 2);
        double fisher = FisherInformation.Compute(new PerExampleGradients(network), x, y, 0, seed: 1).ModelTrace;
        var trace = HessianSpectrum.Trace(new NetworkLossSurface(network, x, y), 400, seed: 1);
        Assert.IsTrue(Math.Abs(trace.Value - fisher) <= 3 * trace.StandardError, $"Hutchinson {trace.Value} ± {trace.StandardError}, model Fisher {fisher}");
    }

    private static void AssertTrickMatchesLoop(Sequential network, Tensor x, Tensor y)
    {
        var trick = new PerExampleGradients(network);
        Assert.IsFalse(trick.UsesRowLoop, "every layer kind has a per-example rule");
        var fast = FisherInformation.Compute(trick, x, y, 0, seed: 1);
        var slow = FisherInformation.Compute(new PerExampleGradients(network, forceRowLoop: true), x, y, 0, seed: 1);
        Assert.AreEqual(slow.EmpiricalTrace, fast.EmpiricalTrace, 1e-4 * slow.EmpiricalTrace, "empirical Fisher trace");
        Assert.AreEqual(slow.ModelTrace, fast.ModelTrace, 1e-4 * slow.ModelTrace, "model Fisher trace");
        Assert.AreEqual(slow.FisherRaoNorm, fast.FisherRaoNorm, 1e-3 * slow.FisherRaoNorm, "Fisher–Rao norm");
        Assert.IsTrue(slow.EmpiricalTrace > 0 && slow.ModelTrace > 0 && slow.FisherRaoNorm > 0);
    }
}
