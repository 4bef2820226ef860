namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// The quick evaluation profile (<c>"evaluation": { "profile": "Quick" }</c> or <c>study --quick</c>), for a first look in a
/// few minutes: the runs train as written, but accuracy is measured on at most <see cref="TestRows"/> test rows, and each
/// sharpness evaluation and landscape point uses at most <see cref="Rows"/> rows and only the measures that cost a few
/// passes (<see cref="Measures"/>: Keskar's full-space ε-sharpness with fewer gradient passes, SAM, adaptive and
/// m-sharpness, and Hessian λ₁ with fewer power iterations; the Hessian trace, Keskar's subspace, Fisher, minibatch and
/// density measures are left out, since each costs many Hessian-vector products or gradient passes). Landscapes are 1-D
/// only (interpolations, random-direction curves and Bézier curves, fewer points; a Bézier curve trains for at most
/// <see cref="CurveEpochs"/> epochs); no surfaces, no spectra. Settings are only ever
/// scaled down. The values are noisier estimates of the same measures.
/// </summary>
internal static class QuickProfile
{
    /// <summary>At most this many rows for each sharpness evaluation and landscape point.</summary>
    public const int Rows = 128;

    /// <summary>At most this many test rows (a stratified sample) for the test accuracy.</summary>
    public const int TestRows = 2000;

    /// <summary>The measures a quick evaluation keeps (of those the study asks for).</summary>
    public const SharpnessMeasures Measures = SharpnessMeasures.KeskarFullSpace | SharpnessMeasures.Sam | SharpnessMeasures.AdaptiveSam
        | SharpnessMeasures.MSharpness | SharpnessMeasures.HessianEigenvalues;

    /// <summary>At most this many power iterations for the top eigenvalues.</summary>
    public const int PowerIterations = 6;

    /// <summary>Gradient passes of Keskar's maximization per ε.</summary>
    public const int KeskarIterations = 3;

    /// <summary>Points of a 1-D landscape curve.</summary>
    public const int Points = 11;

    /// <summary>
    /// At most this many epochs of a Bézier curve's training, each one step on <see cref="Rows"/> rows (about 9 s with the
    /// evaluation; docs/reproductions/mode-connectivity quick: barrier 0.25 on the curve against 1.16 on the line; 2 epochs left 1.09).
    /// </summary>
    public const int CurveEpochs = 20;

    /// <summary>Scales <paramref name="study"/>'s evaluation, test rows and landscapes down as described above; marks the profile.</summary>
    public static void Apply(StudyDefinition study)
    {
        study.TestRows = Math.Min(study.TestRows ?? int.MaxValue, TestRows);
        var e = study.Evaluation;
        e.Profile = EvaluationProfile.Quick;
        e.TrainRows = Math.Min(e.TrainRows, Rows);
        e.TestRows = Math.Min(e.TestRows, Rows);
        e.TrainMeasures &= Measures;
        e.TestMeasures &= Measures;
        e.PowerIterations = Math.Min(e.PowerIterations, PowerIterations);
        e.KeskarIterations = Math.Min(e.KeskarIterations, KeskarIterations);
        if (study.Landscapes is { } l)
        {
            l.Surfaces = [];
            l.Spectra = [];
            l.Rows = Math.Min(l.Rows, Rows);
            l.Points = Math.Min(l.Points, Points);
            l.CurveEpochs = Math.Min(l.CurveEpochs, CurveEpochs);
        }
    }
}
