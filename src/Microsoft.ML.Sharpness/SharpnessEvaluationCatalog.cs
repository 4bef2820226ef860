using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Runtime;

namespace Microsoft.ML.Sharpness;

/// <summary>Adds <c>EvaluateWithSharpness</c> to <c>mlContext.MulticlassClassification</c>.</summary>
public static class SharpnessEvaluationCatalog
{
    /// <summary>
    /// Evaluates a fitted pipeline whose classifier is a SamImageClassifier model (fresh from <c>Fit</c> or loaded with
    /// <c>mlContext.Model.Load</c>) on the first <see cref="SharpnessEvaluationOptions.MaxRows"/> rows of <paramref name="data"/>:
    /// ML.NET's standard multiclass metrics plus the sharpness, Hessian, Fisher and minibatch-gradient measures of
    /// <see cref="SharpnessMetrics"/>. Progress goes to <c>MLContext.Log</c>.
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="model">The fitted pipeline; the last SamImageClassifier model in it is evaluated.</param>
    /// <param name="data">Raw data that <paramref name="model"/> transforms, with the label column the classifier was trained on.</param>
    /// <param name="options">Which measures and their settings; null for the defaults.</param>
    public static SharpnessMetrics EvaluateWithSharpness(this MulticlassClassificationCatalog catalog, ITransformer model, IDataView data,
        SharpnessEvaluationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        return new SharpnessEvaluator(CatalogEnvironment.From(catalog), options ?? new SharpnessEvaluationOptions()).Evaluate(model, data);
    }
}
