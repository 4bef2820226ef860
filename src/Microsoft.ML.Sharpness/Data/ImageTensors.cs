using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>Rows as two whole tensors, for the evaluator's computations that take all rows at once (loss surface, Hessian, Fisher).</summary>
internal sealed class ImageTensors : IDisposable
{
    internal ImageTensors(Tensor features, Tensor labels)
    {
        Features = features;
        Labels = labels;
    }

    /// <summary>Images, [N, C, H, W] float32.</summary>
    public Tensor Features { get; }

    /// <summary>0-based class indices, [N] int64.</summary>
    public Tensor Labels { get; }

    public long Count => Labels.shape[0];

    /// <summary>Every row of <paramref name="rows"/>, in order, on <paramref name="device"/>.</summary>
    public static ImageTensors From(ImageRows rows, Device device)
    {
        long[] all = rows.InOrder();
        return new ImageTensors(rows.Gather(all, device), rows.GatherLabels(all, device));
    }

    public void Dispose()
    {
        Features.Dispose();
        Labels.Dispose();
    }
}
