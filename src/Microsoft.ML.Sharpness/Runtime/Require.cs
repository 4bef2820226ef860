namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>Option validation: a value that cannot work is an <see cref="ArgumentOutOfRangeException"/> naming the option, its value and what is expected.</summary>
internal static class Require<TOptions>
{
    /// <summary>Throws unless <paramref name="condition"/> holds: "TOptions.option is value; expected …".</summary>
    public static void That(bool condition, string option, object? value, string expected)
    {
        if (!condition)
            throw new ArgumentOutOfRangeException(option, value, $"{typeof(TOptions).Name}.{option} is {Text(value)}; expected {expected}.");
    }

    /// <summary>Throws unless <paramref name="value"/> is a defined member of its enum.</summary>
    public static void Defined<TEnum>(TEnum value, string option) where TEnum : struct, Enum =>
        That(Enum.IsDefined(value), option, value, "one of " + string.Join(", ", Enum.GetNames<TEnum>()));

    private static string Text(object? value) => value switch
    {
        null => "null",
        IEnumerable<double> values => "{" + string.Join(", ", values) + "}",
        _ => value.ToString() ?? "null",
    };
}
