namespace Microsoft.ML.Sharpness.Lab.Data;

/// <summary>
/// How one class's images, in the package's order, are divided: the first <c>Train</c> images go to
/// the train split, the next <c>Test</c> images to the test split.
/// </summary>
internal abstract record SplitRule
{
    /// <summary>One sentence describing the rule, for the console and the generated README.</summary>
    public abstract string Description { get; }

    /// <summary>The train and test sizes for a class that has <paramref name="available"/> images.</summary>
    /// <exception cref="DataPreparationException">The class has too few images for the rule.</exception>
    public abstract (int Train, int Test) Sizes(int available, string className);
}

/// <summary>A fixed number of train images per class, then a fixed number of test images.</summary>
/// <param name="Train">Images per class in the train split.</param>
/// <param name="Test">Images per class in the test split, taken right after the train images.</param>
internal sealed record FixedCountSplit(int Train, int Test) : SplitRule
{
    /// <inheritdoc />
    public override string Description =>
        $"per class, in the package's order: the first {Train:N0} images go to train, the next {Test:N0} to test";

    /// <inheritdoc />
    public override (int Train, int Test) Sizes(int available, string className)
    {
        if (available < Train + Test)
        {
            throw new DataPreparationException(
                $"Class '{className}' has {available} images; the split needs {Train + Test} ({Train} train + {Test} test).");
        }

        return (Train, Test);
    }
}

/// <summary>The first <see cref="TrainPercent"/> % of each class (rounded down) for train, the rest for test.</summary>
/// <param name="TrainPercent">Share of each class, in percent, that goes to the train split.</param>
internal sealed record PercentageSplit(int TrainPercent) : SplitRule
{
    /// <inheritdoc />
    public override string Description =>
        $"per class, in the package's order: the first {TrainPercent} % of the images (rounded down) go to train, the rest to test";

    /// <inheritdoc />
    public override (int Train, int Test) Sizes(int available, string className)
    {
        var train = available * TrainPercent / 100;
        return (train, available - train);
    }
}
