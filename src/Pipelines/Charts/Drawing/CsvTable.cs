using System.Globalization;

namespace Microsoft.ML.Sharpness.Lab.Charts.Drawing;

/// <summary>A CSV file written by sharpness-lab: a header and rows of fields (numbers in invariant culture, simple quoting).</summary>
internal sealed class CsvTable
{
    private readonly Dictionary<string, int> columns;

    private CsvTable(string[] header, List<string[]> rows)
    {
        Header = header;
        Rows = rows;
        columns = header.Select((name, index) => (name, index)).ToDictionary(c => c.name, c => c.index);
    }

    /// <summary>The column names.</summary>
    public string[] Header { get; }

    /// <summary>The rows' fields.</summary>
    public List<string[]> Rows { get; }

    /// <summary>Reads a CSV file.</summary>
    public static CsvTable Read(string path)
    {
        var lines = File.ReadAllLines(path).Where(line => line.Length > 0).Select(Split).ToList();
        if (lines.Count == 0) throw new InvalidDataException($"{path} is empty.");
        return new CsvTable(lines[0], lines.Skip(1).ToList());
    }

    /// <summary>The text of a column in a row.</summary>
    public string Text(string[] row, string column) =>
        columns.TryGetValue(column, out int i) ? row[i] : throw new InvalidDataException($"No column '{column}'; columns: {string.Join(", ", Header)}.");

    /// <summary>The number in a column of a row; empty fields are NaN.</summary>
    public double Number(string[] row, string column)
    {
        string text = Text(row, column);
        return text.Length == 0 ? double.NaN : double.Parse(text, CultureInfo.InvariantCulture);
    }

    /// <summary>The rows grouped by a text column, in order of first appearance.</summary>
    public IEnumerable<(string Key, List<string[]> Rows)> GroupBy(string column) =>
        Rows.GroupBy(row => Text(row, column)).Select(g => (g.Key, g.ToList()));

    private static string[] Split(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return [.. fields];
    }
}
