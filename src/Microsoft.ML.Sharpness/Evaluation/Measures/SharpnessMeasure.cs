using Microsoft.ML.Sharpness.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation.Measures;

/// <summary>
/// One of <see cref="SharpnessMeasures"/>: computes its value on the evaluated rows and returns the metrics with its public result
/// filled in. <see cref="SharpnessEvaluator"/> runs the selected measures in order and times each.
/// </summary>
internal abstract class SharpnessMeasure
{
    /// <summary>The flag that selects this measure; its name is the measure's name in <see cref="SharpnessMetrics.Seconds"/>.</summary>
    public abstract SharpnessMeasures Kind { get; }

    /// <summary><paramref name="metrics"/> with this measure's result added.</summary>
    public abstract SharpnessMetrics AddTo(SharpnessMetrics metrics, MeasureContext context);
}

/// <summary>What every measure works from: the options, the network (inference mode), the rows, L over them, and L(w), ∇L(w).</summary>
/// <param name="Options">The evaluation settings.</param>
/// <param name="Network">The network, in inference mode.</param>
/// <param name="Rows">The evaluated rows.</param>
/// <param name="Surface">L(w), the mean cross-entropy over the rows.</param>
/// <param name="Start">L(w) and ∇L(w), shared by the measures that start from them.</param>
/// <param name="Log">Writes to the evaluation's ML.NET channel.</param>
/// <param name="ThrowIfCanceled">Throws <see cref="OperationCanceledException"/> when the MLContext was canceled; measures call it every step.</param>
internal sealed record MeasureContext(
    SharpnessEvaluationOptions Options,
    nn.Module<Tensor, Tensor> Network,
    ImageTensors Rows,
    NetworkLossSurface Surface,
    (double Loss, Tensor Gradient) Start,
    Action<string> Log,
    Action ThrowIfCanceled);
