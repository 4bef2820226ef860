using System.Text.Json;
using System.Text.Json.Serialization;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// A study read from a JSON file: the data, the runs (named trainer configurations) × seeds, how each trained model is
/// evaluated, and which landscapes to draw. Relative paths are resolved against the file's folder.
/// </summary>
internal sealed class StudyDefinition
{
    /// <summary>Short name, used for the report title and folder names.</summary>
    public string Name { get; set; } = "study";

    /// <summary>One sentence on what the study shows, for the report.</summary>
    public string Description { get; set; } = "";

    /// <summary>A folder written by <c>sharpness-lab data</c>: <c>train.tsv</c>, <c>test.tsv</c> and the PNG folders they index.</summary>
    public string Data { get; set; } = "";

    /// <summary>Keep only this many training rows (a stratified, seeded sample); null for all.</summary>
    public int? TrainRows { get; set; }

    /// <summary>Keep only this many test rows (a stratified, seeded sample); null for all.</summary>
    public int? TestRows { get; set; }

    /// <summary>The seeds every run is trained with. Default [1].</summary>
    public List<int> Seeds { get; set; } = [1];

    /// <summary>TorchSharp threads; null leaves TorchSharp's choice.</summary>
    public int? Threads { get; set; }

    /// <summary>Settings every run starts from; a run overrides what it names.</summary>
    public RunSettings Defaults { get; set; } = new();

    /// <summary>The runs, in order; a run may warm-start from an earlier one.</summary>
    public List<RunSettings> Runs { get; set; } = [];

    /// <summary>How each model is evaluated.</summary>
    public EvaluationSettings Evaluation { get; set; } = new();

    /// <summary>Loss landscapes and spectra to draw; null for none.</summary>
    public LandscapeSettings? Landscapes { get; set; }

    /// <summary>The folder of the file the study was read from (for relative paths).</summary>
    [JsonIgnore]
    public string BaseFolder { get; set; } = ".";

    /// <summary>Where <see cref="Data"/> is, resolved.</summary>
    [JsonIgnore]
    public string DataFolder => Path.GetFullPath(Path.Combine(BaseFolder, Data));

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>Reads and checks a study file.</summary>
    /// <exception cref="StudyException">The file is missing, is not valid JSON for a study, or describes an impossible study.</exception>
    public static StudyDefinition Load(string path)
    {
        if (!File.Exists(path))
            throw new StudyException($"The study file '{path}' does not exist.");
        var study = Parse(File.ReadAllText(path), path);
        study.BaseFolder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return study;
    }

    /// <summary>Parses and checks study JSON; <paramref name="source"/> names it in messages.</summary>
    public static StudyDefinition Parse(string json, string source)
    {
        StudyDefinition? study;
        try
        {
            study = JsonSerializer.Deserialize<StudyDefinition>(json, Json);
        }
        catch (JsonException e)
        {
            throw new StudyException($"{source}: {e.Message}");
        }
        if (study is null) throw new StudyException($"{source}: the file holds no study.");
        study.Validate(source);
        if (study.Evaluation.Profile == EvaluationProfile.Quick) QuickProfile.Apply(study);
        return study;
    }

    /// <summary>The runs with the defaults filled in, in order.</summary>
    public IReadOnlyList<RunSettings> ResolvedRuns() => [.. Runs.Select(run => run.Over(Defaults))];

    private void Validate(string source)
    {
        void Require(bool condition, string message)
        {
            if (!condition) throw new StudyException($"{source}: {message}");
        }
        Require(!string.IsNullOrWhiteSpace(Data), "\"data\" must name a folder written by `sharpness-lab data`.");
        Require(Runs.Count > 0, "\"runs\" is empty; name at least one run.");
        Require(Seeds.Count > 0 && Seeds.Distinct().Count() == Seeds.Count, "\"seeds\" must list at least one seed, each once.");
        Require(TrainRows is null or > 1 && TestRows is null or > 0, "\"trainRows\" and \"testRows\" must be positive when given.");
        TrainingOverrides.Check(Defaults.Training, $"{source}: \"defaults\"");
        foreach (var (run, index) in Runs.Select((run, index) => (run, index)))
            TrainingOverrides.Check(run.Training, $"{source}: run \"{run.Name ?? $"#{index + 1}"}\"");
        var names = new HashSet<string>();
        foreach (var run in ResolvedRuns())
        {
            Require(!string.IsNullOrWhiteSpace(run.Name), "every run needs a \"name\".");
            Require(names.Add(run.Name!), $"two runs are named \"{run.Name}\".");
            Require(run.WarmStartFrom is null || names.Contains(run.WarmStartFrom) && run.WarmStartFrom != run.Name,
                $"run \"{run.Name}\" warm-starts from \"{run.WarmStartFrom}\", which is not an earlier run.");
            Require(run.BatchFraction is null || run.BatchFraction is > 0 and <= 1, $"run \"{run.Name}\": \"batchFraction\" must be in (0, 1].");
            Require(run.LabelNoise is null || run.LabelNoise is >= 0 and < 1, $"run \"{run.Name}\": \"labelNoise\" must be a fraction in [0, 1).");
            Require(run.LabelNoiseKind is null || Enum.IsDefined(run.LabelNoiseKind.Value), $"run \"{run.Name}\": \"labelNoiseKind\" must be Symmetric or Pairwise.");
        }
        var runNames = names;
        if (Landscapes is { } l)
        {
            foreach (var name in l.RandomDirections.Concat(l.Surfaces).Concat(l.Spectra).Concat(l.Interpolations.SelectMany(pair => pair)))
                Require(runNames.Contains(name), $"\"landscapes\" names the run \"{name}\", which the study does not have.");
            Require(l.Interpolations.All(pair => pair.Count == 2), "each of \"landscapes.interpolations\" is a pair of run names.");
            Require(l.Curves.All(pair => pair.Count == 2), "each of \"landscapes.curves\" is a pair of models: run names or \"run#seed\".");
            foreach (var end in l.Curves.SelectMany(pair => pair).Select(CurveEnd.Parse))
            {
                Require(runNames.Contains(end.Run), $"\"landscapes.curves\" names the run \"{end.Run}\", which the study does not have.");
                Require(end.Seed is null || Seeds.Contains(end.Seed.Value), $"\"landscapes.curves\" names seed {end.Seed} of \"{end.Run}\", which is not one of the study's \"seeds\".");
            }
            Require(l.Curves.All(pair => CurveEnd.Parse(pair[0]).Resolve(Seeds[0]) != CurveEnd.Parse(pair[1]).Resolve(Seeds[0])),
                "a pair of \"landscapes.curves\" connects a model to itself; name two runs or two seeds (\"run#1\", \"run#2\").");
            Require(l.CurveEpochs >= 0 && double.IsFinite(l.CurveLearningRate) && l.CurveLearningRate > 0,
                "\"landscapes.curveEpochs\" must be 0 or more and \"curveLearningRate\" positive.");
        }
    }
}

/// <summary>A study that cannot be read or run, with a message for the user.</summary>
internal sealed class StudyException(string message) : Exception(message);
