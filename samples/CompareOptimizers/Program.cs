using CompareOptimizers;

// Compares optimizers on real data with a ready-made study of sharpness-lab (run as a command), prints the results table
// and classifies a few test images with the best model. Usage:
//   dotnet run -c Release -- [PRESET] [--data ROOT] [--out DIR] [--epochs N] [--train-rows N]
// PRESET: sgd-vs-sam (default; ConvNet on Fashion-MNIST), small-vs-large-batch (Keskar's F1 on MNIST), rho-sweep,
// piggybacked-large-batch.
string preset = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "sgd-vs-sam";
string Option(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
int? Number(string name) => args.Contains(name) ? int.Parse(Option(name, "")) : null;
var presets = ComparisonModel.Presets();
if (!presets.Contains(preset))
{
    Console.Error.WriteLine($"Unknown preset '{preset}'. Presets: {string.Join(", ", presets)}.");
    return 1;
}
string dataFolder = ComparisonModel.PrepareData(ComparisonModel.DatasetOf(preset), Path.GetFullPath(Option("--data", "data")));
string output = Path.GetFullPath(Option("--out", Path.Combine("studies", preset)));

ComparisonModel.RunStudy(preset, dataFolder, output, Number("--epochs"), Number("--train-rows"));

Console.WriteLine();
Console.WriteLine(File.ReadAllText(Path.Combine(output, "summary.md")));
Console.WriteLine($"Charts, tables and the report: {Path.Combine(output, "report.html")}");

var best = ComparisonModel.BestModel(output);
Console.WriteLine($"\nThe best model, {best.Run} (seed {best.Seed}, test accuracy {best.TestAccuracy:P2}), on the first test images:");
foreach (var (input, prediction) in ComparisonModel.Predict(best.ModelPath, ComparisonModel.TestImages(dataFolder, seed: 7).Take(8)))
    Console.WriteLine($"  {input.ImagePath,-34} true {input.Label,-12} predicted {prediction.PredictedLabel,-12} p = {prediction.Score.Max():P1}");
return 0;
