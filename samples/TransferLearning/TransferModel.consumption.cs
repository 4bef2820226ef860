using Microsoft.ML;
using Microsoft.ML.Data;

namespace TransferLearning;

/// <summary>Consumption side, as Model Builder lays it out: input and output classes and a Predict method.</summary>
public static partial class TransferModel
{
    /// <summary>One row of the index file.</summary>
    public sealed class ModelInput
    {
        [LoadColumn(0)] public string ImagePath { get; set; } = "";
        [LoadColumn(1)] public string Label { get; set; } = "";
    }

    /// <summary>What the model says about an image.</summary>
    public sealed class ModelOutput
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = Array.Empty<float>();
    }

    private static PredictionEngine<ModelInput, ModelOutput>? engine;

    /// <summary>Loads the saved model once (in its own MLContext, as a separate app would, without libtorch) and predicts one image.</summary>
    public static ModelOutput Predict(string modelPath, ModelInput input)
    {
        if (engine is null)
        {
            var mlContext = new MLContext();
            ITransformer model = mlContext.Model.Load(modelPath, out _);
            engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        }
        return engine.Predict(input);
    }
}
