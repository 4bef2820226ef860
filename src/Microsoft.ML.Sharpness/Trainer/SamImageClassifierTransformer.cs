using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Data;

namespace Microsoft.ML.Sharpness;

/// <summary>
/// The model a <see cref="SamImageClassifierTrainer"/> fits: adds <c>Score</c> (class probabilities) and <c>PredictedLabel</c>
/// (a key with the label's key values). Scoring runs the network's ONNX form in ML.NET's OnnxTransformer, so the saved model
/// needs no libtorch; <see cref="Model"/> gives the TorchSharp network.
/// </summary>
public sealed class SamImageClassifierTransformer : ITransformer, ICanSaveModel, IDisposable
{
    private readonly TransformerChain<ITransformer> scoring;

    internal SamImageClassifierTransformer(TransformerChain<ITransformer> scoring, SamImageClassifierModel model)
    {
        this.scoring = scoring;
        Model = model;
    }

    /// <summary>The trained TorchSharp network and its description.</summary>
    public SamImageClassifierModel Model { get; }

    /// <summary>What each training epoch measured.</summary>
    public IReadOnlyList<TrainingEpochReport> TrainingHistory => Model.Info.TrainingHistory;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return scoring.GetOutputSchema(inputSchema);
    }

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        return ((ITransformer)scoring).GetRowToRowMapper(inputSchema);
    }

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckInput(input.Schema);
        return scoring.Transform(input);
    }

    void ICanSaveModel.Save(ModelSaveContext ctx) => ((ICanSaveModel)scoring).Save(ctx);

    private void CheckInput(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var info = Model.Info;
        var (channels, height, width) = ImageColumns.InspectFeatures(inputSchema, info.FeatureColumnName);
        if (channels != info.Channels || height != info.Height || width != info.Width)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"The feature column '{info.FeatureColumnName}' holds {channels}×{height}×{width} images; the model was trained on {info.Channels}×{info.Height}×{info.Width}.");
    }

    /// <inheritdoc/>
    public void Dispose() => Model.Dispose();
}
