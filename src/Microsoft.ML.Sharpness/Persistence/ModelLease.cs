namespace Microsoft.ML.Sharpness.Persistence;

/// <summary>
/// The SamImageClassifier model of a fitted pipeline for the length of one operation: shared with the transformer when the
/// pipeline is fresh from Fit, or rebuilt from a loaded model's ONNX and then disposed with the lease.
/// </summary>
internal sealed class ModelLease : IDisposable
{
    private readonly bool owned;

    private ModelLease(SamImageClassifierModel model, bool owned)
    {
        Model = model;
        this.owned = owned;
    }

    /// <summary>The model; valid until the lease is disposed.</summary>
    public SamImageClassifierModel Model { get; }

    /// <summary>The last SamImageClassifier model in <paramref name="pipeline"/>.</summary>
    public static ModelLease Of(ITransformer pipeline)
    {
        var (model, owned) = SamImageClassifierModel.Locate(pipeline);
        return new ModelLease(model, owned);
    }

    public void Dispose()
    {
        if (owned) Model.Dispose();
    }
}
