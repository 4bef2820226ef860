using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>
/// Finds the <see cref="IHostEnvironment"/> (the MLContext) behind an ML.NET catalog. ML.NET keeps it internal
/// (<see cref="MLNetInternals.CatalogEnvironment"/>), so extension methods from outside assemblies reach it by reflection.
/// </summary>
internal static class CatalogEnvironment
{
    public static IHostEnvironment From(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var property = MLNetInternals.CatalogEnvironment.Value;
        if (property.DeclaringType!.IsInstanceOfType(catalog) && property.GetValue(catalog) is IHostEnvironment environment)
            return environment;
        throw new InvalidOperationException(
            $"Could not find the MLContext behind {catalog.GetType().Name}: it is no {MLNetInternals.CatalogEnvironment.TypeName} (Microsoft.ML {MLNetInternals.Version}).");
    }
}
