using System.Globalization;
using System.Text;

namespace Microsoft.ML.Sharpness;

/// <summary>One evaluated point of a loss landscape.</summary>
/// <param name="X">The first coordinate: α of an interpolation, or the step along the first direction.</param>
/// <param name="Y">The step along the second direction of a 2-D landscape; 0 in 1-D.</param>
/// <param name="Loss">Mean cross-entropy of the network at this point over the evaluated rows (inference mode).</param>
/// <param name="Accuracy">Fraction of the evaluated rows classified correctly at this point.</param>
public sealed record LandscapePoint(double X, double Y, double Loss, double Accuracy);

/// <summary>
/// A loss landscape: the loss and accuracy of a network whose weights move along one or two directions.
/// 1-D landscapes have one point per <see cref="X"/> value; 2-D ones a grid, row by row (<see cref="Y"/> outer, <see cref="X"/> inner).
/// </summary>
public sealed record LossLandscape
{
    /// <summary>What the axes are, e.g. "interpolation w(α) = (1 − α)·w_A + α·w_B" or "filter-normalized random directions".</summary>
    public required string Description { get; init; }

    /// <summary>The first axis' coordinates.</summary>
    public required IReadOnlyList<double> X { get; init; }

    /// <summary>The second axis' coordinates; empty for a 1-D landscape.</summary>
    public required IReadOnlyList<double> Y { get; init; }

    /// <summary>Every evaluated point: for 2-D, <c>Points[j * X.Count + i]</c> is at (X[i], Y[j]).</summary>
    public required IReadOnlyList<LandscapePoint> Points { get; init; }

    /// <summary>Number of rows evaluated at each point.</summary>
    public required long Rows { get; init; }

    /// <summary>Wall-clock seconds the landscape took.</summary>
    public required double Seconds { get; init; }

    /// <summary>Whether the landscape has two axes.</summary>
    public bool IsTwoDimensional => Y.Count > 0;

    /// <summary>The point at (X[i], Y[j]); j = 0 in 1-D.</summary>
    public LandscapePoint At(int i, int j = 0) => Points[j * X.Count + i];

    /// <summary>The points as CSV with the header <c>x,y,loss,accuracy</c> (invariant culture, round-trip precision).</summary>
    public string ToCsv()
    {
        var csv = new StringBuilder("x,y,loss,accuracy\n");
        foreach (var p in Points)
            csv.Append(CultureInfo.InvariantCulture, $"{p.X:R},{p.Y:R},{p.Loss:R},{p.Accuracy:R}\n");
        return csv.ToString();
    }
}
