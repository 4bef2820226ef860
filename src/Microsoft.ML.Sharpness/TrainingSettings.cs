using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Sharpness;

/// <summary>The optimizer <see cref="SamImageClassifierTrainer"/> trains with.</summary>
public enum SharpnessOptimizer
{
    /// <summary>No perturbation: the <see cref="TrainingSettings.BaseOptimizer"/> steps with the plain gradient (one forward/backward pass per step).</summary>
    Sgd,
    /// <summary>Sharpness-Aware Minimization (Foret et al. 2021): ε = ρ·g/‖g‖₂, then step with the gradient at w + ε.</summary>
    Sam,
    /// <summary>Adaptive SAM (Kwon et al. 2021): ε = ρ·T²g/‖Tg‖₂ with T = |w| + η elementwise.</summary>
    AdaptiveSam,
}

/// <summary>
/// The optimizer that takes the step: alone (<see cref="SharpnessOptimizer.Sgd"/>) or with the gradient at w + ε that SAM and ASAM
/// compute (<see cref="SharpnessOptimizer.Sam"/>, <see cref="SharpnessOptimizer.AdaptiveSam"/>), from the unperturbed w.
/// Notation: g is the gradient it steps with, lr the scheduled <see cref="TrainingSettings.LearningRate"/>, λ the
/// <see cref="TrainingSettings.WeightDecay"/>, t the step count from 1.
/// </summary>
public enum BaseOptimizer
{
    /// <summary>
    /// Stochastic gradient descent with heavy-ball or Nesterov momentum μ (<see cref="TrainingSettings.Momentum"/>,
    /// <see cref="TrainingSettings.Nesterov"/>) and L2 weight decay: d = g + λw, b ← μb + d, w ← w − lr·b (Nesterov: w ← w − lr·(d + μb)).
    /// </summary>
    Sgd,
    /// <summary>
    /// Adam (Kingma and Ba 2015) with L2 weight decay added to the gradient: d = g + λw, m ← β₁m + (1 − β₁)d, v ← β₂v + (1 − β₂)d²,
    /// w ← w − lr·m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) (β₁ = <see cref="TrainingSettings.Beta1"/>, β₂ =
    /// <see cref="TrainingSettings.Beta2"/>, ε = <see cref="TrainingSettings.AdamEpsilon"/>). Its usual learning rate is about 1e-3,
    /// well below the default 0.05 chosen for SGD.
    /// </summary>
    Adam,
    /// <summary>
    /// AdamW (Loshchilov and Hutter 2019): Adam on the plain gradient with decoupled weight decay, w ← w·(1 − lr·λ) − lr·m̂/(√v̂ + ε)
    /// with m, v, m̂, v̂ as for <see cref="Adam"/> but from g alone (the decay scaled by the scheduled learning rate, as in PyTorch).
    /// </summary>
    AdamW,
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

/// <summary>Random transformations of each training batch (never of validation or evaluation rows); combine with <c>|</c>.</summary>
[Flags]
public enum ImageAugmentation
{
    /// <summary>The images as they are.</summary>
    None = 0,
    /// <summary>
    /// Random crop and horizontal flip, as in the SAM paper's CIFAR runs (He et al. 2016): each image is zero-padded by
    /// <see cref="TrainingSettings.AugmentationPadding"/> pixels on every side, cropped back to its size at a uniformly random offset,
    /// and mirrored left–right with probability ½.
    /// </summary>
    CropAndFlip = 1,
    /// <summary>
    /// Cutout (DeVries and Taylor 2017): a <see cref="TrainingSettings.CutoutSize"/>-pixel square at a uniformly random centre (clipped
    /// at the borders) set to 0 in every channel, after the crop and flip when both are on.
    /// </summary>
    Cutout = 2,
}

/// <summary>What early stopping watches on the validation rows.</summary>
public enum EarlyStoppingMetric
{
    /// <summary>Validation accuracy; an epoch improves when it is higher than the best so far (ML.NET's image classifier's default).</summary>
    ValidationAccuracy,
    /// <summary>Validation cross-entropy; an epoch improves when it is lower than the best so far.</summary>
    ValidationLoss,
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

