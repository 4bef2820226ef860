namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>Rejects <see cref="LossLandscapeOptions"/> values that cannot describe a landscape, naming the option and what is expected.</summary>
internal static class LandscapeOptionsValidation
{
    public static void Check(LossLandscapeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Require(options.MaxRows > 0, nameof(options.MaxRows), options.MaxRows, "a positive number of rows");
        Require(options.Points >= 2, nameof(options.Points), options.Points, "at least 2 points per axis");
        Require(options.From is null || double.IsFinite(options.From.Value), nameof(options.From), options.From, "a finite coordinate or null");
        Require(options.To is null || double.IsFinite(options.To.Value), nameof(options.To), options.To, "a finite coordinate or null");
        Require(options.From is null || options.To is null || options.From < options.To, nameof(options.To), options.To, $"a coordinate above From ({options.From})");
        Require(Enum.IsDefined(options.BatchNorm), nameof(options.BatchNorm), options.BatchNorm, "one of " + string.Join(", ", Enum.GetNames<BatchNormAtInterpolation>()));
        Require(options.NumberOfThreads is null or > 0, nameof(options.NumberOfThreads), options.NumberOfThreads, "null (TorchSharp's choice) or a positive thread count");
    }

    private static void Require(bool condition, string option, object? value, string expected)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(option, value, $"{nameof(LossLandscapeOptions)}.{option} is {value?.ToString() ?? "null"}; expected {expected}.");
    }
}
