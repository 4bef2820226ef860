namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>How much a study's evaluation computes: everything it asks for, or a quick look (<see cref="QuickProfile"/>).</summary>
internal enum EvaluationProfile
{
    /// <summary>The study's settings as written.</summary>
    Full,

    /// <summary>Fewer rows and products, 1-D landscapes only, no spectra (<see cref="QuickProfile"/>).</summary>
    Quick,
}

/// <summary>How a study evaluates each trained model with <c>EvaluateWithSharpness</c>.</summary>
internal sealed class EvaluationSettings
{
    /// <summary>Full (default) or Quick: a quick profile scales the settings below and the landscapes down when the study is read.</summary>
    public EvaluationProfile Profile { get; set; } = EvaluationProfile.Full;

    /// <summary>Training rows (a seeded shuffle of the training set) the sharpness measures use. Default 1000.</summary>
    public int TrainRows { get; set; } = 1000;

    /// <summary>Test rows (a seeded shuffle) for the sharpness measures on test data. Default 1000.</summary>
    public int TestRows { get; set; } = 1000;

    /// <summary>Measures on the training rows. Default: every measure but the density.</summary>
    public SharpnessMeasures TrainMeasures { get; set; } = SharpnessMeasures.Default;

    /// <summary>Measures on the test rows. Default: every measure but the density.</summary>
    public SharpnessMeasures TestMeasures { get; set; } = SharpnessMeasures.Default;

    /// <summary>Keskar's ε values. Default [1e-3, 5e-4] (Keskar et al. Table 3).</summary>
    public List<double> KeskarEpsilons { get; set; } = [1e-3, 5e-4];

    /// <summary>SAM radii. Default [0.05].</summary>
    public List<double> Rhos { get; set; } = [0.05];

    /// <summary>Hessian-vector products of the trace estimate. Default 24.</summary>
    public int TraceProbes { get; set; } = 24;

    /// <summary>At most this many power iterations (Hessian-vector products) for the top eigenvalues. Default 100.</summary>
    public int PowerIterations { get; set; } = 100;

    /// <summary>Gradient passes of Keskar's maximization per ε. Default 10.</summary>
    public int KeskarIterations { get; set; } = 10;


    /// <summary>The evaluator options for the given measures and rows.</summary>
    public SharpnessEvaluationOptions ToOptions(SharpnessMeasures measures, int rows, int? threads) => new()
    {
        Measures = measures,
        MaxRows = rows,
        KeskarEpsilons = [.. KeskarEpsilons],
        Rhos = [.. Rhos],
        TraceProbes = TraceProbes,
        PowerIterations = PowerIterations,
        KeskarIterations = KeskarIterations,
        NumberOfThreads = threads,
    };
}

/// <summary>The landscapes and spectra a study draws, by run name (the first seed's models).</summary>
internal sealed class LandscapeSettings
{
    /// <summary>Pairs of runs to interpolate between: α ∈ [−1, 2] (Keskar et al. Fig. 3), train and test loss and accuracy.</summary>
    public List<List<string>> Interpolations { get; set; } = [];

    /// <summary>
    /// Pairs of models to connect by a trained quadratic Bézier curve (mode connectivity, Garipov et al. 2018), e.g. <c>[["SGD#1", "SGD#2"]]</c>:
    /// each end is a run name (its first seed's model) or <c>run#seed</c> (that seed's model, a seed of the study). Loss and accuracy along the
    /// curve and the straight line, train and test; the curve trains on the first <see cref="Rows"/> training rows.
    /// </summary>
    public List<List<string>> Curves { get; set; } = [];

    /// <summary>Epochs the curve's bend trains for. Default 10.</summary>
    public int CurveEpochs { get; set; } = 10;

    /// <summary>SGD learning rate of the curve's bend (momentum 0.9, batch 128). Default 0.01.</summary>
    public double CurveLearningRate { get; set; } = 0.01;

    /// <summary>Runs to draw 1-D filter-normalized random-direction curves for, in one chart.</summary>
    public List<string> RandomDirections { get; set; } = [];

    /// <summary>Runs to draw a 2-D filter-normalized random-direction contour plot for, one chart each.</summary>
    public List<string> Surfaces { get; set; } = [];

    /// <summary>Runs whose Hessian eigenvalue density (stochastic Lanczos quadrature) is drawn, in one chart.</summary>
    public List<string> Spectra { get; set; } = [];

    /// <summary>Rows (of the training set; test rows for the test curves) each landscape point is evaluated on, and a Bézier curve trains on. Default 1000.</summary>
    public int Rows { get; set; } = 1000;

    /// <summary>Points of a 1-D curve. Default 31.</summary>
    public int Points { get; set; } = 31;

    /// <summary>Points per axis of a 2-D surface. Default 21.</summary>
    public int SurfacePoints { get; set; } = 21;

    /// <summary>Lanczos steps of the density. Default 80.</summary>
    public int LanczosSteps { get; set; } = 80;
}
