using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Evaluation;

/// <summary>The first rows of raw data, transformed by a fitted pipeline and read into tensors for the classifier it holds.</summary>
internal static class EvaluationRows
{
    /// <summary>Transforms the first <paramref name="maxRows"/> rows of <paramref name="data"/> with <paramref name="model"/> and reads its
    /// feature and label columns with the trainer's loader (<see cref="ImageRowsLoader"/>), in memory; <paramref name="scored"/> is the
    /// transformed view (for ML.NET's own evaluator).</summary>
    public static ImageTensors Load(MLHost host, ITransformer model, SamImageClassifierModelInfo info, IDataView data, int maxRows, string dataName,
        out IDataView scored)
    {
        scored = model.Transform(host.Data.TakeRows(data, maxRows));
        if (scored.Schema.GetColumnOrNull(info.LabelColumnName) is null)
            throw new ArgumentOutOfRangeException(nameof(data),
                $"The label column '{info.LabelColumnName}' that the classifier was trained on is not in the {dataName} (after the pipeline's transforms). " +
                $"Columns present: {string.Join(", ", scored.Schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}.");
        var columns = ImageColumns.Inspect(scored.Schema, info.FeatureColumnName, info.LabelColumnName);
        if (columns.Classes != info.ClassNames.Count)
            throw new ArgumentOutOfRangeException(nameof(data),
                $"The label column '{info.LabelColumnName}' of the {dataName} has {columns.Classes} key values; the classifier was trained on {info.ClassNames.Count} classes.");
        using var cache = DataCache.InMemory();
        using var rows = ImageRowsLoader.Load(scored, info.FeatureColumnName, info.LabelColumnName, columns, cache, skipUnreadableImages: false, dataName, _ => { }, () => host.ThrowIfCanceled(dataName == "evaluation data" ? "The evaluation" : $"Reading the {dataName}"));
        return ImageTensors.From(rows, CPU);
    }
}
