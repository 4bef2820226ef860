namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>How a study corrupts training labels (<c>"labelNoiseKind"</c>).</summary>
internal enum LabelNoiseKind
{
    /// <summary>A flipped row gets a class drawn uniformly from the other classes (symmetric noise, as in Foret et al. 2021 §3.3).</summary>
    Symmetric,
    /// <summary>A flipped row of class c gets class c + 1 (mod K): pair flipping (Han et al. 2018), a structured confusion.</summary>
    Pairwise,
}

/// <summary>Seeded label corruption of training rows; the test rows always keep their true labels.</summary>
internal static class LabelNoise
{
    /// <summary>
    /// The labels (0-based class indices) with exactly round(<paramref name="fraction"/>·n) rows, a uniform seeded choice, moved to another
    /// class by <paramref name="kind"/>; returns the new labels and which rows were flipped. The same seed gives the same rows and classes.
    /// </summary>
    public static (int[] Labels, bool[] Flipped) Apply(IReadOnlyList<int> labels, int classes, double fraction, LabelNoiseKind kind, int seed)
    {
        if (fraction is < 0 or >= 1 || double.IsNaN(fraction))
            throw new StudyException($"\"labelNoise\" must be a fraction in [0, 1); got {fraction}.");
        if (classes < 2) throw new StudyException($"Label noise needs at least two classes; the training rows have {classes}.");
        var random = new Random(seed);
        int count = (int)Math.Round(fraction * labels.Count, MidpointRounding.AwayFromZero);
        var order = Enumerable.Range(0, labels.Count).ToArray();
        random.Shuffle(order);
        int[] noisy = [.. labels];
        bool[] flipped = new bool[labels.Count];
        foreach (int row in order.Take(count))
        {
            noisy[row] = kind switch
            {
                LabelNoiseKind.Symmetric => (labels[row] + 1 + random.Next(classes - 1)) % classes,
                LabelNoiseKind.Pairwise => (labels[row] + 1) % classes,
                _ => throw new StudyException($"Unknown label noise kind {kind}."),
            };
            flipped[row] = true;
        }
        return (noisy, flipped);
    }
}