    /// <summary>
    /// An ONNX image classifier (a <c>.onnx</c> file: exported from PyTorch/torchvision, the ONNX model zoo, Custom Vision, or
    /// <see cref="SamImageClassifierModel.ExportOnnx"/>) to fine-tune instead of building <see cref="Architecture"/>, which is then
    /// ignored. Its graph up to <see cref="PretrainedFeatureNode"/> becomes the backbone, with the file's weights, BatchNorm
    /// statistics and ε; a new Linear head sized for the label's classes replaces the rest. Its input must be float NCHW images
    /// of the feature column's channels and size. A model without a classifier (a feature extractor such as
    /// <see cref="PretrainedModels.ResNet18ImageNet"/>) is a backbone as it is: the head reads its output. Default null: train
    /// <see cref="Architecture"/> from scratch.
    /// </summary>
    public string? PretrainedModelPath { get; set; }

    /// <summary>
    /// With <see cref="PretrainedModelPath"/>: an ONNX graph that turns the feature column's images into the pretrained model's input
    /// (e.g. <see cref="PretrainedModels.ResNet18ImageNetPreprocessing"/>: ExtractPixels' 0–255 RGB → BGR minus the ImageNet mean image).
    /// It runs first inside the network, is saved and exported with it (so scoring needs no extra transform), and has no trainable
    /// parameters. Its input must take the feature column's images and its output fit the pretrained model's input. Default null: none.
    /// </summary>
    public string? PretrainedPreprocessingPath { get; set; }

    /// <summary>
    /// With <see cref="PretrainedModelPath"/>: the node (by name, meaning its first output, or a tensor by name) whose output feeds
    /// the new head; [N, C, H, W] feature maps are averaged over positions first. Default null: the input of the model's classifier
    /// (the Gemm, MatMul or 1×1 Conv that computes its output through activations, pooling and reshapes only: its penultimate
    /// features), or the model's output when it has no classifier — a headless backbone such as <see cref="PretrainedModels.ResNet18ImageNet"/>.
    /// </summary>
    public string? PretrainedFeatureNode { get; set; }

    /// <summary>
    /// With <see cref="PretrainedModelPath"/>: train only the new head. The backbone's parameters get no gradient (requires_grad
    /// false, so SAM perturbs and the optimizer steps only the head) and the backbone stays in inference mode throughout: BatchNorm
    /// normalizes with, and keeps, its pretrained running statistics; Dropout is off. Default false.
    /// </summary>
    public bool FreezeBackbone { get; set; }

    /// <summary>
    /// With <see cref="FreezeBackbone"/> and no <see cref="Augmentation"/>: pass every image through the parts before the head
    /// (preprocessing, normalization, backbone) once, before the first epoch, keep the features (within
    /// <see cref="SamImageClassifierOptions.DataCacheMemoryLimitMB"/>, the rest in the cache file) and train the head on them, which
    /// gives the model that training through the backbone at every step gives, at the cost of one backbone pass instead of one per
    /// epoch. Set false to keep only the pixels, e.g. when a <see cref="PretrainedFeatureNode"/>'s feature maps are larger than the images. Default true.
    /// </summary>
    public bool CacheBackboneFeatures { get; set; } = true;

    /// <summary>
    /// With <see cref="PretrainedModelPath"/> and a trainable backbone: keep the backbone's BatchNorm layers in inference mode while
    /// its weights learn, so they normalize with the pretrained running statistics and never update them (the usual way to fine-tune an
    /// ImageNet network on a few images in small batches, whose statistics are far noisier than ImageNet's). Default false: BatchNorm
    /// normalizes with each batch's statistics and updates its running ones, as in training from scratch.
    /// </summary>
    public bool FreezeBackboneStatistics { get; set; }

