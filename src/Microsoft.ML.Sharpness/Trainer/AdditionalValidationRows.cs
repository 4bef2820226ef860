using Microsoft.ML.Sharpness.Data;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>The loaded rows of <see cref="SamImageClassifierOptions.AdditionalValidationSets"/>, by name, disposed together.</summary>
internal sealed class AdditionalValidationRows : IDisposable
{
    private readonly List<(string Name, ImageRows Rows)> sets = [];

    /// <summary>The sets in the order they were added, as row sets over all their rows.</summary>
    public IReadOnlyList<(string Name, RowSet Rows)> Sets => [.. sets.Select(set => (set.Name, RowSet.All(set.Rows)))];

    /// <summary>Adds a loaded set; it is disposed with this object.</summary>
    public void Add(string name, ImageRows rows) => sets.Add((name, rows));

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (_, rows) in sets) rows.Dispose();
        sets.Clear();
    }
}
