using System.Reflection;
using System.Text.Json;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// The <see cref="TrainingSettings"/> a study file may set, read from the class itself (so a new setting works in study files
/// with no lab change): checked by name and type, and applied to <see cref="SamImageClassifierOptions"/> through JSON.
/// </summary>
internal static class TrainingOverrides
{
    /// <summary>The settings the lab sets itself, with where a study sets them instead.</summary>
    private static readonly Dictionary<string, string> SetByTheLab = new()
    {
        [JsonName(nameof(TrainingSettings.Seed))] = "the study's \"seeds\"",
    };

    /// <summary>Shorter study-file names of settings: a run names its starting network as <c>"pretrainedModel"</c>.</summary>
    private static readonly Dictionary<string, string> Aliases = new()
    {
        ["pretrainedModel"] = JsonName(nameof(TrainingSettings.PretrainedModelPath)),
    };

    /// <summary>Each settable <see cref="TrainingSettings"/> property by its study-file (camelCase) name.</summary>
    private static readonly Dictionary<string, PropertyInfo> Properties = typeof(TrainingSettings)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && !SetByTheLab.ContainsKey(JsonName(p.Name)))
        .ToDictionary(p => JsonName(p.Name), StringComparer.Ordinal);

    /// <summary>The study-file name of a <see cref="TrainingSettings"/> property, e.g. <c>learningRateSchedule</c>.</summary>
    public static string JsonName(string property) => JsonNamingPolicy.CamelCase.ConvertName(property);

    /// <summary>Checks that every entry names a training setting and holds a value of its type.</summary>
    /// <exception cref="StudyException">An unknown name (the message lists the valid ones) or a value of the wrong type; <paramref name="owner"/> names where.</exception>
    public static void Check(IReadOnlyDictionary<string, JsonElement> settings, string owner)
    {
        foreach (var name in settings.Keys.Where(Aliases.ContainsKey).Where(alias => settings.ContainsKey(Aliases[alias])))
            throw new StudyException($"{owner}: \"{name}\" and \"{Aliases[name]}\" are the same setting; give one.");
        foreach (var (name, value) in Canonical(settings))
        {
            if (SetByTheLab.TryGetValue(name, out string? where))
                throw new StudyException($"{owner}: \"{name}\" is set by {where}, not per run.");
            if (!Properties.TryGetValue(name, out var property))
                throw new StudyException($"{owner}: \"{name}\" is not a setting; the training settings are {string.Join(", ", Properties.Keys.Select(k => $"\"{k}\""))}, " +
                    "and a run's own are \"name\", \"batchFraction\", \"warmStartFrom\", \"labelNoise\", \"labelNoiseKind\" and \"report\".");
            try
            {
                if (value.ValueKind == JsonValueKind.Null) throw new JsonException("null is not a value.");
                value.Deserialize(property.PropertyType, StudyDefinition.Json);
            }
            catch (JsonException e)
            {
                throw new StudyException($"{owner}: \"{name}\" must be {Describe(property.PropertyType)}; got {value.GetRawText()} ({e.Message})");
            }
        }
    }

    /// <summary>New trainer options with <paramref name="settings"/> (checked by <see cref="Check"/>) over the trainer's defaults.</summary>
    public static SamImageClassifierOptions Apply(IReadOnlyDictionary<string, JsonElement> settings) =>
        JsonSerializer.SerializeToElement(Canonical(settings), StudyDefinition.Json).Deserialize<SamImageClassifierOptions>(StudyDefinition.Json)!;

    /// <summary>The settings with every alias replaced by the setting's own name.</summary>
    private static Dictionary<string, JsonElement> Canonical(IReadOnlyDictionary<string, JsonElement> settings) =>
        settings.ToDictionary(p => Aliases.GetValueOrDefault(p.Key, p.Key), p => p.Value, StringComparer.Ordinal);

    private static string Describe(Type type) => type switch
    {
        _ when type.IsEnum => $"one of {string.Join(", ", Enum.GetNames(type))}",
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) || type == typeof(long) => "an integer",
        _ when type == typeof(float) || type == typeof(double) => "a number",
        _ => $"a {type.Name}",
    };
}
