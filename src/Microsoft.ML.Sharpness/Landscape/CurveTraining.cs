using System.Diagnostics;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>
/// Trains the bend θ of a <see cref="CurvePath"/> (Garipov et al. 2018): SGD with momentum on E_{t~U(0,1)} L(φ_θ(t)), one t per
/// minibatch, the endpoints fixed; the network in training mode, so BatchNorm normalizes with each minibatch's statistics.
/// </summary>
internal sealed class CurveTraining
{
    private readonly ModelConnectionOptions options;
    private readonly MLHost host;
    private readonly Action<string> log;

    public CurveTraining(ModelConnectionOptions options, MLHost host, Action<string> log)
    {
        this.options = options;
        this.host = host;
        this.log = log;
    }

    /// <summary>The trained θ, starting from the straight line's bend (w₁ + w₂)/2; one report per epoch.</summary>
    public (Tensor Bend, IReadOnlyList<TrainingEpochReport> History) Train(CurvePath path, ImageTensors rows, int seed)
    {
        long count = rows.Count;
        int batchSize = (int)Math.Min(options.BatchSize, count);
        long steps = (count + batchSize - 1) / batchSize;
        manual_seed(seed);
        using var generator = new Generator((ulong)seed);
        Tensor bend = BezierCurve.StraightBend(path.First, path.Second).DetachFromDisposeScope();
        using Tensor velocity = zeros_like(bend);
        try
        {
            var history = new List<TrainingEpochReport>();
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var clock = Stopwatch.StartNew();
                double lossSum = 0;
                long correct = 0, seen = 0;
                using Tensor order = randperm(count, generator: generator);
                for (long step = 0; step < steps; step++)
                {
                    host.ThrowIfCanceled("Training the curve");
                    long length = Math.Min(batchSize, count - step * batchSize);
                    if (length < 2 && steps > 1) break; // a single leftover row cannot train BatchNorm
                    using var scope = NewDisposeScope();
                    Tensor indices = order.narrow(0, step * batchSize, length);
                    double t = rand(1, generator: generator).item<float>();
                    var (gradient, loss, right) = BendGradient(path, bend, t, rows.Features.index_select(0, indices), rows.Labels.index_select(0, indices));
                    if (!double.IsFinite(loss))
                        throw new InvalidOperationException($"Training the curve diverged: the loss became {loss} at epoch {epoch}, step {step + 1} of {steps}. " +
                            $"Try a lower {nameof(options.LearningRate)} (now {options.LearningRate:G4}).");
                    using (no_grad())
                    {
                        // PyTorch's SGD: v ← μ·v + (g + λ·θ); θ ← θ − η·v.
                        velocity.mul_(options.Momentum).add_(gradient).add_(bend, alpha: options.WeightDecay);
                        bend.add_(velocity, alpha: -options.LearningRate);
                    }
                    lossSum += loss * length;
                    correct += right;
                    seen += length;
                }
                var report = new TrainingEpochReport(epoch, lossSum / seen, (double)correct / seen, null, null, options.LearningRate, clock.Elapsed.TotalSeconds);
                log("curve " + report);
                history.Add(report);
                options.Progress?.Report(report);
            }
            return (bend, history);
        }
        catch
        {
            bend.Dispose(); // canceled or diverged: nothing native stays behind
            throw;
        }
    }

    /// <summary>
    /// ∇_θ L(φ_θ(t)) = 2t(1 − t)·∇_w L(w) at w = φ_θ(t) (the chain rule through <see cref="BezierCurve.At"/>), with the mean cross-entropy
    /// L of the rows in training mode; also that loss and how many rows the network classified correctly. Leaves the network at φ_θ(t).
    /// </summary>
    public static (Tensor Gradient, double Loss, long Correct) BendGradient(CurvePath path, Tensor bend, double t, Tensor images, Tensor labels)
    {
        path.MoveTo(t, bend);
        var network = path.Network;
        network.train();
        Tensor logits = network.call(images);
        Tensor loss = nn.functional.cross_entropy(logits, labels);
        var gradients = Gradients.Of(loss, path.Weights.Parameters.ToArray());
        Tensor gradient;
        using (no_grad())
            gradient = Gradients.Flatten(gradients) * BezierCurve.BendWeight(t);
        long correct = logits.argmax(1).eq(labels).sum().item<long>();
        return (gradient, loss.item<float>(), correct);
    }
}
