using Microsoft.ML;
using Microsoft.ML.Data;

// Loads a model saved by a SharpnessML app, predicts the images of an index file (ImagePath, Label) with a PredictionEngine,
// and checks that no libtorch library is mapped into this process and no TorchSharp or SharpnessML assembly is loaded.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ScoreOnly MODEL_ZIP INDEX_TSV");
    return 2;
}
var mlContext = new MLContext();
ITransformer model = mlContext.Model.Load(args[0], out _);
var engine = mlContext.Model.CreatePredictionEngine<ImageRow, Prediction>(model);
var rows = mlContext.Data.CreateEnumerable<ImageRow>(
    mlContext.Data.LoadFromTextFile<ImageRow>(args[1], separatorChar: '\t', hasHeader: true), reuseRowObject: false).ToList();
int correct = rows.Count(row => engine.Predict(row).PredictedLabel == row.Label);
Console.WriteLine($"predicted {rows.Count} images: {correct} correct ({(double)correct / rows.Count:P1})");

string[] mapped = [.. File.ReadLines("/proc/self/maps").Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
    .Where(fields => fields.Length >= 6).Select(fields => Path.GetFileName(fields[5])).Distinct()];
string[] torch = [.. mapped.Where(name => name.Contains("torch", StringComparison.OrdinalIgnoreCase) || name.StartsWith("libc10", StringComparison.Ordinal))];
string[] managed = [.. AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "")
    .Where(name => name.StartsWith("TorchSharp", StringComparison.Ordinal) || name.StartsWith("Microsoft.ML.Sharpness", StringComparison.Ordinal))];
bool onnxRuntime = mapped.Any(name => name.StartsWith("libonnxruntime", StringComparison.Ordinal));
Console.WriteLine($"mapped: ONNX Runtime {(onnxRuntime ? "yes" : "no")}; libtorch libraries: {(torch.Length == 0 ? "none" : string.Join(", ", torch))}; " +
    $"TorchSharp/SharpnessML assemblies: {(managed.Length == 0 ? "none" : string.Join(", ", managed))}");
return onnxRuntime && torch.Length == 0 && managed.Length == 0 && correct > 0 ? 0 : 1;

/// <summary>One row of an index file.</summary>
internal sealed class ImageRow
{
    [LoadColumn(0)] public string ImagePath { get; set; } = "";
    [LoadColumn(1)] public string Label { get; set; } = "";
}

/// <summary>What the model predicts for a row.</summary>
internal sealed class Prediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
