namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>A stratified, seeded hold-out of rows for validation (<see cref="TrainingSettings.ValidationFraction"/>).</summary>
internal static class ValidationSplit
{
    /// <summary>
    /// Row indices (ascending) for training and for validation: each class with n ≥ 2 rows gives round(f·n) of them, at least one and
    /// at most n − 1, chosen by a Fisher–Yates shuffle seeded with <paramref name="seed"/>; a class with one row stays in training.
    /// </summary>
    public static (long[] Train, long[] Validation) Split(IReadOnlyList<long> labels, double fraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<long>();
        var validation = new List<long>();
        foreach (var rows in Enumerable.Range(0, labels.Count).GroupBy(i => labels[i]).OrderBy(g => g.Key).Select(g => g.Select(i => (long)i).ToArray()))
        {
            int held = rows.Length < 2 ? 0 : Math.Clamp((int)Math.Round(fraction * rows.Length, MidpointRounding.AwayFromZero), 1, rows.Length - 1);
            random.Shuffle(rows);
            validation.AddRange(rows.Take(held));
            train.AddRange(rows.Skip(held));
        }
        train.Sort();
        validation.Sort();
        return (train.ToArray(), validation.ToArray());
    }
}
