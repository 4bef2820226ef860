using System.Text.Json;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>A 1-D interpolation between two runs, on training and test rows.</summary>
/// <param name="From">The run at α = 0.</param>
/// <param name="To">The run at α = 1.</param>
/// <param name="Train">The curve on training rows.</param>
/// <param name="Test">The curve on test rows.</param>
internal sealed record InterpolationCurve(string From, string To, IReadOnlyList<LandscapePoint> Train, IReadOnlyList<LandscapePoint> Test);

/// <summary>The Hessian eigenvalue density of a run: SLQ nodes and weights.</summary>
internal sealed record SpectrumResult(string Run, IReadOnlyList<double> Nodes, IReadOnlyList<double> Weights);

/// <summary>Everything the landscape stage computed (or found computed earlier), by run name.</summary>
/// <param name="Interpolations">The interpolations between two runs.</param>
/// <param name="Directions">The random-direction curves, by run.</param>
/// <param name="Surfaces">The random-direction surfaces, by run.</param>
/// <param name="Spectra">The Hessian eigenvalue densities.</param>
/// <param name="Skipped">The landscapes not drawn because a run they need has not finished, each with the reason, e.g.
/// "interpolation SB → LB (LB (seed 1) has not finished)".</param>
internal sealed record LandscapeResults(
    IReadOnlyList<InterpolationCurve> Interpolations,
    IReadOnlyDictionary<string, IReadOnlyList<LandscapePoint>> Directions,
    IReadOnlyDictionary<string, IReadOnlyList<LandscapePoint>> Surfaces,
    IReadOnlyList<SpectrumResult> Spectra,
    IReadOnlyList<string> Skipped)
{
    /// <summary>No landscapes.</summary>
    public static LandscapeResults Empty { get; } = new([], new Dictionary<string, IReadOnlyList<LandscapePoint>>(), new Dictionary<string, IReadOnlyList<LandscapePoint>>(), [], []);
}

/// <summary>
/// Computes a study's landscapes with the first seed's models and keeps each as JSON in <c>landscapes/</c>; a file that
/// exists is read back instead of recomputed (resuming). Delete the folder after changing landscape settings. A landscape
/// of a run whose first-seed model is not among <c>finished</c> is skipped, with a note (a report of a sharded
/// study whose shards have not all finished).
/// </summary>
internal sealed class LandscapeStage(StudyDefinition study, string output, MLContext mlContext, StudyData data, IStudyProgress progress,
    Func<string, int, ITransformer> model, IReadOnlySet<string> finished)
{
    private readonly string folder = Path.Combine(output, "landscapes");

    public LandscapeResults Run()
    {
        if (study.Landscapes is not { } settings) return LandscapeResults.Empty;
        Directory.CreateDirectory(folder);
        int seed = study.Seeds[0];
        var skipped = new List<string>();
        bool Ready(string description, params string[] runs)
        {
            var missing = runs.Where(run => !finished.Contains(run)).Select(run => $"{run} (seed {seed})").ToList();
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
        return new LandscapeResults(interpolations, directions.ToDictionary(p => p.Key, p => p.Value), surfaces.ToDictionary(p => p.Key, p => p.Value), spectra,
            [.. skipped]);
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
