using System.Reflection;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>The ready-made studies shipped inside sharpness-lab (<c>Studies/Presets/*.json</c>).</summary>
internal static class StudyPresets
{
    private const string Prefix = "Presets.";

    /// <summary>The preset names, e.g. <c>sgd-vs-sam</c>.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [.. typeof(StudyPresets).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix)).Select(n => n[Prefix.Length..^".json".Length]).Order()];

    /// <summary>The JSON text of a preset.</summary>
    /// <exception cref="StudyException">No preset has that name.</exception>
    public static string Json(string name)
    {
        using var stream = typeof(StudyPresets).Assembly.GetManifestResourceStream($"{Prefix}{name}.json")
            ?? throw new StudyException($"There is no preset '{name}'. Presets: {string.Join(", ", Names)}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>A preset as a study; relative paths (its <c>data</c>) are resolved against <paramref name="baseFolder"/>.</summary>
    public static StudyDefinition Load(string name, string baseFolder)
    {
        var study = StudyDefinition.Parse(Json(name), $"preset {name}");
        study.BaseFolder = Path.GetFullPath(baseFolder);
        return study;
    }
}
