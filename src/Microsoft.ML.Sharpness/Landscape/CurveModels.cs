using Microsoft.ML.Runtime;
using Microsoft.ML.Sharpness.Evaluation;
using Microsoft.ML.Sharpness.Persistence;
using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Landscape;

/// <summary>
/// Builds the classifier at any point of a trained curve from what outlives <c>ConnectModels</c>: the two models' ONNX bytes (which rebuild
/// their networks), the bend θ, and the classifier's input columns.
/// </summary>
internal sealed class CurveModels
{
    private readonly IHostEnvironment environment;
    private readonly ITransformer pipeline;
    private readonly SamImageClassifierModelInfo info;
    private readonly byte[] first;
    private readonly byte[] second;
    private readonly DataViewSchema inputSchema;
    private readonly int maxRows;

    /// <param name="environment">The context the models score in.</param>
    /// <param name="pipeline">Model A's pipeline, which transforms BatchNorm data.</param>
    /// <param name="a">Model A.</param>
    /// <param name="b">Model B.</param>
    /// <param name="bend">θ, flat.</param>
    /// <param name="classifierInput">Rows as the classifier receives them, with its feature and label columns.</param>
    /// <param name="maxRows">Rows of BatchNorm data read.</param>
    public CurveModels(IHostEnvironment environment, ITransformer pipeline, SamImageClassifierModel a, SamImageClassifierModel b, float[] bend, DataViewSchema classifierInput, int maxRows)
    {
        this.environment = environment;
        this.pipeline = pipeline;
        info = a.Info;
        first = a.OnnxModel;
        second = b.OnnxModel;
        Bend = bend;
        this.maxRows = maxRows;
        var columns = new DataViewSchema.Builder();
        foreach (string name in new[] { info.FeatureColumnName, info.LabelColumnName })
        {
            var column = classifierInput[name];
            columns.AddColumn(column.Name, column.Type, column.Annotations);
        }
        inputSchema = columns.ToSchema();
    }

    public float[] Bend { get; }

    /// <summary>The classifier at φ_θ(t), BatchNorm statistics recomputed from <paramref name="batchNormData"/> or blended along the line.</summary>
    public SamImageClassifierTransformer At(double t, IDataView? batchNormData)
    {
        var model = SamImageClassifierModel.FromOnnx(first)!;
        try
        {
            using (var b = SamImageClassifierModel.FromOnnx(second)!)
            using (var path = new CurvePath(model.Network, model.Network.state_dict(), b.Network.state_dict()))
            using (var bend = tensor(Bend))
                path.MoveTo(t, bend);
            if (batchNormData is not null)
            {
                using var rows = EvaluationRows.Load(MLHost.Of(environment), pipeline, info, batchNormData, maxRows, "BatchNorm data", out _);
                BatchNormRecalibration.Run(model.Network, rows.Features);
            }
            model.Network.eval();
            var names = new OnnxColumnNames(info.FeatureColumnName, ScoringChain.LogitsColumn(info));
            byte[] onnx = OnnxModelExport.Export(model.Network, info.NetworkShape, names, new Dictionary<string, string> { [SamImageClassifierModel.MetadataKey] = info.ToJson() });
            var scoring = ScoringChain.Create(environment, onnx, inputSchema, info);
            return new SamImageClassifierTransformer(scoring, new SamImageClassifierModel(info, model.Network, onnx));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
