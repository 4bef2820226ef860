namespace Microsoft.ML.Sharpness.Lab.Reports;

/// <summary>A column of the results table: a value key of <see cref="RunSummary"/>, its heading and how it is shown.</summary>
/// <param name="Key">The key (see <see cref="RunSummary.Value"/>).</param>
/// <param name="Heading">The Markdown/HTML heading.</param>
/// <param name="Format">"P" for a percentage, otherwise a .NET numeric format.</param>
/// <param name="ShowError">Whether cells show "± standard error" (not for settings such as the batch size).</param>
public sealed record ResultColumn(string Key, string Heading, string Format, bool ShowError = true);

/// <summary>The columns of a study's results table, in order.</summary>
public static class ResultColumns
{
    /// <summary>Accuracy, loss, gap, the main sharpness measures on training rows, and training time; missing ones are dropped.</summary>
    public static IReadOnlyList<ResultColumn> All { get; } =
    [
        new("BatchSize", "batch", "0", ShowError: false),
        new("TestAccuracy", "test accuracy", "P"),
        new("TrainAccuracy", "train accuracy", "P"),
        new("GeneralizationGap", "gap", "P"),
        new("TestLogLoss", "test log-loss", "F4"),
        new("TrainLogLoss", "train log-loss", "F4"),
        new("train:Keskar[full space,eps=0.001]", "Keskar ε=1e-3 full", "G4"),
        new("train:Keskar[full space,eps=0.0005]", "Keskar ε=5e-4 full", "G4"),
        new("train:Keskar[100-d subspace,eps=0.001]", "Keskar ε=1e-3 100-d", "G4"),
        new("train:Keskar[100-d subspace,eps=0.0005]", "Keskar ε=5e-4 100-d", "G4"),
        new("train:Sam[rho=0.05,k=1]", "SAM ρ=0.05", "G4"),
        new("train:AdaptiveSam[rho=0.05,k=1]", "ASAM ρ=0.05", "G4"),
        new("train:HessianEigenvalue[1]", "Hessian λ₁", "G4"),
        new("train:HessianTrace", "Hessian trace", "G4"),
        new("train:Fisher.EmpiricalTrace", "emp. Fisher trace", "G4"),
        new("train:Minibatch.LocalGeneralization", "LGM", "G4"),
        new("test:Keskar[full space,eps=0.001]", "test Keskar ε=1e-3", "G4"),
        new("TrainingSeconds", "training s", "F0"),
    ];
}