    /// <summary>
    /// With <see cref="PretrainedModelPath"/> and a trainable backbone: the backbone's learning rate as a multiple of the (scheduled)
    /// <see cref="LearningRate"/>, which the new head uses unscaled; in (0, 1] usually. Default 0.1.
    /// </summary>
    public float BackboneLearningRateScale { get; set; } = 0.1f;

    /// <summary>
    /// With <see cref="PretrainedModelPath"/>, a trainable backbone and <see cref="Optimizer"/> Sam or AdaptiveSam: whether SAM's
    /// perturbation ε covers the backbone's weights (true) or only the new head's (false: ε = ρ·g_head/‖g_head‖₂, the backbone unmoved
    /// while the gradient at w + ε is taken for all weights). A backbone whose BatchNorm normalizes with fixed statistics
    /// (<see cref="FreezeBackboneStatistics"/>) does not renormalize a perturbation of its early convolutions, so ρ sized for a whole
    /// network can wreck its features (docs/reproductions.md, "Transfer learning from ImageNet"). Default true.
    /// </summary>
    public bool PerturbBackbone { get; set; } = true;

    /// <summary>
    /// Per-channel normalization (x − mean)/std applied inside the network to the feature column's images, exported with it; e.g.
    /// <see cref="Sharpness.InputNormalization.ImageNet"/> for torchvision's models on pixels scaled to [0, 1]. Default null: none.
    /// </summary>
    public InputNormalization? InputNormalization { get; set; }

    /// <summary>The optimizer. Default <see cref="SharpnessOptimizer.Sam"/>.</summary>
    public SharpnessOptimizer Optimizer { get; set; } = SharpnessOptimizer.Sam;

    /// <summary>SAM's neighbourhood radius ρ (≥ 0). Default 0.05 (Foret et al.); 0.5 or more is usual for <see cref="SharpnessOptimizer.AdaptiveSam"/>.</summary>
    public float Rho { get; set; } = 0.05f;

    /// <summary>ASAM's η in T = |w| + η (Kwon et al. 2021). Default 0.01.</summary>
    public float AdaptiveEta { get; set; } = 0.01f;

    /// <summary>m-sharpness: rows per perturbation; each sub-batch of m rows gets its own ε and the gradients are averaged. 0 (default) uses the whole batch.</summary>
    public int SharpnessBatchSize { get; set; }

    /// <summary>
    /// The optimizer that takes each step, alone or under SAM/ASAM (<see cref="Optimizer"/>). Default <see cref="Sharpness.BaseOptimizer.Sgd"/>.
    /// <see cref="Momentum"/> and <see cref="Nesterov"/> are SGD's; <see cref="Beta1"/>, <see cref="Beta2"/> and <see cref="AdamEpsilon"/> are
    /// Adam's and AdamW's; setting one away from its default for the other kind is rejected.
    /// </summary>
    public BaseOptimizer BaseOptimizer { get; set; } = BaseOptimizer.Sgd;

    /// <summary>The base optimizer's learning rate (the schedule's peak). Default 0.05 (for SGD; Adam's usual value is about 1e-3).</summary>
    public float LearningRate { get; set; } = 0.05f;

    /// <summary>SGD's momentum μ in [0, 1) (<see cref="Sharpness.BaseOptimizer.Sgd"/> only; must stay at the default with Adam/AdamW, whose momentum is <see cref="Beta1"/>). Default 0.9.</summary>
    public float Momentum { get; set; } = 0.9f;

    /// <summary>Whether SGD uses Nesterov momentum (<see cref="Sharpness.BaseOptimizer.Sgd"/> only). Default false.</summary>
    public bool Nesterov { get; set; }

    /// <summary>
    /// The weight decay λ ≥ 0: L2 (λw added to the gradient) for <see cref="Sharpness.BaseOptimizer.Sgd"/> and <see cref="Sharpness.BaseOptimizer.Adam"/>,
    /// decoupled (w ← w·(1 − lr·λ)) for <see cref="Sharpness.BaseOptimizer.AdamW"/>. Default 5e-4.
    /// </summary>
    public float WeightDecay { get; set; } = 5e-4f;

