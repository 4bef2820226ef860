using Microsoft.ML.Sharpness.Landscape;
using Microsoft.ML.Sharpness.Runtime;

namespace Microsoft.ML.Sharpness;

/// <summary>Adds loss-landscape probes of SamImageClassifier models to <c>mlContext.MulticlassClassification</c>.</summary>
public static class LossLandscapeCatalog
{
    /// <summary>
    /// The loss and accuracy along the line through two trained models, L((1 − α)·w_A + α·w_B) for α from
    /// <see cref="LossLandscapeOptions.From"/> (−1) to <see cref="LossLandscapeOptions.To"/> (2), as in Keskar et al. (2017), Fig. 3.
    /// Both models must hold SamImageClassifier networks of the same shape (fresh from <c>Fit</c> or loaded).
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="modelA">The model at α = 0; its pipeline transforms <paramref name="data"/>.</param>
    /// <param name="modelB">The model at α = 1.</param>
    /// <param name="data">Raw data with the label column; the first <see cref="LossLandscapeOptions.MaxRows"/> rows are evaluated.</param>
    /// <param name="options">Grid, rows and BatchNorm handling; null for the defaults.</param>
    public static LossLandscape InterpolateModels(this MulticlassClassificationCatalog catalog, ITransformer modelA, ITransformer modelB, IDataView data,
        LossLandscapeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(modelA);
        ArgumentNullException.ThrowIfNull(modelB);
        ArgumentNullException.ThrowIfNull(data);
        return new LandscapeEvaluator(CatalogEnvironment.From(catalog), options ?? new LossLandscapeOptions()).Interpolate(modelA, modelB, data);
    }

    /// <summary>
    /// The loss and accuracy around a trained model along one or two filter-normalized random directions (Li et al. 2018):
    /// L(w + x·d₁) or L(w + x·d₁ + y·d₂), coordinates from <see cref="LossLandscapeOptions.From"/> (−1) to <see cref="LossLandscapeOptions.To"/> (1).
    /// Each filter of dᵢ has the norm of the matching weight filter, so landscapes of differently scaled networks compare; biases
    /// and BatchNorm parameters are not moved. The model's weights are restored afterwards.
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="model">The fitted pipeline; its last SamImageClassifier model is probed.</param>
    /// <param name="data">Raw data with the label column; the first <see cref="LossLandscapeOptions.MaxRows"/> rows are evaluated.</param>
    /// <param name="dimensions">1 for a curve, 2 for a surface (<see cref="LossLandscapeOptions.Points"/>² evaluations).</param>
    /// <param name="options">Grid, rows and seed; null for the defaults.</param>
    public static LossLandscape RandomDirectionLandscape(this MulticlassClassificationCatalog catalog, ITransformer model, IDataView data,
        int dimensions = 1, LossLandscapeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        return new LandscapeEvaluator(CatalogEnvironment.From(catalog), options ?? new LossLandscapeOptions()).RandomDirections(model, data, dimensions);
    }

    /// <summary>
    /// Mode connectivity (Garipov et al. 2018): trains a quadratic Bézier curve φ_θ(t) = (1 − t)²·w_A + 2t(1 − t)·θ + t²·w_B between two trained
    /// models (θ from (w_A + w_B)/2, by SGD on E_{t~U(0,1)} L(φ_θ(t)), one t per minibatch), then measures the loss and accuracy along it and
    /// along the straight line (1 − t)·w_A + t·w_B, BatchNorm statistics recomputed at every evaluated t. Both models must hold
    /// SamImageClassifier networks of the same architecture (fresh from <c>Fit</c> or loaded); neither is changed. Runs on the CPU.
    /// Throws <see cref="OperationCanceledException"/> when the context is canceled (<see cref="MLContextExtensions.CancelExecution"/>).
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="modelA">The model at t = 0; its pipeline transforms every data view given.</param>
    /// <param name="modelB">The model at t = 1.</param>
    /// <param name="trainData">Raw data with the label column; the curve trains and is evaluated on its first <see cref="ModelConnectionOptions.MaxRows"/> rows.</param>
    /// <param name="options">Training, evaluation points and data; null for the defaults.</param>
    public static ModelConnection ConnectModels(this MulticlassClassificationCatalog catalog, ITransformer modelA, ITransformer modelB, IDataView trainData,
        ModelConnectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(modelA);
        ArgumentNullException.ThrowIfNull(modelB);
        ArgumentNullException.ThrowIfNull(trainData);
        return new ModelConnector(CatalogEnvironment.From(catalog), options ?? new ModelConnectionOptions()).Connect(modelA, modelB, trainData);
    }
}
