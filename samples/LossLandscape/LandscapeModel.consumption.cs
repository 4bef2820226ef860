using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;

namespace LandscapeSample;

/// <summary>Consumption side: the index rows the models read, and the landscape probes of trained models.</summary>
public static partial class LandscapeModel
{
    /// <summary>One row of the index file: an image path (relative to the data folder) and its label.</summary>
    public sealed class ModelInput
    {
        [LoadColumn(0)] public string ImagePath { get; set; } = "";
        [LoadColumn(1)] public string Label { get; set; } = "";
    }

    /// <summary>Reads an index file, shuffled with a fixed seed (the file lists the images class by class, and the landscapes use its first rows).</summary>
    public static IDataView LoadIndex(MLContext mlContext, string indexFile) =>
        mlContext.Data.ShuffleRows(mlContext.Data.LoadFromTextFile<ModelInput>(indexFile, separatorChar: '\t', hasHeader: true), seed: 1);

    /// <summary>Keskar et al. Fig. 3: both models' line, α ∈ [−1, 2], BatchNorm statistics recomputed on training rows at each α.</summary>
    public static (LossLandscape Train, LossLandscape Test) Interpolate(MLContext mlContext, ITransformer from, ITransformer to, IDataView train, IDataView test)
    {
        var options = new LossLandscapeOptions { MaxRows = 1000, Points = 25, BatchNormData = train };
        return (mlContext.MulticlassClassification.InterpolateModels(from, to, train, options),
                mlContext.MulticlassClassification.InterpolateModels(from, to, test, options));
    }

    /// <summary>
    /// Li et al. (2018): the training loss around a model along filter-normalized random directions: 1-D, 31 points on 1,000
    /// rows; 2-D, 13 × 13 points on 500 rows (each point is a forward pass, so the surface costs 169 of them).
    /// </summary>
    public static LossLandscape AroundModel(MLContext mlContext, ITransformer model, IDataView train, int dimensions) =>
        mlContext.MulticlassClassification.RandomDirectionLandscape(model, train, dimensions, dimensions == 1
            ? new LossLandscapeOptions { MaxRows = 1000, Points = 31, Seed = 1 }
            : new LossLandscapeOptions { MaxRows = 500, Points = 13, Seed = 1 });
}
