using System.Text.Json;
using Microsoft.ML.Sharpness.Lab.Reports;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Lab.Charts;

/// <summary>
/// The runs of a label-noise study grouped into series: runs whose settings are the same but for <c>labelNoise</c> form one line
/// of the charts against noise. A series is named by its runs' common name before " · " (e.g. "SAM ρ 0.05" of
/// "SAM ρ 0.05 · noise 40 %"), or else by the settings that tell it apart from the other series.
/// </summary>
internal static class NoiseSeries
{
    /// <summary>
    /// The series of the reported runs with label noise, each with the runs at other noise levels (0 included) that share its settings;
    /// only series with two noise levels or more; empty when no run has noise.
    /// </summary>
    public static IReadOnlyList<(string Name, IReadOnlyList<RunSummary> Runs)> Of(StudyDefinition study, IReadOnlyList<RunSummary> summaries)
    {
        var settings = study.ResolvedRuns().ToDictionary(run => run.Name!);
        if (!summaries.Any(s => settings[s.Run].NoiseFraction > 0)) return [];
        // Noisy runs form series by their settings and noise kind; a run without noise (where the kind means nothing) starts every
        // series whose other settings it shares.
        var clean = summaries.Where(s => settings[s.Run].NoiseFraction == 0).ToList();
        var groups = summaries.Where(s => settings[s.Run].NoiseFraction > 0)
            .GroupBy(s => Settings(settings[s.Run], withKind: true))
            .Select(g => (Settings: g.Key, Runs: (IReadOnlyList<RunSummary>)[.. clean.Where(c => Settings(settings[c.Run], withKind: false) == Settings(settings[g.First().Run], withKind: false))
                .Concat(g).OrderBy(s => settings[s.Run].NoiseFraction)]))
            .Where(g => g.Runs.Select(s => settings[s.Run].NoiseFraction).Distinct().Count() > 1)
            .ToList();
        var parsed = groups.Select(g => JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(g.Settings)!).ToList();
        var differing = parsed.SelectMany(p => p.Keys).Distinct()
            .Where(key => parsed.Select(p => p.TryGetValue(key, out var v) ? v.GetRawText() : "").Distinct().Count() > 1).ToList();
        // Runs named "NAME · noise …" give their series that NAME, when it tells the series apart; otherwise the differing settings do.
        var prefixes = groups.Select(g => g.Runs.Select(r => r.Run.Split(" · ")[0]).Distinct().ToList()).ToList();
        bool named = prefixes.All(p => p.Count == 1 && groups.All(g => g.Runs.All(r => r.Run.Contains(" · "))))
            && prefixes.Select(p => p[0]).Distinct().Count() == groups.Count;
        return [.. groups.Zip(parsed, prefixes).Select(t => (named ? t.Third[0] : Name(t.Second, differing), t.First.Runs))];
    }

    /// <summary>A run's settings without its name and label-noise fraction (and without its noise kind unless <paramref name="withKind"/>), as JSON with sorted keys.</summary>
    private static string Settings(RunSettings run, bool withKind)
    {
        var values = new SortedDictionary<string, JsonElement>(run.Training, StringComparer.Ordinal);
        if (run.BatchFraction is { } f) values["batchFraction"] = JsonSerializer.SerializeToElement(f);
        if (run.WarmStartFrom is { } from) values["warmStartFrom"] = JsonSerializer.SerializeToElement(from);
        if (withKind) values["labelNoiseKind"] = JsonSerializer.SerializeToElement(run.NoiseKind.ToString());
        return JsonSerializer.Serialize(values);
    }

    private static string Name(Dictionary<string, JsonElement> settings, IReadOnlyList<string> differing) =>
        differing.Count == 0 ? "all runs" : string.Join(", ", differing.Select(key =>
            $"{key} {(settings.TryGetValue(key, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText() : "default")}"));
}
