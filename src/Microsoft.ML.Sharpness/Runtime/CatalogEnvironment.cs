using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>
/// Finds the <see cref="IHostEnvironment"/> (the MLContext) behind an ML.NET catalog. ML.NET keeps it in a non-public
/// property, so extension methods from outside assemblies reach it by reflection.
/// </summary>
internal static class CatalogEnvironment
{
    public static IHostEnvironment From(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        for (Type? type = catalog.GetType(); type != null; type = type.BaseType)
        {
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
            {
                if (typeof(IHostEnvironment).IsAssignableFrom(property.PropertyType) && property.GetIndexParameters().Length == 0
                    && property.GetValue(catalog) is IHostEnvironment environment)
                    return environment;
            }
        }
        throw new InvalidOperationException(
            $"Could not find the MLContext behind {catalog.GetType().Name}; this version of Microsoft.ML.Sharpness supports Microsoft.ML 5.0.");
    }
}
