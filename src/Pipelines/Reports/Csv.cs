using System.Globalization;
using System.Text;

namespace Microsoft.ML.Sharpness.Lab.Reports;

/// <summary>Writes CSV of numbers and simple text: invariant culture, round-trip doubles, fields with commas or quotes quoted.</summary>
internal static class Csv
{
    /// <summary>Writes a header and rows.</summary>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', header.Select(Field)).Append('\n');
        foreach (var row in rows)
            text.AppendJoin(',', row.Select(Format)).Append('\n');
        File.WriteAllText(path, text.ToString());
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => Field(value.ToString() ?? ""),
    };

    private static string Field(string text) =>
        text.IndexOfAny([',', '"', '\n']) >= 0 ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
}
