using Microsoft.ML.Sharpness.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// Mean cross-entropy and accuracy of a network over rows, in inference mode, without gradient, in <see cref="RowChunks"/>.
/// </summary>
internal static class InferenceScores
{
    /// <summary>Over stored rows (the trainer's validation rows), read chunk by chunk with prefetch onto <paramref name="device"/>.</summary>
    public static (double Loss, double Accuracy) Of(nn.Module<Tensor, Tensor> network, RowSet rows, Device device) =>
        Of(network, rows.Rows.Batches(rows.Indices, (int)RowChunks.Size, device), rows.Count);

    /// <summary>Over rows already in tensors (the evaluator's).</summary>
    public static (double Loss, double Accuracy) Of(nn.Module<Tensor, Tensor> network, Tensor images, Tensor labels) =>
        Of(network, Chunks(images, labels), labels.shape[0]);

    private static (double Loss, double Accuracy) Of(nn.Module<Tensor, Tensor> network, IEnumerable<(Tensor Features, Tensor Labels)> chunks, long rows)
    {
        network.eval();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0;
        foreach (var (images, labels) in chunks)
        {
            using var scope = NewDisposeScope();
            Tensor logits = network.call(images);
            lossSum += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(labels).sum().item<long>();
        }
        return (lossSum / rows, (double)correct / rows);
    }

    private static IEnumerable<(Tensor Features, Tensor Labels)> Chunks(Tensor images, Tensor labels)
    {
        foreach (var (start, length) in RowChunks.Of(labels.shape[0]))
        {
            using var chunkImages = images.narrow(0, start, length);
            using var chunkLabels = labels.narrow(0, start, length);
            yield return (chunkImages, chunkLabels);
        }
    }
}
