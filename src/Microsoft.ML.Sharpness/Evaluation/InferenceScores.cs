using Microsoft.ML.Sharpness.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// Mean cross-entropy and accuracy of a network over rows, in inference mode, without gradient, in <see cref="RowChunks"/>.
/// </summary>
internal static class InferenceScores
{
    public static (double Loss, double Accuracy) Of(nn.Module<Tensor, Tensor> network, Tensor images, Tensor labels)
    {
        network.eval();
        using var noGrad = no_grad();
        long rows = labels.shape[0];
        double lossSum = 0;
        long correct = 0;
        foreach (var (start, length) in RowChunks.Of(rows))
        {
            using var scope = NewDisposeScope();
            Tensor logits = network.call(images.narrow(0, start, length));
            Tensor chunkLabels = labels.narrow(0, start, length);
            lossSum += nn.functional.cross_entropy(logits, chunkLabels, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(chunkLabels).sum().item<long>();
        }
        return (lossSum / rows, (double)correct / rows);
    }
}
