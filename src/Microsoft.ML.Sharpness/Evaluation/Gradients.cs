using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>
/// <c>torch.autograd.grad</c> behind the checks whose failure libtorch would answer with a process abort: the output must
/// be a scalar that depends on the inputs; an input the output does not depend on gets a zero gradient.
/// </summary>
internal static class Gradients
{
    /// <summary>∂output/∂inputs, one tensor per input, shaped like it.</summary>
    public static Tensor[] Of(Tensor output, IReadOnlyList<Tensor> inputs, bool createGraph = false, bool retainGraph = false)
    {
        if (output.numel() != 1)
            throw new InvalidOperationException($"Can only differentiate a scalar; got a tensor of shape [{string.Join(", ", output.shape)}].");
        if (!output.requires_grad)
            throw new InvalidOperationException("The value does not depend on the parameters: gradient recording is off or the parameters are frozen.");
        if (inputs.FirstOrDefault(i => !i.requires_grad) is { } frozen)
            throw new InvalidOperationException($"Cannot differentiate with respect to a tensor of shape [{string.Join(", ", frozen.shape)}] that does not require gradients.");
        var grads = autograd.grad(new[] { output }, inputs.ToArray(), retain_graph: retainGraph || createGraph, create_graph: createGraph, allow_unused: true);
        var result = new Tensor[inputs.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = grads[i].Handle == IntPtr.Zero ? zeros_like(inputs[i]) : grads[i];
        return result;
    }

    /// <summary>The tensors flattened and concatenated into one vector.</summary>
    public static Tensor Flatten(IEnumerable<Tensor> tensors) => cat(tensors.Select(t => t.flatten()).ToArray());
}
