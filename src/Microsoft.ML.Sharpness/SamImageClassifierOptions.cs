
namespace Microsoft.ML.Sharpness;

/// <summary>The optimizer <see cref="SamImageClassifierTrainer"/> trains with.</summary>
public enum SharpnessOptimizer
{
    /// <summary>Plain stochastic gradient descent (one forward/backward pass per step).</summary>
    Sgd,
    /// <summary>Sharpness-Aware Minimization (Foret et al. 2021): ε = ρ·g/‖g‖₂, then step with the gradient at w + ε.</summary>
    Sam,
    /// <summary>Adaptive SAM (Kwon et al. 2021): ε = ρ·T²g/‖Tg‖₂ with T = |w| + η elementwise.</summary>
    AdaptiveSam,
}

/// <summary>The network families the trainer builds.</summary>
public enum ImageClassifierArchitecture
{
    /// <summary>Keskar et al. (2017) F1: five fully connected hidden layers of 512 units with BatchNorm and ReLU.</summary>
    Mlp,
    /// <summary>Two 3×3 conv–BatchNorm–ReLU–maxpool stages (32, 64 channels) and a 128-unit hidden layer; made for 28×28 images.</summary>
    ConvNet,
    /// <summary>The CIFAR-style ResNet of He et al. (2016) with BatchNorm; depth 6n+2 for n = <see cref="SamImageClassifierOptions.ResNetBlocksPerStage"/>.</summary>
    ResNet,
}

/// <summary>How the learning rate changes over training.</summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays at <see cref="SamImageClassifierOptions.LearningRate"/>.</summary>
    Constant,
    /// <summary>Multiplied by <see cref="SamImageClassifierOptions.StepGamma"/> every <see cref="SamImageClassifierOptions.StepEpochs"/> epochs.</summary>
    Step,
    /// <summary>Cosine annealing from the learning rate to 0 over all steps (Loshchilov and Hutter 2017).</summary>
    Cosine,
    /// <summary>One-cycle (Smith and Topin 2019): linear warm-up from lr/25 to lr over the first 30% of steps, then cosine annealing to lr/10⁴.</summary>
    OneCycle,
}

/// <summary>Where the network trains.</summary>
public enum TrainingDevice
{
    /// <summary>CUDA when TorchSharp sees a GPU, otherwise the CPU.</summary>
    Auto,
    /// <summary>The CPU.</summary>
    Cpu,
    /// <summary>The first CUDA GPU; see <see cref="SamImageClassifierOptions.FallbackToCpu"/>.</summary>
    Cuda,
}

/// <summary>Options of <see cref="SamImageClassifierTrainer"/>.</summary>
public sealed class SamImageClassifierOptions
{
    /// <summary>The label column: a key (from <c>MapValueToKey</c>) with at least two values. Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The image column: <c>Vector&lt;Single, C, H, W&gt;</c> as produced by <c>ExtractPixels(interleavePixelColors: false)</c>. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>The output column of class probabilities, <c>Vector&lt;Single, K&gt;</c>. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>The output key column of the most probable class, with the label's key values. Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>The network to train. Default <see cref="ImageClassifierArchitecture.ConvNet"/>.</summary>
    public ImageClassifierArchitecture Architecture { get; set; } = ImageClassifierArchitecture.ConvNet;

    /// <summary>Residual blocks per stage of the <see cref="ImageClassifierArchitecture.ResNet"/> (3 gives ResNet-20). Default 3.</summary>
    public int ResNetBlocksPerStage { get; set; } = 3;

    /// <summary>The optimizer. Default <see cref="SharpnessOptimizer.Sam"/>.</summary>
    public SharpnessOptimizer Optimizer { get; set; } = SharpnessOptimizer.Sam;

    /// <summary>SAM's neighbourhood radius ρ (≥ 0). Default 0.05 (Foret et al.); 0.5 or more is usual for <see cref="SharpnessOptimizer.AdaptiveSam"/>.</summary>
    public float Rho { get; set; } = 0.05f;

    /// <summary>ASAM's η in T = |w| + η (Kwon et al. 2021). Default 0.01.</summary>
    public float AdaptiveEta { get; set; } = 0.01f;

    /// <summary>m-sharpness: rows per perturbation; each sub-batch of m rows gets its own ε and the gradients are averaged. 0 (default) uses the whole batch.</summary>
    public int SharpnessBatchSize { get; set; }

    /// <summary>The base SGD's learning rate. Default 0.05.</summary>
    public float LearningRate { get; set; } = 0.05f;

    /// <summary>The base SGD's momentum. Default 0.9.</summary>
    public float Momentum { get; set; } = 0.9f;

    /// <summary>Whether the base SGD uses Nesterov momentum. Default false.</summary>
    public bool Nesterov { get; set; }

    /// <summary>The base SGD's L2 weight decay. Default 5e-4.</summary>
    public float WeightDecay { get; set; } = 5e-4f;

    /// <summary>The learning-rate schedule. Default <see cref="LearningRateSchedule.Cosine"/>.</summary>
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Cosine;

    /// <summary>For <see cref="LearningRateSchedule.Step"/>: epochs between decays. Default 10.</summary>
    public int StepEpochs { get; set; } = 10;

    /// <summary>For <see cref="LearningRateSchedule.Step"/>: the decay factor. Default 0.1.</summary>
    public float StepGamma { get; set; } = 0.1f;

    /// <summary>Passes over the training data. Default 10.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Rows per training step. Default 128.</summary>
    public int BatchSize { get; set; } = 128;

    /// <summary>Label smoothing of the training cross-entropy (0 = none). Default 0.</summary>
    public float LabelSmoothing { get; set; }

    /// <summary>Optional validation data in the same schema as the training data; its loss and accuracy are reported every epoch.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>
    /// A trained model (a pipeline fitted with SamImageClassifier, fresh from <c>Fit</c> or loaded with <c>mlContext.Model.Load</c>)
    /// whose weights and BatchNorm statistics training starts from instead of a random initialization, e.g. Keskar et al.'s (2017)
    /// piggybacked large-batch run from a small-batch iterate. Its architecture, image shape and class count must match;
    /// the optimizer state (momentum) starts fresh. Default null.
    /// </summary>
    public ITransformer? InitialModel { get; set; }

    /// <summary>Seed of weight initialization and shuffling. Default 1. The same seed, data and thread count give identical weights on the CPU.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Where to train. Default <see cref="TrainingDevice.Auto"/>.</summary>
    public TrainingDevice Device { get; set; } = TrainingDevice.Auto;

    /// <summary>When <see cref="Device"/> is <see cref="TrainingDevice.Cuda"/> and no GPU is available: train on the CPU with a log message (true, default) or throw (false).</summary>
    public bool FallbackToCpu { get; set; } = true;

    /// <summary>TorchSharp's intra-op threads (a process-wide setting); null (default) leaves TorchSharp's choice.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>Receives a report after every epoch (in addition to <c>MLContext.Log</c>).</summary>
    public IProgress<TrainingEpochReport>? Progress { get; set; }
}
