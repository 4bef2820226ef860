using Microsoft.ML.Sharpness.Optimization;
using TorchSharp.Modules;
using static Microsoft.ML.Sharpness.Tests.Optimization.SharpnessAwareStepTests;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Tests.Optimization;

[TestClass]
public sealed class BaseOptimizerTests
{
    private const double Rho = 0.2, Eta = 0.05, Tolerance = 2e-6;

    /// <summary>Settings away from the defaults, so a value passed to the wrong argument shows: Adam's ε = 1e-3 also makes the step depend on the gradient's size, not only its sign.</summary>
    private static TrainingSettings Settings(BaseOptimizer kind) => kind == BaseOptimizer.Sgd
        ? new TrainingSettings { BaseOptimizer = kind, LearningRate = 0.5f, Momentum = 0.8f, Nesterov = true, WeightDecay = 0.1f }
        : new TrainingSettings { BaseOptimizer = kind, LearningRate = 0.1f, WeightDecay = 0.1f, Beta1 = 0.8f, Beta2 = 0.95f, AdamEpsilon = 1e-3f };

    /// <summary>Runs <paramref name="steps"/> steps of <paramref name="sharpness"/> over the base optimizer the settings name, as the training loop builds it.</summary>
    private static double[][] Trajectory(TrainingSettings settings, SharpnessOptimizer sharpness, int steps, int rowsPerPerturbation = 0, double clip = 0)
    {
        var (x, y) = Batch();
        using var model = SoftmaxModel(seed: 3);
        using var optimizer = BaseOptimizers.Create(model.parameters(), settings);
        var stepper = new SharpnessAwareStep(model, optimizer, sharpness, Rho, Eta, rowsPerPerturbation, labelSmoothing: 0, gradientClipNorm: clip);
        var trajectory = new List<double[]> { ReferenceOf(model).Flatten() };
        for (int t = 0; t < steps; t++)
        {
            stepper.Step(Tensor(x), tensor(y.Select(v => (long)v).ToArray()));
            trajectory.Add(ReferenceOf(model).Flatten());
        }
        return trajectory.ToArray();
    }

    /// <summary>The gradient a step over weights <paramref name="w"/> hands the base optimizer: Σⱼ (nⱼ/B)·∇L_j(w + εⱼ), ε from the raw gradient (none for plain steps).</summary>
    private static double[] SteppingGradient(double[] w, SharpnessOptimizer sharpness, int rowsPerPerturbation)
    {
        var (x, y) = Batch();
        var reference = SoftmaxRegression.FromFlat(w, Classes, Inputs);
        var total = new double[w.Length];
        foreach (var (start, length) in SubBatches.Split(Rows, rowsPerPerturbation))
        {
            double[][] xs = x.Skip((int)start).Take((int)length).ToArray();
            int[] ys = y.Skip((int)start).Take((int)length).ToArray();
            double[] g = sharpness == SharpnessOptimizer.Sgd ? reference.Gradient(xs, ys)
                : reference.PerturbedGradient(xs, ys, Rho, sharpness == SharpnessOptimizer.AdaptiveSam ? Eta : null);
            for (int i = 0; i < g.Length; i++) total[i] += g[i] * length / Rows;
        }
        return total;
    }

