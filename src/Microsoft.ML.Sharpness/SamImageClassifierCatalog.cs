using Microsoft.ML.Sharpness.Runtime;

namespace Microsoft.ML.Sharpness;

/// <summary>Adds <c>SamImageClassifier</c> to <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class SamImageClassifierCatalog
{
    /// <summary>
    /// Creates a trainer of a TorchSharp image classifier with SGD, SAM or ASAM over a base optimizer (SGD, Adam or AdamW, <see cref="TrainingSettings.BaseOptimizer"/>).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">All settings; see <see cref="SamImageClassifierOptions"/>.</param>
    public static SamImageClassifierTrainer SamImageClassifier(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, SamImageClassifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new SamImageClassifierTrainer(CatalogEnvironment.From(catalog), options);
    }

    /// <summary>Creates a trainer of a TorchSharp image classifier with the most used settings; the others keep their defaults.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The key label column.</param>
    /// <param name="featureColumnName">The <c>Vector&lt;Single, C, H, W&gt;</c> image column.</param>
    /// <param name="optimizer">SGD, SAM (default) or adaptive SAM.</param>
    /// <param name="epochs">Passes over the training data.</param>
    /// <param name="batchSize">Rows per training step.</param>
    public static SamImageClassifierTrainer SamImageClassifier(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", SharpnessOptimizer optimizer = SharpnessOptimizer.Sam,
        int epochs = 10, int batchSize = 128) =>
        catalog.SamImageClassifier(new SamImageClassifierOptions
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            Optimizer = optimizer,
            Epochs = epochs,
            BatchSize = batchSize,
        });
}
