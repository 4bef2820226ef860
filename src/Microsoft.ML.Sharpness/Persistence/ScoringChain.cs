using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Sharpness.Runtime;
using Microsoft.ML.Trainers;

namespace Microsoft.ML.Sharpness.Persistence;

/// <summary>
/// Builds the ML.NET transformers that score a trained network, from parts that ML.NET saves and loads by itself:
/// an OnnxTransformer (image → logits), then a multiclass prediction transformer whose linear model is the identity,
/// so its Score is softmax(logits) and its PredictedLabel the arg-max key with the label's key values, as from any
/// ML.NET multiclass trainer; then the logits column is dropped.
/// </summary>
internal static class ScoringChain
{
    /// <summary>The temporary column holding the network's logits.</summary>
    public static string LogitsColumn(SamImageClassifierModelInfo info) => $"{info.ScoreColumnName}.Logits";

    public static TransformerChain<ITransformer> Create(IHostEnvironment environment, byte[] onnxModel, DataViewSchema trainingSchema, SamImageClassifierModelInfo info)
    {
        string logits = LogitsColumn(info);
        var host = MLHost.Of(environment);
        var onnx = OnnxScorer(host, onnxModel, logits, info.FeatureColumnName, trainingSchema);
        var predictor = IdentityPredictor(environment, onnx.GetOutputSchema(trainingSchema), info, logits);
        var drop = host.Transforms.DropColumns(logits).Fit(new EmptyDataView(predictor.GetOutputSchema(onnx.GetOutputSchema(trainingSchema))));
        return new TransformerChain<ITransformer>(onnx, predictor, drop);
    }

    /// <summary>
    /// The OnnxTransformer in the user's context, on its <c>GpuDeviceId</c>. ML.NET falls back to the CPU (<c>FallbackToCpu</c>) only on
    /// ONNX Runtime's own errors, not when its package has no CUDA provider at all (the CPU package); with <c>FallbackToCpu</c> that
    /// case falls back too, in a context without a GPU setting (ML.NET reads the device from the context whatever the call says).
    /// </summary>
    private static ITransformer OnnxScorer(MLHost host, byte[] onnxModel, string logits, string features, DataViewSchema schema)
    {
        ITransformer In(TransformsCatalog transforms, int? gpu) => transforms.ApplyOnnxModel(new[] { logits }, new[] { features }, new MemoryStream(onnxModel), gpu, host.FallbackToCpu)
            .Fit(new EmptyDataView(schema));
        try
        {
            return In(host.Transforms, host.GpuDeviceId);
        }
        catch (EntryPointNotFoundException) when (host.GpuDeviceId is not null && host.FallbackToCpu)
        {
            return In(new MLContext(host.Seed).Transforms, gpu: null);
        }
    }

    private static ITransformer IdentityPredictor(IHostEnvironment environment, DataViewSchema schema, SamImageClassifierModelInfo info, string logits)
    {
        int classes = info.ClassNames.Count;
        var weights = new VBuffer<float>[classes];
        for (int k = 0; k < classes; k++)
            weights[k] = new VBuffer<float>(classes, 1, new[] { 1f }, new[] { k });
        var bias = new float[classes];

        var model = MLNetInternals.MaximumEntropyModel.Value.Invoke(new object?[] { environment, weights, bias, classes, classes, info.ClassNames.ToArray(), null });
        return (ITransformer)MLNetInternals.MulticlassPredictionTransformer.Value.Invoke(new object[]
        {
            environment, model, schema, logits, info.LabelColumnName, info.ScoreColumnName, info.PredictedLabelColumnName,
        });
    }
}
