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
    /// <summary>
    /// ResNet-18 of He et al. (2016): a stem, [2, 2, 2, 2] basic blocks with 64, 128, 256, 512 channels (stride 2 at the first block
    /// of stages 2–4, 1×1 conv + BatchNorm shortcuts where the shape changes), global average pooling, a linear classifier. Images at
    /// least 64×64 pixels get the ImageNet stem (7×7 stride-2 conv with 64 channels, BatchNorm, ReLU, 3×3 stride-2 max-pool with
    /// padding 1); smaller ones a 3×3 stride-1 conv with 64 channels, BatchNorm and ReLU without pooling, as CIFAR ResNet-18s use.
    /// </summary>
    ResNet18,
    /// <summary>
    /// WRN-d-k, the wide ResNet of Zagoruyko and Komodakis (2016) with pre-activation blocks (BatchNorm–ReLU–conv 3×3–BatchNorm–ReLU–
    /// dropout–conv 3×3): a 3×3 conv with 16 channels, three groups of (d − 4)/6 blocks with 16k, 32k, 64k channels, BatchNorm, ReLU,
    /// global average pooling, a linear classifier; d = <see cref="TrainingSettings.WideResNetDepth"/>, k = <see cref="TrainingSettings.WideResNetWidth"/>
    /// (WRN-16-8 by default, SAM's CIFAR model in Foret et al. 2021).
    /// </summary>
    WideResNet,
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

    /// <summary>The depth d of the <see cref="ImageClassifierArchitecture.WideResNet"/> WRN-d-k: 6n + 4 for n ≥ 1 blocks per group. Default 16.</summary>
    public int WideResNetDepth { get; set; } = 16;

    /// <summary>The widening factor k of the <see cref="ImageClassifierArchitecture.WideResNet"/> WRN-d-k (groups of 16k, 32k, 64k channels). Default 8.</summary>
    public int WideResNetWidth { get; set; } = 8;

    /// <summary>
    /// The dropout probability between the two convolutions of each <see cref="ImageClassifierArchitecture.WideResNet"/> block, in
    /// [0, 1) (Zagoruyko and Komodakis use 0.3 in some runs); only during training. Default 0: no dropout layer.
    /// </summary>
    public float WideResNetDropout { get; set; }

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
