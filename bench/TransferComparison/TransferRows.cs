using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>One image of an index file written by <c>sharpness-lab data</c> (path relative to the data folder, class name).</summary>
internal sealed class ImageRow
{
    [LoadColumn(0)] public string ImagePath { get; set; } = "";
    [LoadColumn(1)] public string Label { get; set; } = "";
}

/// <summary>The rows of one comparison: a seeded few-images-per-class training set, optionally with flipped labels, and the test set.</summary>
internal static class TransferRows
{
    /// <summary>Reads <paramref name="indexFile"/>, keeping the classes named in <paramref name="classes"/> (all when empty).</summary>
    public static ImageRow[] Read(MLContext ml, string indexFile, IReadOnlyCollection<string> classes) =>
        ml.Data.CreateEnumerable<ImageRow>(ml.Data.LoadFromTextFile<ImageRow>(indexFile, separatorChar: '\t', hasHeader: true), reuseRowObject: false)
            .Where(r => classes.Count == 0 || classes.Contains(r.Label)).ToArray();

    /// <summary><paramref name="perClass"/> rows of each class, drawn without replacement by <paramref name="seed"/>, in class order.</summary>
    public static ImageRow[] Sample(IEnumerable<ImageRow> rows, int perClass, int seed)
    {
        var random = new Random(seed);
        return rows.GroupBy(r => r.Label).OrderBy(g => g.Key, StringComparer.Ordinal)
            .SelectMany(g =>
            {
                var pool = g.ToArray();
                if (pool.Length < perClass)
                    throw new ArgumentException($"Class '{g.Key}' has {pool.Length} training images; {perClass} per class were asked for.");
                random.Shuffle(pool);
                return pool.Take(perClass);
            }).ToArray();
    }

    /// <summary>
    /// Symmetric label noise: exactly round(<paramref name="fraction"/>·n) rows, chosen by <paramref name="seed"/>, get a class drawn
    /// uniformly from the other classes. Returns new rows; the input is unchanged.
    /// </summary>
    public static ImageRow[] FlipLabels(IReadOnlyList<ImageRow> rows, double fraction, int seed)
    {
        var classes = rows.Select(r => r.Label).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToArray();
        var random = new Random(seed * 7919 + 1);
        var order = Enumerable.Range(0, rows.Count).ToArray();
        random.Shuffle(order);
        var flipped = new HashSet<int>(order.Take((int)Math.Round(fraction * rows.Count)));
        return rows.Select((r, i) =>
        {
            if (!flipped.Contains(i)) return new ImageRow { ImagePath = r.ImagePath, Label = r.Label };
            var others = classes.Where(c => c != r.Label).ToArray();
            return new ImageRow { ImagePath = r.ImagePath, Label = others[random.Next(others.Length)] };
        }).ToArray();
    }
}