    private static void AssertClose(double[] expected, double[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], Tolerance, $"{what}, parameter {i}");
    }

    private static double MaxDifference(double[] a, double[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));

    [TestMethod]
    [DataRow(BaseOptimizer.Adam)]
    [DataRow(BaseOptimizer.AdamW)]
    [DataRow(BaseOptimizer.Sgd)]
    public void TwoPlainStepsMatchTheHandComputedUpdate(BaseOptimizer kind)
    {
        var settings = Settings(kind);
        double[][] actual = Trajectory(settings, SharpnessOptimizer.Sgd, steps: 2);
        var hand = new ReferenceOptimizer(settings);
        double[] w = actual[0];
        for (int t = 1; t <= 2; t++)
        {
            w = hand.Step(w, SteppingGradient(w, SharpnessOptimizer.Sgd, 0), settings.LearningRate);
            AssertClose(w, actual[t], $"{kind} step {t}");
            Assert.IsGreaterThan(1e-3, MaxDifference(actual[t], actual[t - 1]), "each step moves the weights well beyond the tolerance");
        }
    }

    [TestMethod]
    public void AdamsL2DecayAndAdamWsDecoupledDecayGiveDifferentSteps()
    {
        // The same settings and gradients; only where λ enters differs (in the moments, or as w·(1 − lr·λ)).
        double[] adam = Trajectory(Settings(BaseOptimizer.Adam), SharpnessOptimizer.Sgd, steps: 2)[2];
        double[] adamW = Trajectory(Settings(BaseOptimizer.AdamW), SharpnessOptimizer.Sgd, steps: 2)[2];
        Assert.IsGreaterThan(100 * Tolerance, MaxDifference(adam, adamW));
    }

    [TestMethod]
    [DataRow(SharpnessOptimizer.Sam, BaseOptimizer.AdamW, 0)]
    [DataRow(SharpnessOptimizer.Sam, BaseOptimizer.AdamW, 4)]
    [DataRow(SharpnessOptimizer.AdaptiveSam, BaseOptimizer.Adam, 0)]
    public void SharpnessAwareStepsOverAdamUseTheGradientAtThePerturbedWeights(SharpnessOptimizer sharpness, BaseOptimizer kind, int rowsPerPerturbation)
    {
        // Hand-computed: ε = ρ·g/‖g‖₂ (ASAM: ρ·T²g/‖Tg‖₂) from the raw gradient g at w; Adam/AdamW steps from w with ∇L(w + ε).
        var settings = Settings(kind);
        double[][] actual = Trajectory(settings, sharpness, steps: 2, rowsPerPerturbation);
        var hand = new ReferenceOptimizer(settings);
        double[] w = actual[0];
        for (int t = 1; t <= 2; t++)
        {
            w = hand.Step(w, SteppingGradient(w, sharpness, rowsPerPerturbation), settings.LearningRate);
            AssertClose(w, actual[t], $"{sharpness} over {kind} step {t}");
        }
        // The perturbed gradient must matter beyond the tolerance, or the comparison would not tell SAM from plain Adam.
        double[] plain = Trajectory(settings, SharpnessOptimizer.Sgd, steps: 2)[2];
        Assert.IsGreaterThan(100 * Tolerance, MaxDifference(plain, actual[2]));
    }

    [TestMethod]
    [DataRow(SharpnessOptimizer.Sgd, 0)]
    [DataRow(SharpnessOptimizer.Sam, 0)]
    [DataRow(SharpnessOptimizer.Sam, 4)]
    [DataRow(SharpnessOptimizer.AdaptiveSam, 3)]
    public void ClippingScalesTheSteppingGradientToTheNorm(SharpnessOptimizer sharpness, int rowsPerPerturbation)
    {
        // Plain SGD (no momentum or decay on the first step's view of it): Δw = −lr·g·c/‖g‖₂, so ‖Δw‖ = lr·c exactly. g is the
        // gradient at w + ε (ε from the raw, unclipped gradient), averaged over the sub-batches before it is clipped.
        var settings = new TrainingSettings { LearningRate = 0.5f, Momentum = 0.9f, WeightDecay = 0 };
        double[] w = Trajectory(settings, sharpness, steps: 0)[0];
        double[] g = SteppingGradient(w, sharpness, rowsPerPerturbation);
        double c = 0.4 * ReferenceOptimizer.Norm(g);
        double[] actual = Trajectory(settings, sharpness, steps: 1, rowsPerPerturbation, clip: c)[1];

        double[] clipped = ReferenceOptimizer.Clip(g, c);
        AssertClose(w.Select((wi, i) => wi - settings.LearningRate * clipped[i]).ToArray(), actual, "clipped step");
        Assert.AreEqual(settings.LearningRate * c, ReferenceOptimizer.Norm(actual.Zip(w, (a, b) => a - b).ToArray()), 1e-6, "‖Δw‖ = lr·c");
        double[] unclipped = Trajectory(settings, sharpness, steps: 1, rowsPerPerturbation)[1];
        Assert.IsGreaterThan(100 * Tolerance, MaxDifference(unclipped, actual), "the clipping changed the step");
    }

    [TestMethod]
    [DataRow(SharpnessOptimizer.Sam, BaseOptimizer.AdamW)]
    [DataRow(SharpnessOptimizer.Sgd, BaseOptimizer.Sgd)]
    public void ClippingAboveTheGradientNormChangesNothing(SharpnessOptimizer sharpness, BaseOptimizer kind)
    {
        var settings = Settings(kind);
        double[] w = Trajectory(settings, sharpness, steps: 0)[0];
        double c = 2 * ReferenceOptimizer.Norm(SteppingGradient(w, sharpness, 0));
        CollectionAssert.AreEqual(Trajectory(settings, sharpness, steps: 2)[2], Trajectory(settings, sharpness, steps: 2, clip: c)[2]);
    }

    [TestMethod]
    [DataRow(nameof(TrainingSettings.Beta1), 1.0, BaseOptimizer.Adam, "[0, 1)")]
    [DataRow(nameof(TrainingSettings.Beta1), -0.1, BaseOptimizer.AdamW, "[0, 1)")]
    [DataRow(nameof(TrainingSettings.Beta2), 1.0, BaseOptimizer.Adam, "[0, 1)")]
    [DataRow(nameof(TrainingSettings.Beta2), double.NaN, BaseOptimizer.Adam, "[0, 1)")]
    [DataRow(nameof(TrainingSettings.AdamEpsilon), 0.0, BaseOptimizer.Adam, "ε > 0")]
    [DataRow(nameof(TrainingSettings.AdamEpsilon), double.PositiveInfinity, BaseOptimizer.AdamW, "finite ε > 0")]
    [DataRow(nameof(TrainingSettings.GradientClipNorm), -1.0, BaseOptimizer.Sgd, "≥ 0")]
    [DataRow(nameof(TrainingSettings.GradientClipNorm), double.NaN, BaseOptimizer.AdamW, "finite norm")]
    [DataRow(nameof(TrainingSettings.BaseOptimizer), 7.0, BaseOptimizer.Sgd, "one of Sgd, Adam, AdamW")]
    // One base optimizer's option set while another trains: named with the base optimizer that ignores it.
    [DataRow(nameof(TrainingSettings.Beta1), 0.8, BaseOptimizer.Sgd, "BaseOptimizer Sgd")]
    [DataRow(nameof(TrainingSettings.Beta2), 0.99, BaseOptimizer.Sgd, "BaseOptimizer Sgd")]
    [DataRow(nameof(TrainingSettings.AdamEpsilon), 1e-6, BaseOptimizer.Sgd, "BaseOptimizer Sgd")]
    [DataRow(nameof(TrainingSettings.Nesterov), 1.0, BaseOptimizer.Adam, "BaseOptimizer Adam")]
    [DataRow(nameof(TrainingSettings.Momentum), 0.5, BaseOptimizer.AdamW, "BaseOptimizer AdamW")]
    [DataRow(nameof(TrainingSettings.Momentum), 0.0, BaseOptimizer.Adam, "Beta1")]
    public void BadBaseOptimizerOptionsAreRejectedNamingTheOption(string option, double value, BaseOptimizer kind, string expected)
    {
        var options = new SamImageClassifierOptions { BaseOptimizer = kind };
        var property = typeof(SamImageClassifierOptions).GetProperty(option)!;
        property.SetValue(options, property.PropertyType.IsEnum ? Enum.ToObject(property.PropertyType, (int)value) : Convert.ChangeType(value, property.PropertyType));
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().MulticlassClassification.Trainers.SamImageClassifier(options));
        Assert.AreEqual(option, error.ParamName);
        // "SamImageClassifierOptions.Beta1 is 0.8; expected …", the value as the current culture writes it.
        StringAssert.Contains(error.Message, $"SamImageClassifierOptions.{option} is {property.GetValue(options)}; expected");
        StringAssert.Contains(error.Message, expected);
    }

    [TestMethod]
    public void EachBaseOptimizersOwnOptionsAreAccepted()
    {
        var ml = new MLContext();
        ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { BaseOptimizer = BaseOptimizer.Adam, Beta1 = 0.5f, Beta2 = 0.9f, AdamEpsilon = 1e-6f, GradientClipNorm = 1 });
        ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { BaseOptimizer = BaseOptimizer.AdamW, WeightDecay = 0.05f, Beta1 = 0 });
        ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions { Momentum = 0.5f, Nesterov = true, GradientClipNorm = 2 });
    }

    private sealed class Collector : IProgress<TrainingEpochReport>
    {
        public List<TrainingEpochReport> Reports { get; } = new();
        public void Report(TrainingEpochReport value) => Reports.Add(value);
    }

    [TestMethod]
    public void SamOverAdamWTrainsAndItsSavedModelSaysSo()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) => { if (e.Source == "SamImageClassifier") messages.Add(e.Message); };
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(96, 3, seed: 21));
        var progress = new Collector();
        using var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Optimizer = SharpnessOptimizer.Sam, BaseOptimizer = BaseOptimizer.AdamW, LearningRate = 0.005f, WeightDecay = 0.01f, GradientClipNorm = 5,
            Epochs = 3, BatchSize = 16, NumberOfThreads = 1, Progress = progress,
        }).Fit(data);

        Assert.HasCount(3, progress.Reports);
        Assert.IsLessThan(progress.Reports[0].TrainLoss, progress.Reports[2].TrainLoss, "the loss goes down on an easy problem");
        string start = messages.First(m => m.Contains("Training a"));
        StringAssert.Contains(start, "with Sam over AdamW (gradients clipped to norm 5) on 96 rows");

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = new MLContext().Model.Load(stream, out _);
        using var rebuilt = SamImageClassifierModel.FromTransformer(loaded);
        var training = rebuilt.Info.Training;
        Assert.AreEqual((BaseOptimizer.AdamW, SharpnessOptimizer.Sam, 5f, 0.9f, 0.999f, 1e-8f),
            (training.BaseOptimizer, training.Optimizer, training.GradientClipNorm, training.Beta1, training.Beta2, training.AdamEpsilon));
    }
}
