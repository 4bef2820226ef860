using System.Text.Json;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>A 1-D interpolation between two runs, on training and test rows.</summary>
/// <param name="From">The run at α = 0.</param>
/// <param name="To">The run at α = 1.</param>
/// <param name="Train">The curve on training rows.</param>
/// <param name="Test">The curve on test rows.</param>
internal sealed record InterpolationCurve(string From, string To, IReadOnlyList<LandscapePoint> Train, IReadOnlyList<LandscapePoint> Test);

/// <summary>A trained Bézier curve between two models (Garipov et al. 2018) and the straight line, on training and test rows.</summary>
/// <param name="From">The model at t = 0, as the study names it ("run" or "run#seed").</param>
/// <param name="To">The model at t = 1.</param>
/// <param name="Curve">Along the curve on training rows.</param>
/// <param name="Line">Along the line on training rows.</param>
/// <param name="TestCurve">Along the curve on test rows.</param>
/// <param name="TestLine">Along the line on test rows.</param>
/// <param name="CurveBarrier">max_t L(t) − (L(0) + L(1))/2 along the curve, training rows.</param>
/// <param name="LineBarrier">The same along the line.</param>
internal sealed record ConnectionCurve(string From, string To, IReadOnlyList<LandscapePoint> Curve, IReadOnlyList<LandscapePoint> Line,
    IReadOnlyList<LandscapePoint> TestCurve, IReadOnlyList<LandscapePoint> TestLine, double CurveBarrier, double LineBarrier);

/// <summary>The Hessian eigenvalue density of a run: SLQ nodes and weights.</summary>
internal sealed record SpectrumResult(string Run, IReadOnlyList<double> Nodes, IReadOnlyList<double> Weights);

/// <summary>Everything the landscape stage computed (or found computed earlier), by run name.</summary>
/// <param name="Interpolations">The interpolations between two runs.</param>
/// <param name="Directions">The random-direction curves, by run.</param>
/// <param name="Surfaces">The random-direction surfaces, by run.</param>
/// <param name="Spectra">The Hessian eigenvalue densities.</param>
/// <param name="Curves">The trained Bézier curves between two models, with the straight lines (mode connectivity).</param>
/// <param name="Skipped">The landscapes not drawn because a run they need has not finished, each with the reason, e.g.
/// "interpolation SB → LB (LB (seed 1) has not finished)".</param>
internal sealed record LandscapeResults(
    IReadOnlyList<InterpolationCurve> Interpolations,
    IReadOnlyDictionary<string, IReadOnlyList<LandscapePoint>> Directions,
    IReadOnlyDictionary<string, IReadOnlyList<LandscapePoint>> Surfaces,
    IReadOnlyList<SpectrumResult> Spectra,
    IReadOnlyList<ConnectionCurve> Curves,
    IReadOnlyList<string> Skipped)
{
    /// <summary>No landscapes.</summary>
    public static LandscapeResults Empty { get; } = new([], new Dictionary<string, IReadOnlyList<LandscapePoint>>(), new Dictionary<string, IReadOnlyList<LandscapePoint>>(), [], [], []);
}

