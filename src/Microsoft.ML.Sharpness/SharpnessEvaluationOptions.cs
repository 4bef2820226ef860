namespace Microsoft.ML.Sharpness;

/// <summary>The measures that <see cref="SharpnessEvaluationCatalog.EvaluateWithSharpness"/> can compute; combine with |.</summary>
[Flags]
public enum SharpnessMeasures
{
    /// <summary>Only the loss and the standard metrics.</summary>
    None = 0,
    /// <summary>Keskar ε-sharpness in the full parameter space, one maximization per ε.</summary>
    KeskarFullSpace = 1 << 0,
    /// <summary>Keskar ε-sharpness in a random subspace of <see cref="SharpnessEvaluationOptions.KeskarSubspaceDimension"/> dimensions.</summary>
    KeskarSubspace = 1 << 1,
    /// <summary>SAM sharpness max over ‖ε‖₂ ≤ ρ of L(w + ε) − L(w), one value per ρ.</summary>
    Sam = 1 << 2,
    /// <summary>Adaptive (ASAM) sharpness over the ρ-ball scaled by |w| + η, one value per ρ.</summary>
    AdaptiveSam = 1 << 3,
    /// <summary>m-sharpness: the mean SAM sharpness of disjoint sub-batches of m rows, one value per ρ.</summary>
    MSharpness = 1 << 4,
    /// <summary>The top Hessian eigenvalues by power iteration.</summary>
    HessianEigenvalues = 1 << 5,
    /// <summary>The Hessian trace by Hutch++ (default) or Hutchinson's estimator (<see cref="SharpnessEvaluationOptions.TraceEstimator"/>).</summary>
    HessianTrace = 1 << 6,
    /// <summary>The Hessian eigenvalue density by stochastic Lanczos quadrature (for plots).</summary>
    HessianDensity = 1 << 7,
    /// <summary>Empirical and model Fisher traces, and the Fisher–Rao norm.</summary>
    Fisher = 1 << 8,
    /// <summary>Minibatch-gradient measures: local generalization measure, mean cosine, gradient-noise trace.</summary>
    MinibatchGradients = 1 << 9,
    /// <summary>Every measure except the Hessian density: the default.</summary>
    Default = KeskarFullSpace | KeskarSubspace | Sam | AdaptiveSam | MSharpness | HessianEigenvalues | HessianTrace | Fisher | MinibatchGradients,
    /// <summary>Every measure.</summary>
    All = Default | HessianDensity,
}

/// <summary>Estimators of the Hessian trace.</summary>
public enum HessianTraceEstimator
{
    /// <summary>Hutchinson (1990): the mean of zᵀHz over Rademacher probes z.</summary>
    Hutchinson,
    /// <summary>Hutch++ (Meyer et al. 2021): the exact trace on a sketched top subspace plus Hutchinson on the rest; far lower variance when a few eigenvalues dominate, as for networks.</summary>
    HutchPlusPlus,
}

/// <summary>
/// Settings of <see cref="SharpnessEvaluationCatalog.EvaluateWithSharpness"/>. With the defaults the ConvNet on 1000 rows of
/// 28×28 images takes about 70 s on 2 CPU cores, more than half of it for the Hessian measures; docs/evaluator.md and
/// docs/benchmarks.md list what each measure costs.
/// </summary>
public sealed class SharpnessEvaluationOptions
{
    /// <summary>Which measures to compute. Default: <see cref="SharpnessMeasures.Default"/>.</summary>
    public SharpnessMeasures Measures { get; set; } = SharpnessMeasures.Default;

    /// <summary>The rows evaluated: the first <c>MaxRows</c> rows of the data, in data order, so that results are reproducible. Default 1000.</summary>
    public int MaxRows { get; set; } = 1000;

    /// <summary>K of the standard metrics' top-K accuracy (the true class among the K most probable). Default 5.</summary>
    public int TopKPredictionCount { get; set; } = 5;

    /// <summary>Seeds every random choice (subspace, probes, start vectors, minibatches, sampled labels). Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The ε of Keskar's box C_ε, one maximization each. Default {1e-3, 5e-4}, as in Keskar et al. (2017).</summary>
    public IReadOnlyList<double> KeskarEpsilons { get; set; } = new[] { 1e-3, 5e-4 };

    /// <summary>Ascent iterations of each Keskar maximization. Default 10, as in the paper.</summary>
    public int KeskarIterations { get; set; } = 10;

    /// <summary>p, the dimension of the random subspace for <see cref="SharpnessMeasures.KeskarSubspace"/>. Default 100, as in the paper.</summary>
    public int KeskarSubspaceDimension { get; set; } = 100;

    /// <summary>The radii ρ of SAM, adaptive and m-sharpness, one value each. Default {0.01, 0.05, 0.1}.</summary>
    public IReadOnlyList<double> Rhos { get; set; } = new[] { 0.01, 0.05, 0.1 };

    /// <summary>k, the normalized-gradient ascent steps of SAM, adaptive and m-sharpness; 1 is SAM's first-order ε. Default 1.</summary>
    public int SamAscentSteps { get; set; } = 1;

    /// <summary>η of adaptive sharpness, T = |w| + η. Default 0.01, as in Kwon et al. (2021).</summary>
    public double AdaptiveEta { get; set; } = 0.01;

    /// <summary>m, the rows per sub-batch of m-sharpness. Default 128.</summary>
    public int SharpnessBatchSize { get; set; } = 128;

    /// <summary>How many of the largest Hessian eigenvalues to find. Default 1.</summary>
    public int HessianEigenvalueCount { get; set; } = 1;

    /// <summary>The most power iterations per eigenvalue. Default 100.</summary>
    public int PowerIterations { get; set; } = 100;

    /// <summary>Power iteration stops when the eigenvalue changes by at most this fraction between iterations. Default 1e-3.</summary>
    public double PowerIterationTolerance { get; set; } = 1e-3;

    /// <summary>How the Hessian trace is estimated. Default <see cref="HessianTraceEstimator.HutchPlusPlus"/>.</summary>
    public HessianTraceEstimator TraceEstimator { get; set; } = HessianTraceEstimator.HutchPlusPlus;

    /// <summary>Hessian-vector products the trace estimate uses (each costs about four gradient passes over the rows). Default 24.</summary>
    public int TraceProbes { get; set; } = 24;

    /// <summary>Lanczos runs of the Hessian density. Default 1.</summary>
    public int DensityRuns { get; set; } = 1;

    /// <summary>Lanczos steps per density run. Default 80.</summary>
    public int DensityLanczosSteps { get; set; } = 80;

    /// <summary>Labels sampled per row for the model Fisher trace; 0 (the default) sums exactly over the classes.</summary>
    public int ModelFisherSamples { get; set; }

    /// <summary>B, the rows of each minibatch of the minibatch-gradient measures. Default 128.</summary>
    public int MinibatchSize { get; set; } = 128;

    /// <summary>Pairs of disjoint minibatches drawn for the minibatch-gradient measures. Default 20.</summary>
    public int MinibatchPairs { get; set; } = 20;

    /// <summary>Threads TorchSharp computes with; null leaves its setting unchanged.</summary>
    public int? NumberOfThreads { get; set; }
}
