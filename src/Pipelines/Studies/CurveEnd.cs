using System.Globalization;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>One end of a <c>landscapes.curves</c> pair: a run, and the seed whose model it is (null: the study's first seed).</summary>
/// <param name="Run">The run name.</param>
/// <param name="Seed">The seed after <c>#</c>, or null.</param>
internal sealed record CurveEnd(string Run, int? Seed)
{
    /// <summary>"run#seed" with an integer seed names that seed's model; any other text is a run name.</summary>
    public static CurveEnd Parse(string text)
    {
        int mark = text.LastIndexOf('#');
        return mark > 0 && int.TryParse(text[(mark + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed)
            ? new CurveEnd(text[..mark], seed)
            : new CurveEnd(text, null);
    }

    /// <summary>This end with its seed filled in.</summary>
    public (string Run, int Seed) Resolve(int firstSeed) => (Run, Seed ?? firstSeed);
}
