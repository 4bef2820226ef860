using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Sharpness.Benchmarks;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Evaluation;
using static TorchSharp.torch;

// The evaluator on a real model: a ConvNet trained with SGD on the shipped Fashion-MNIST subset, evaluated with the
// default EvaluateWithSharpness settings on the first 1000 test rows; prints the table and the seconds of each measure,
// then times the Fisher traces with the per-example trick against the per-row loop on the same rows (one run, as a ratio).
// With --export DIR it also writes the model and the rows for bench/python/sharpness_reference.py.
// Usage: dotnet run -c Release --project bench/EvaluatorBenchmarks -- [--threads 2] [--fisher-rows 200] [--architecture ConvNet|ResNet|Mlp] [--export DIR]
// Side by side, round by round:
//   -- hessian [--rows 256] [--iterations 5] [--tolerance 1e-3] [--rounds 7]   top Hessian eigenvalue vs PyTorch (HessianComparison.cs)
//   -- scoring [--rows 1000] [--batch 256] [--rounds 11]                      ML.NET scoring vs TorchSharp inference (ScoringThroughput.cs)
//   -- double-backward [--timing-rows 256] [--repeats 7]                      libtorch's conv double backward and ours vs float64, and their cost (DoubleBackwardCheck.cs)
if (args.Length > 0 && args[0] == "hessian") { HessianComparison.Run(args[1..]); return; }
if (args.Length > 0 && args[0] == "scoring") { ScoringThroughput.Run(args[1..]); return; }
if (args.Length > 0 && args[0] == "double-backward") { DoubleBackwardCheck.Run(args[1..]); return; }
int threads = Option("--threads", 2), fisherRows = Option("--fisher-rows", 200);
string? export = args.SkipWhile(a => a != "--export").Skip(1).FirstOrDefault();
var architecture = Enum.Parse<ImageClassifierArchitecture>(args.SkipWhile(a => a != "--architecture").Skip(1).FirstOrDefault() ?? "ConvNet", ignoreCase: true);
set_num_threads(threads);

var ml = new MLContext(seed: 1);
var clock = Stopwatch.StartNew();
var model = SubsetModel.Train(ml, epochs: 5, architecture: architecture);
Console.WriteLine($"Trained a {architecture} with SGD on {SubsetModel.DataFolder} (train.tsv, 5 epochs) in {clock.Elapsed.TotalSeconds:F0} s; {threads} threads.");

var test = SubsetModel.Load(ml, "test.tsv");
clock.Restart();
var metrics = ml.MulticlassClassification.EvaluateWithSharpness(model, test);
double total = clock.Elapsed.TotalSeconds;
Console.WriteLine();
Console.WriteLine(metrics);
Console.WriteLine("| measure | seconds |");
Console.WriteLine("|---|---|");
foreach (var (name, seconds) in metrics.Seconds) Console.WriteLine($"| {name} | {seconds:F1} |");
Console.WriteLine($"| **EvaluateWithSharpness, defaults, {metrics.Rows} rows (total, with image loading and ML.NET's evaluator)** | **{total:F1}** |");

var classifier = SamImageClassifierModel.FromTransformer(model);
var info = classifier.Info;
using var rows = EvaluationRows.Load(Microsoft.ML.Sharpness.Runtime.MLHost.Of(ml), model, info, test, 1000, "test rows", out _);

Tensor images = rows.Features.narrow(0, 0, fisherRows), labels = rows.Labels.narrow(0, 0, fisherRows);
double Time(bool rowLoop, out FisherResult result)
{
    var watch = Stopwatch.StartNew();
    result = FisherInformation.Compute(new PerExampleGradients(classifier.Network, rowLoop), images, labels, 0, 1);
    return watch.Elapsed.TotalSeconds;
}
Time(false, out _); // warm-up
double trick = Time(false, out var fast), loop = Time(true, out var slow);
Console.WriteLine();
Console.WriteLine($"Fisher traces (empirical + exact model Fisher over 10 classes + Fisher–Rao norm) on {fisherRows} rows:");
Console.WriteLine("| method | seconds | empirical trace | model trace |");
Console.WriteLine("|---|---|---|---|");
Console.WriteLine($"| per-example trick | {trick:F2} | {fast.EmpiricalTrace:G6} | {fast.ModelTrace:G6} |");
Console.WriteLine($"| per-row loop | {loop:F2} | {slow.EmpiricalTrace:G6} | {slow.ModelTrace:G6} |");
Console.WriteLine($"| speed-up | {loop / trick:F1}× | | |");

if (export is not null)
{
    ExchangeExport.Write(export, classifier, rows.Features, rows.Labels);
    File.WriteAllText(Path.Combine(export, "dotnet_metrics.json"), metrics.ToJson());
    Console.WriteLine($"\nWrote the model, {rows.Count} rows and the metrics to {export}.");
}

int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}
