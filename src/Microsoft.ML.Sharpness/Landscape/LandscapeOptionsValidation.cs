using Require = Microsoft.ML.Sharpness.Runtime.Require<Microsoft.ML.Sharpness.LossLandscapeOptions>;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>Rejects <see cref="LossLandscapeOptions"/> values that cannot describe a landscape, naming the option and what is expected.</summary>
internal static class LandscapeOptionsValidation
{
    public static void Check(LossLandscapeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Require.That(options.MaxRows > 0, nameof(options.MaxRows), options.MaxRows, "a positive number of rows");
        Require.That(options.Points >= 2, nameof(options.Points), options.Points, "at least 2 points per axis");
        Require.That(options.From is null || double.IsFinite(options.From.Value), nameof(options.From), options.From, "a finite coordinate or null");
        Require.That(options.To is null || double.IsFinite(options.To.Value), nameof(options.To), options.To, "a finite coordinate or null");
        Require.That(options.From is null || options.To is null || options.From < options.To, nameof(options.To), options.To, $"a coordinate above From ({options.From})");
        Require.Defined(options.BatchNorm, nameof(options.BatchNorm));
        Require.That(options.NumberOfThreads is null or > 0, nameof(options.NumberOfThreads), options.NumberOfThreads, "null (TorchSharp's choice) or a positive thread count");
    }
}
