using Microsoft.ML.Sharpness.Runtime;

namespace Microsoft.ML.Sharpness;

/// <summary>Control of a running <see cref="MLContext"/> that ML.NET 6 keeps internal.</summary>
public static class MLContextExtensions
{
    /// <summary>
    /// Stops what runs in this context: a SamImageClassifier <c>Fit</c>, <c>EvaluateWithSharpness</c> or a loss landscape throws
    /// <see cref="OperationCanceledException"/> within one training step or one measure step, leaving no native state behind.
    /// The request is served by the operation it stops (or by the next one to start), so the context trains again afterwards.
    /// The same call as the <c>CancelExecution</c> of the Microsoft.ML.Experimental package; ML.NET's own components stop too.
    /// </summary>
    /// <param name="mlContext">The context to cancel.</param>
    public static void CancelExecution(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        MLHost.Of(mlContext).CancelExecution();
    }
}
