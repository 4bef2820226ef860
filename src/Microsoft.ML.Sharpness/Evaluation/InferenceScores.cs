using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// Mean cross-entropy and accuracy of a network over rows, in inference mode, without gradient, in chunks of 256 rows: a
/// ConvNet's activations for 1,024 rows pass glibc's 32 MiB mmap threshold and are mapped and unmapped every chunk, which
/// made validating on 10,000 Fashion-MNIST images take 10 s instead of 0.7 s (docs/known-issues.md).
/// </summary>
internal static class InferenceScores
{
    private const long ChunkRows = 256;

    public static (double Loss, double Accuracy) Of(nn.Module<Tensor, Tensor> network, Tensor images, Tensor labels)
    {
        network.eval();
        using var noGrad = no_grad();
        long rows = labels.shape[0];
        double lossSum = 0;
        long correct = 0;
        for (long start = 0; start < rows; start += ChunkRows)
        {
            using var scope = NewDisposeScope();
            long length = Math.Min(ChunkRows, rows - start);
            Tensor logits = network.call(images.narrow(0, start, length));
            Tensor chunkLabels = labels.narrow(0, start, length);
            lossSum += nn.functional.cross_entropy(logits, chunkLabels, reduction: nn.Reduction.Sum).item<float>();
            correct += logits.argmax(1).eq(chunkLabels).sum().item<long>();
        }
        return (lossSum / rows, (double)correct / rows);
    }
}
