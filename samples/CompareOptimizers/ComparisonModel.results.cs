using System.Globalization;
using System.Text.Json;

namespace CompareOptimizers;

/// <summary>Reading a finished study's output folder: <c>results.csv</c> and each run's <c>runs/RUN-seedN/</c> folder.</summary>
public static partial class ComparisonModel
{
    /// <summary>One trained model of a study.</summary>
    public sealed record StudyModel(string Run, int Seed, double TestAccuracy, string ModelPath);

    /// <summary>The most accurate model on the test set among the runs trained from scratch (no warm start).</summary>
    public static StudyModel BestModel(string output)
    {
        var lines = File.ReadAllLines(Path.Combine(output, "results.csv"));
        var header = CsvFields(lines[0]);
        int run = header.IndexOf("run"), seed = header.IndexOf("seed"), from = header.IndexOf("warm_start_from"), accuracy = header.IndexOf("test_accuracy");
        var best = lines.Skip(1).Select(CsvFields).Where(row => row[from] == "")
            .MaxBy(row => double.Parse(row[accuracy], CultureInfo.InvariantCulture))!;
        return new StudyModel(best[run], int.Parse(best[seed], CultureInfo.InvariantCulture), double.Parse(best[accuracy], CultureInfo.InvariantCulture),
            ModelPath(output, best[run], int.Parse(best[seed], CultureInfo.InvariantCulture)));
    }

    /// <summary>The <c>model.zip</c> next to the <c>result.json</c> of that run and seed.</summary>
    private static string ModelPath(string output, string run, int seed)
    {
        foreach (string result in Directory.GetFiles(Path.Combine(output, "runs"), "result.json", SearchOption.AllDirectories))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(result));
            if (json.RootElement.GetProperty("run").GetString() == run && json.RootElement.GetProperty("seed").GetInt32() == seed)
                return Path.Combine(Path.GetDirectoryName(result)!, "model.zip");
        }
        throw new FileNotFoundException($"No result.json of run \"{run}\" (seed {seed}) under {output}/runs.");
    }

    /// <summary>The fields of one CSV line; a field with a comma or a quote is quoted, with quotes doubled.</summary>
    private static List<string> CsvFields(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted && c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
