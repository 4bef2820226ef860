using System.Text.Json;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// The layout of a study's output folder: <c>study.json</c>, the study as run (with the command line's changes), and one
/// folder per run × seed, <c>runs/RUN-seedN/</c>, holding that run's model and result.
/// </summary>
internal static class StudyFolder
{
    /// <summary>The folder of one run's model (<c>model.zip</c>) and result (<c>result.json</c>).</summary>
    public static string Run(string output, string run, int seed) => Path.Combine(Path.GetFullPath(output), "runs", $"{Slug(run)}-seed{seed}");

    /// <summary>A file-system-safe, lower-case form of a run name.</summary>
    public static string Slug(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '-').ToArray();
        return string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>Writes <paramref name="study"/> as the folder's <c>study.json</c>, replacing the one there (a whole study run in one process).</summary>
    public static void WriteStudy(StudyDefinition study, string output)
    {
        Directory.CreateDirectory(output);
        AtomicFile.WriteAllText(StudyFile(output), Serialize(study));
    }

    /// <summary>
    /// Makes sure the folder holds <paramref name="study"/> for a shard: writes <c>study.json</c> when the folder has none yet
    /// (the first shard to start), otherwise checks that it describes the same study.
    /// </summary>
    /// <exception cref="StudyException">The folder's <c>study.json</c> describes another study.</exception>
    public static void ClaimForShard(StudyDefinition study, string output)
    {
        Directory.CreateDirectory(output);
        if (!AtomicFile.TryCreate(StudyFile(output), Serialize(study)))
            RequireSame(study, output);
    }

    /// <summary>Checks that the folder holds <paramref name="study"/> (before reporting what its shards finished).</summary>
    /// <exception cref="StudyException">The folder has no <c>study.json</c>, or one that describes another study.</exception>
    public static void RequireSame(StudyDefinition study, string output)
    {
        string path = StudyFile(output);
        if (!File.Exists(path))
            throw new StudyException($"'{output}' holds no study (no study.json): run the study, or its shards (study --shard i/n), into it first.");
        string[] theirs = File.ReadAllLines(path), ours = Serialize(study).Split('\n');
        int line = Enumerable.Range(0, Math.Max(theirs.Length, ours.Length))
            .FirstOrDefault(i => i >= theirs.Length || i >= ours.Length || theirs[i].TrimEnd('\r') != ours[i].TrimEnd('\r'), -1);
        if (line >= 0)
            throw new StudyException($"'{output}' holds a different study: its study.json differs from this one at line {line + 1} " +
                $"(there: {Line(theirs, line)}; here: {Line(ours, line)}). Give the same --config or --preset and the same --data, --seeds, " +
                "--epochs, --train-rows and --quick as the study's other shards, or use another --out folder.");
    }

    private static string StudyFile(string output) => Path.Combine(output, "study.json");

    private static string Serialize(StudyDefinition study) => JsonSerializer.Serialize(study, StudyDefinition.Json);

    private static string Line(string[] lines, int index) => index < lines.Length ? $"'{lines[index].Trim()}'" : "the end of the file";
}