/// <summary>
/// Computes a study's landscapes with the first seed's models and keeps each as JSON in <c>landscapes/</c>; a file that
/// exists is read back instead of recomputed (resuming). Delete the folder after changing landscape settings. A landscape
/// of a run whose first-seed model is not among <c>finished</c> is skipped, with a note (a report of a sharded
/// study whose shards have not all finished).
/// </summary>
internal sealed class LandscapeStage(StudyDefinition study, string output, MLContext mlContext, StudyData data, IStudyProgress progress,
    Func<string, int, ITransformer> model, IReadOnlySet<(string Run, int Seed)> finished)
{
    private readonly string folder = Path.Combine(output, "landscapes");

    public LandscapeResults Run()
    {
        if (study.Landscapes is not { } settings) return LandscapeResults.Empty;
        Directory.CreateDirectory(folder);
        int seed = study.Seeds[0];
        var skipped = new List<string>();
        bool Ready(string description, params string[] runs) => ReadySeeds(description, [.. runs.Select(run => (run, seed))]);
        bool ReadySeeds(string description, params (string Run, int Seed)[] units)
        {
            var missing = units.Where(unit => !finished.Contains(unit)).Select(unit => $"{unit.Run} (seed {unit.Seed})").ToList();
            if (missing.Count == 0) return true;
            string note = $"{description} ({string.Join(" and ", missing)} {(missing.Count == 1 ? "has" : "have")} not finished)";
            progress.Stage($"Skipping the {note}");
            skipped.Add(note);
            return false;
        }
        var catalog = mlContext.MulticlassClassification;
        LossLandscapeOptions Options(int points, IDataView? batchNormData = null) => new()
        {
            MaxRows = settings.Rows, Points = points, Seed = seed, BatchNormData = batchNormData, NumberOfThreads = study.Threads,
        };

        var interpolations = settings.Interpolations.Where(pair => Ready($"interpolation {pair[0]} → {pair[1]}", pair[0], pair[1])).Select(pair =>
        {
            string name = $"interpolation-{StudyFolder.Slug(pair[0])}-to-{StudyFolder.Slug(pair[1])}";
            var train = Cached(name + "-train", $"interpolation {pair[0]} → {pair[1]} on training rows",
                () => catalog.InterpolateModels(model(pair[0], seed), model(pair[1], seed), data.TrainRaw, Options(settings.Points, data.TrainRaw)));
            var test = Cached(name + "-test", $"interpolation {pair[0]} → {pair[1]} on test rows",
                () => catalog.InterpolateModels(model(pair[0], seed), model(pair[1], seed), data.TestRaw, Options(settings.Points, data.TrainRaw)));
            return new InterpolationCurve(pair[0], pair[1], train, test);
        }).ToList();

        var directions = settings.RandomDirections.Where(run => Ready($"random-direction curve of {run}", run)).ToDictionary(run => run, run => Cached($"direction-{StudyFolder.Slug(run)}",
            $"random-direction curve of {run}", () => catalog.RandomDirectionLandscape(model(run, seed), data.TrainRaw, 1, Options(settings.Points))));
        var surfaces = settings.Surfaces.Where(run => Ready($"random-direction surface of {run}", run)).ToDictionary(run => run, run => Cached($"surface-{StudyFolder.Slug(run)}",
            $"random-direction surface of {run}", () => catalog.RandomDirectionLandscape(model(run, seed), data.TrainRaw, 2, Options(settings.SurfacePoints))));
        var spectra = settings.Spectra.Where(run => Ready($"Hessian eigenvalue density of {run}", run)).Select(run => Spectrum(run, seed, settings)).ToList();
        var curves = settings.Curves
            .Where(pair => ReadySeeds($"Bézier curve {pair[0]} → {pair[1]}", CurveEnd.Parse(pair[0]).Resolve(seed), CurveEnd.Parse(pair[1]).Resolve(seed)))
            .Select(pair => Connection(pair[0], pair[1], seed, settings)).ToList();
        return new LandscapeResults(interpolations, directions.ToDictionary(p => p.Key, p => p.Value), surfaces.ToDictionary(p => p.Key, p => p.Value), spectra, curves,
            [.. skipped]);
    }

    /// <summary>Trains the Bézier curve between two models (seeded with the study's first seed) and evaluates it and the line on training and test rows.</summary>
    private ConnectionCurve Connection(string from, string to, int seed, LandscapeSettings settings)
    {
        var (a, b) = (CurveEnd.Parse(from).Resolve(seed), CurveEnd.Parse(to).Resolve(seed));
        string name = $"curve-{StudyFolder.Slug($"{a.Run} seed{a.Seed}")}-to-{StudyFolder.Slug($"{b.Run} seed{b.Seed}")}";
        return Stored(name, $"Bézier curve {from} → {to}", () =>
        {
            var connection = mlContext.MulticlassClassification.ConnectModels(model(a.Run, a.Seed), model(b.Run, b.Seed), data.TrainRaw, new ModelConnectionOptions
            {
                Epochs = settings.CurveEpochs, LearningRate = settings.CurveLearningRate, Seed = seed, Points = settings.Points, MaxRows = settings.Rows,
                TestData = data.TestRaw, NumberOfThreads = study.Threads,
                Progress = new StudyRunner.SynchronousProgress<TrainingEpochReport>(report => progress.Stage($"  Bézier curve {from} → {to} {report}")),
            });
            progress.Stage($"Bézier curve {from} → {to}: training-loss barrier {connection.CurveLossBarrier:F4} on the curve, {connection.LineLossBarrier:F4} on the line " +
                $"({connection.Curve.Rows} rows, {connection.Seconds:F0} s)");
            return new ConnectionCurve(from, to, connection.Curve.Points, connection.Line.Points, connection.TestCurve!.Points, connection.TestLine!.Points,
                connection.CurveLossBarrier, connection.LineLossBarrier);
        });
    }

    private IReadOnlyList<LandscapePoint> Cached(string name, string description, Func<LossLandscape> compute) =>
        Stored(name, description, () =>
        {
            var landscape = compute();
            progress.Stage($"{description}: {landscape.Points.Count} points on {landscape.Rows} rows in {landscape.Seconds:F0} s");
            return landscape.Points.ToList();
        });

    private SpectrumResult Spectrum(string run, int seed, LandscapeSettings settings) =>
        Stored($"spectrum-{StudyFolder.Slug(run)}", $"Hessian eigenvalue density of {run}", () =>
        {
            var density = mlContext.MulticlassClassification.EvaluateWithSharpness(model(run, seed), data.TrainRaw, new SharpnessEvaluationOptions
            {
                Measures = SharpnessMeasures.HessianDensity, MaxRows = settings.Rows, DensityLanczosSteps = settings.LanczosSteps,
                Seed = seed, NumberOfThreads = study.Threads,
            }).HessianDensity!;
            return new SpectrumResult(run, density.Nodes, density.Weights);
        });

    /// <summary>Reads <c>name.json</c> when it exists; otherwise computes the value and writes it there (atomically).</summary>
    private T Stored<T>(string name, string description, Func<T> compute)
    {
        string path = Path.Combine(folder, name + ".json");
        if (File.Exists(path))
        {
            progress.Stage($"{description}: computed earlier ({Path.GetFileName(path)})");
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), StudyDefinition.Json)!;
        }
        progress.Stage($"{description}…");
        T value = compute();
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(value, StudyDefinition.Json));
        return value;
    }
}
