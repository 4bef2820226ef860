using System.Diagnostics;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>
/// <see cref="SharpnessMonitorOptions"/> at work: a fixed seeded sample of training rows, measured at the current weights with the
/// evaluator's tools (<see cref="NetworkLossSurface"/> in inference mode, <see cref="HessianSpectrum"/>, <see cref="SamSharpness"/>,
/// <see cref="MinibatchGradientPairs"/>), each snapshot seeded by its index, so that it draws nothing from the training generators.
/// Its state across snapshots is the power iteration's vector (<see cref="WarmStart"/>), which the checkpoint keeps; the sample
/// is drawn again, identically, from the seed.
/// </summary>
internal sealed class SharpnessMonitor : IDisposable
{
    /// <summary>Added to the run's seed for the monitor's generators (shuffling uses the seed, augmentation the seed + 1).</summary>
    private const long SeedOffset = 7919;

    private readonly SharpnessMonitorOptions options;
    private readonly nn.Module<Tensor, Tensor> network;
    private readonly long seed;
    private readonly Tensor images;
    private readonly Tensor labels;
    private Tensor? warmStart;

    /// <summary>A monitor of <paramref name="network"/> on a sample of <paramref name="train"/> drawn with <paramref name="seed"/>.</summary>
    public SharpnessMonitor(SharpnessMonitorOptions options, nn.Module<Tensor, Tensor> network, RowSet train, Device device, long seed)
    {
        if (device.type != DeviceType.CPU)
            throw new NotSupportedException($"The sharpness monitor ({nameof(TrainingSettings.SharpnessMonitor)}) runs on the CPU only; this run trains on {device.type}. Turn it off, or train on the CPU.");
        this.options = options;
        this.network = network;
        this.seed = seed + SeedOffset;
        long[] sample = Sample(train, options.Rows, this.seed);
        images = train.Rows.Gather(sample, device);
        labels = train.Rows.GatherLabels(sample, device);
    }

    /// <summary>The sample's rows.</summary>
    public long Rows => labels.shape[0];

    /// <summary>The power iteration's current unit vector (null before the first snapshot); set it when resuming.</summary>
    public Tensor? WarmStart
    {
        get => warmStart;
        set
        {
            warmStart?.Dispose();
            warmStart = value;
        }
    }

    /// <summary>Whether a snapshot is due after the run's <paramref name="step"/>-th step (1-based), by a steps interval.</summary>
    public bool DueAfterStep(long step) => options.EverySteps > 0 && step % options.EverySteps == 0;

    /// <summary>Whether a snapshot is due after <paramref name="epoch"/> (1-based), by an epochs interval.</summary>
    public bool DueAfterEpoch(int epoch) => options.EverySteps == 0 && epoch % options.EveryEpochs == 0;

    /// <summary>
    /// Measures the sample at the current weights; snapshot <paramref name="index"/> (0-based, over the run) seeds its minibatches.
    /// Leaves the network in inference mode: the caller puts it back in training mode.
    /// </summary>
    public SharpnessSnapshot Measure(int epoch, long step, double learningRate, int index)
    {
        var clock = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        var surface = new NetworkLossSurface(network, images, labels);
        var start = surface.LossAndGradient();
        double weightNorm = surface.Weights().norm().item<float>();
        double samSharpness = SamSharpness.Evaluate(surface, options.Rho, steps: 1, adaptiveEta: null, start);
        Tensor from = warmStart ?? StartVector(surface.Dimension);
        var (eigenvalue, vector) = HessianSpectrum.WarmStartedTopEigenvalue(surface, from, options.PowerIterations);
        WarmStart = vector.DetachFromDisposeScope();
        double? noise = NoiseTrace(start.Gradient, index);
        return new SharpnessSnapshot(epoch, step, learningRate, start.Loss, eigenvalue, weightNorm, samSharpness, noise, clock.Elapsed.TotalSeconds);
    }

    public void Dispose()
    {
        images.Dispose();
        labels.Dispose();
        WarmStart = null;
    }

    /// <summary>E‖g_B − ḡ‖² over <see cref="SharpnessMonitorOptions.NoisePairs"/> pairs of disjoint minibatches, or null when off or with fewer than 2 rows.</summary>
    private double? NoiseTrace(Tensor fullGradient, int index)
    {
        int batch = (int)Math.Min(options.NoiseBatchSize, Rows / 2);
        if (options.NoisePairs == 0 || batch < 1) return null;
        return MinibatchGradientPairs.Compute(network, images, labels, fullGradient, batch, options.NoisePairs, seed + 1 + index).NoiseTrace.Value;
    }

    /// <summary>The first snapshot's start: a seeded Gaussian vector.</summary>
    private Tensor StartVector(long dimension)
    {
        using var generator = new Generator((ulong)seed);
        return randn(dimension, generator: generator);
    }

    /// <summary>min(<paramref name="count"/>, N) of the training rows, uniformly without replacement, in ascending order.</summary>
    private static long[] Sample(RowSet train, int count, long seed)
    {
        using var generator = new Generator((ulong)seed);
        using Tensor permutation = randperm(train.Count, generator: generator);
        return permutation.data<long>().Take((int)Math.Min(count, train.Count)).Select(i => train.Indices[i]).Order().ToArray();
    }
}
