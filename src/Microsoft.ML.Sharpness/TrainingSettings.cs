using System.Text.Json;
using System.Text.Json.Serialization;

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
    /// <summary>The CIFAR-style ResNet of He et al. (2016) with BatchNorm; depth 6n+2 for n = <see cref="TrainingSettings.ResNetBlocksPerStage"/>.</summary>
    ResNet,
}

/// <summary>How the learning rate changes over training.</summary>
public enum LearningRateSchedule
{
    /// <summary>The learning rate stays at <see cref="TrainingSettings.LearningRate"/>.</summary>
    Constant,
    /// <summary>Multiplied by <see cref="TrainingSettings.StepGamma"/> every <see cref="TrainingSettings.StepEpochs"/> epochs.</summary>
    Step,
    /// <summary>Cosine annealing from the learning rate to 0 over all steps (Loshchilov and Hutter 2017).</summary>
    Cosine,
    /// <summary>One-cycle (Smith and Topin 2019): linear warm-up from lr/25 to lr over the first 30% of steps, then cosine annealing to lr/10⁴.</summary>
    OneCycle,
}

/// <summary>
/// What a training run is, independent of where its data come from: the network, the optimizer and its hyperparameters, the
/// schedule and the seed. <see cref="SamImageClassifierOptions"/> derives from it; a trained model keeps a copy
/// (<see cref="SamImageClassifierModelInfo.Training"/>); the lab's study files name the same properties.
/// </summary>
public class TrainingSettings
{
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

    /// <summary>The base optimizer's learning rate. Default 0.05.</summary>
    public float LearningRate { get; set; } = 0.05f;

    /// <summary>The base optimizer's momentum. Default 0.9.</summary>
    public float Momentum { get; set; } = 0.9f;

    /// <summary>Whether the base SGD uses Nesterov momentum. Default false.</summary>
    public bool Nesterov { get; set; }

    /// <summary>The base optimizer's L2 weight decay. Default 5e-4.</summary>
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

    /// <summary>Seed of weight initialization and shuffling. Default 1. The same seed, data and thread count give identical weights on the CPU.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>A copy holding only these settings (not the derived options' data, columns or callbacks).</summary>
    public TrainingSettings CopySettings() =>
        JsonSerializer.Deserialize<TrainingSettings>(JsonSerializer.Serialize(this, SettingsJson), SettingsJson)!;

    internal static readonly JsonSerializerOptions SettingsJson = new() { Converters = { new JsonStringEnumConverter() } };
}