    /// <summary>Adam's/AdamW's first-moment decay β₁ in [0, 1): m ← β₁m + (1 − β₁)g (Kingma and Ba 2015). Default 0.9.</summary>
    public float Beta1 { get; set; } = 0.9f;

    /// <summary>Adam's/AdamW's second-moment decay β₂ in [0, 1): v ← β₂v + (1 − β₂)g² (Kingma and Ba 2015). Default 0.999.</summary>
    public float Beta2 { get; set; } = 0.999f;

    /// <summary>Adam's/AdamW's ε &gt; 0 in w ← w − lr·m̂/(√v̂ + ε) (Kingma and Ba 2015). Default 1e-8.</summary>
    public float AdamEpsilon { get; set; } = 1e-8f;

    /// <summary>
    /// Global L2 norm clipping of the gradient the base optimizer steps with (Pascanu et al. 2013): g ← g·min(1, c/‖g‖₂), the norm over
    /// all parameters together. Under SAM/ASAM it clips the gradient at w + ε, never the gradient that defines ε. 0 (default) turns it off.
    /// </summary>
    public float GradientClipNorm { get; set; }

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

    /// <summary>
    /// Seed of weight initialization, shuffling, augmentation, dropout and the validation split. Default null: the MLContext's seed
    /// (<c>new MLContext(seed)</c>), or 1 when the context has none, so that runs repeat by default; the trained model records the seed
    /// used. The same seed, data and thread count give identical weights on the CPU.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>Random transformations of the training batches, applied on the training device. Default <see cref="ImageAugmentation.None"/>.</summary>
    public ImageAugmentation Augmentation { get; set; }

    /// <summary>Zero padding, in pixels on each side, before <see cref="ImageAugmentation.CropAndFlip"/>'s random crop; at most the image's height and width. Default 4.</summary>
    public int AugmentationPadding { get; set; } = 4;

    /// <summary>The side, in pixels, of <see cref="ImageAugmentation.Cutout"/>'s square; at most the image's larger side. Default 8 (DeVries and Taylor use 16 for 32×32 CIFAR-10).</summary>
    public int CutoutSize { get; set; } = 8;

    /// <summary>
    /// The fraction of the training rows held out for validation when no <see cref="SamImageClassifierOptions.ValidationSet"/> is given:
    /// a stratified, seeded split (each class keeps this share of its rows, rounded, at least one row of any class that has two), in
    /// [0, 1). Default 0: train on every row.
    /// </summary>
    public double ValidationFraction { get; set; }

    /// <summary>
    /// Early stopping: stop when <see cref="EarlyStoppingMetric"/> has not improved for this many epochs, and keep the weights (and
    /// BatchNorm statistics) of the best epoch. Needs validation rows (<see cref="SamImageClassifierOptions.ValidationSet"/> or
    /// <see cref="ValidationFraction"/>). Default 0: train all <see cref="Epochs"/> and keep the last weights.
    /// </summary>
    public int EarlyStoppingPatience { get; set; }

    /// <summary>What <see cref="EarlyStoppingPatience"/> watches. Default <see cref="Sharpness.EarlyStoppingMetric.ValidationAccuracy"/>.</summary>
    public EarlyStoppingMetric EarlyStoppingMetric { get; set; }

    /// <summary>
    /// Measure sharpness during training (λ₁, weight norm, SAM sharpness, gradient-noise trace on a fixed sample of training rows)
    /// and record it in <see cref="TrainingEpochReport.Sharpness"/> and <see cref="SamImageClassifierModelInfo.SharpnessHistory"/>.
    /// Default null: off.
    /// </summary>
    public SharpnessMonitorOptions? SharpnessMonitor { get; set; }

    /// <summary>A copy holding only these settings (not the derived options' data, columns or callbacks).</summary>
    public TrainingSettings CopySettings() =>
        JsonSerializer.Deserialize<TrainingSettings>(JsonSerializer.Serialize(this, SettingsJson), SettingsJson)!;

    internal static readonly JsonSerializerOptions SettingsJson = new() { Converters = { new JsonStringEnumConverter() } };
}
