using Microsoft.ML.Sharpness.Onnx;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Layers;

/// <summary>
/// Everything SharpnessML knows about one kind of layer, in one place (in the spirit of BackPACK's module-to-extension map):
/// its inference-mode ONNX nodes, its exact second-order forward pass (for Hessian-vector products), and, for a layer that
/// owns parameters, each row's squared parameter-gradient norm from the layer's input and output gradient. A new layer type
/// is one subclass of <see cref="LayerRule{TLayer}"/> in this folder; <see cref="LayerRules"/> finds it.
/// </summary>
internal abstract class LayerRule
{
    /// <summary>Whether this rule is the one for <paramref name="layer"/>.</summary>
    public abstract bool Handles(nn.Module layer);

    /// <summary>Adds the layer's nodes reading <paramref name="input"/> (weights named <paramref name="prefix"/>.parameter, as in the state dict); returns the output name.</summary>
    public abstract string ExportOnnx(nn.Module layer, OnnxGraphBuilder graph, string input, string prefix);

    /// <summary>
    /// The layer's forward pass for Hessian-vector products; child layers go through <see cref="LayerRules.SecondOrderForward"/>.
    /// By default the layer's own forward: right for every layer whose double backward libtorch computes correctly.
    /// </summary>
    public virtual Tensor SecondOrderForward(nn.Module layer, Tensor input) => ((nn.Module<Tensor, Tensor>)layer).call(input);

    /// <summary>Whether <see cref="PerRowSquaredNorms"/> covers this layer's own parameters (layers without parameters need none).</summary>
    public virtual bool HasPerRowGradients(nn.Module layer) => false;

    /// <summary>
    /// ‖∇_θ fᵢ‖² of the layer's own parameters θ for every row i, from the layer input X [N, …] and the gradient G [N, …] of Σᵢ fᵢ
    /// with respect to the layer output, in inference mode where rows do not interact (Goodfellow 2015; Dangel et al. 2020).
    /// </summary>
    public virtual Tensor PerRowSquaredNorms(nn.Module layer, Tensor input, Tensor outputGradient) =>
        throw new NotSupportedException($"No per-row gradient rule for {layer.GetType().Name}.");
}

/// <summary>A <see cref="LayerRule"/> for layers of type <typeparamref name="TLayer"/> (and its subclasses).</summary>
internal abstract class LayerRule<TLayer> : LayerRule where TLayer : nn.Module
{
    public sealed override bool Handles(nn.Module layer) => layer is TLayer;

    public sealed override string ExportOnnx(nn.Module layer, OnnxGraphBuilder graph, string input, string prefix) => Export((TLayer)layer, graph, input, prefix);

    public sealed override Tensor SecondOrderForward(nn.Module layer, Tensor input) => SecondOrder((TLayer)layer, input);

    public sealed override bool HasPerRowGradients(nn.Module layer) => SupportsPerRowGradients((TLayer)layer);

    public sealed override Tensor PerRowSquaredNorms(nn.Module layer, Tensor input, Tensor outputGradient) => PerRowNorms((TLayer)layer, input, outputGradient);

    /// <inheritdoc cref="LayerRule.ExportOnnx"/>
    protected abstract string Export(TLayer layer, OnnxGraphBuilder graph, string input, string prefix);

    /// <inheritdoc cref="LayerRule.SecondOrderForward"/>
    protected virtual Tensor SecondOrder(TLayer layer, Tensor input) => base.SecondOrderForward(layer, input);

    /// <inheritdoc cref="LayerRule.HasPerRowGradients"/>
    protected virtual bool SupportsPerRowGradients(TLayer layer) => false;

    /// <inheritdoc cref="LayerRule.PerRowSquaredNorms"/>
    protected virtual Tensor PerRowNorms(TLayer layer, Tensor input, Tensor outputGradient) => base.PerRowSquaredNorms(layer, input, outputGradient);

    /// <summary>The node inputs of a layer y = f(x; weight, bias): the input, then its weight and (if any) bias as initializers.</summary>
    protected static List<string> WeightedInputs(OnnxGraphBuilder graph, string prefix, string input, Tensor weight, Tensor? bias)
    {
        var inputs = new List<string> { input, Weight(graph, prefix, "weight", weight) };
        if (bias is not null) inputs.Add(Weight(graph, prefix, "bias", bias));
        return inputs;
    }

    /// <summary>The name of a layer's own weight in the exported graph: <paramref name="prefix"/>.<paramref name="name"/>.</summary>
    protected static string Weight(OnnxGraphBuilder graph, string prefix, string name, Tensor value) =>
        graph.AddInitializer(prefix.Length == 0 ? name : $"{prefix}.{name}", value);
}
