using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Sharpness.Benchmarks;

// Transfer learning from ML.NET's ImageNet ResNet-18 on a few images per class: ML.NET's DnnFeaturizeImage recipe against
// SharpnessML's frozen-backbone head and full fine-tune (SGD and SAM) and a ConvNet from scratch, on the same rows, with
// test accuracy and wall time of each (docs/reproductions.md, "Transfer learning from ImageNet").
// Usage (a data folder from `sharpness-lab data`, e.g. Fashion-MNIST classes 5–9):
//   dotnet run -c Release --project bench/TransferComparison -- --data DIR [--per-class 20,100] [--seeds 1,2,3] [--noise 0,0.4]
//       [--test-per-class N (default: all)] [--test-skip-per-class K (test images K.. of each class; default 0)] [--contenders recipe-sdca,...] [--out results.csv] [--threads 2] [--batch 16]
//       [--finetune-epochs 15] [--finetune-lr 0.01] [--backbone-scale 0.1] [--finetune-rho 0.05] [--update-statistics] [--perturb-backbone]
//       [--head-epochs 30] [--head-lr 0.01] [--head-rho 0.05] [--scratch-epochs 15] [--scratch-lr 0.01] [--verbose (epoch reports)]
// Results are appended to the CSV one row per contender as they finish (a rerun with the same --out skips what is there).
// With "frozen-cost" first: a 30-epoch frozen-backbone fine-tune against one backbone pass over the same images (FrozenCost.cs):
//   dotnet run -c Release --project bench/TransferComparison -- frozen-cost --data DIR [--rows 500] [--rounds 4] [--epochs 30] [--batch 16] [--threads 2] [--sam]
// With "imported-cost" first: an epoch of fine-tuning the imported ResNet-18 against the trainer's own ResNet-18 (ImportedStepCost.cs):
//   dotnet run -c Release --project bench/TransferComparison -- imported-cost --data DIR [--rows 128] [--rounds 4] [--batch 16] [--threads 2] [--sam]
if (args.Length > 0 && args[0] == "imported-cost")
{
    ImportedStepCost.Run(Bench.Option(args, "--data") ?? throw new ArgumentException("--data DIR"), Bench.Option(args, "--rows", 128), Bench.Option(args, "--rounds", 4),
        Bench.Option(args, "--batch", 16), Bench.Option(args, "--threads", 2), args.Contains("--sam") ? SharpnessOptimizer.Sam : SharpnessOptimizer.Sgd);
    return;
}
if (args.Length > 0 && args[0] == "frozen-cost")
{
    FrozenCost.Run(Bench.Option(args, "--data") ?? throw new ArgumentException("--data DIR"), Bench.Option(args, "--rows", 500), Bench.Option(args, "--rounds", 4),
        Bench.Option(args, "--epochs", 30), Bench.Option(args, "--batch", 16), Bench.Option(args, "--threads", 2), args.Contains("--sam") ? SharpnessOptimizer.Sam : SharpnessOptimizer.Sgd);
    return;
}
string data = Bench.Option(args, "--data") ?? throw new ArgumentException("--data DIR: a folder with train.tsv and test.tsv (sharpness-lab data).");
int[] perClass = Ints(Bench.Option(args, "--per-class") ?? "20,100");
int[] seeds = Ints(Bench.Option(args, "--seeds") ?? "1,2,3");
double[] noises = (Bench.Option(args, "--noise") ?? "0,0.4").Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
int? testPerClass = Bench.Option(args, "--test-per-class") is { } t ? int.Parse(t) : null;
string[] contenders = (Bench.Option(args, "--contenders") ?? string.Join(",", Contenders.All)).Split(',');
string output = Path.GetFullPath(Bench.Option(args, "--out") ?? "transfer-results.csv");
var settings = new FineTuneSettings(
    FineTuneEpochs: Bench.Option(args, "--finetune-epochs", 15), FineTuneLearningRate: (float)Bench.Option(args, "--finetune-lr", 0.01),
    BackboneScale: (float)Bench.Option(args, "--backbone-scale", 0.1), FineTuneRho: (float)Bench.Option(args, "--finetune-rho", 0.05),
    FreezeStatistics: !args.Contains("--update-statistics"), PerturbBackbone: args.Contains("--perturb-backbone"),
    HeadEpochs: Bench.Option(args, "--head-epochs", 30), HeadLearningRate: (float)Bench.Option(args, "--head-lr", 0.01), HeadRho: (float)Bench.Option(args, "--head-rho", 0.05),
    ScratchEpochs: Bench.Option(args, "--scratch-epochs", 15), ScratchLearningRate: (float)Bench.Option(args, "--scratch-lr", 0.01),
    BatchSize: Bench.Option(args, "--batch", 16), Threads: Bench.Option(args, "--threads", 2), Verbose: args.Contains("--verbose"));

var ml = new MLContext(seed: 1);
ml.ComponentCatalog.RegisterAssembly(typeof(Microsoft.ML.Sharpness.SamImageClassifierModel).Assembly);
var trainPool = TransferRows.Read(ml, Path.Combine(data, "train.tsv"), []);
var testAll = TransferRows.Read(ml, Path.Combine(data, "test.tsv"), []);
int testSkip = Bench.Option(args, "--test-skip-per-class", 0);
var test = testAll.GroupBy(r => r.Label).SelectMany(g => g.Skip(testSkip).Take(testPerClass ?? int.MaxValue)).ToArray();
Console.WriteLine($"{data}: {trainPool.Length} training images to draw from, {test.Length} test images; {Environment.ProcessorCount} cores, load {Bench.LoadAverage():F1}; {settings}");

var done = File.Exists(output) ? File.ReadLines(output).Skip(1).Select(l => string.Join(",", l.Split(',').Take(4))).ToHashSet() : [];
if (!File.Exists(output)) File.WriteAllText(output, "perClass,noise,seed,contender,accuracy,fitSeconds,scoreSeconds,load\n");
var pipelines = new Contenders(ml, data, ml.Data.LoadFromEnumerable(test), settings);
foreach (int size in perClass)
foreach (double noise in noises)
foreach (int seed in seeds)
{
    var rows = TransferRows.Sample(trainPool, size, seed);
    if (noise > 0) rows = TransferRows.FlipLabels(rows, noise, seed);
    var train = ml.Data.LoadFromEnumerable(rows);
    foreach (string name in contenders)
    {
        string key = string.Join(",", size, noise.ToString(CultureInfo.InvariantCulture), seed, name);
        if (done.Contains(key)) continue;
        ContenderResult result;
        try
        {
            result = pipelines.Run(name, train, seed);
        }
        catch (InvalidOperationException e) when (e.Message.StartsWith("Training diverged", StringComparison.Ordinal))
        {
            Console.WriteLine($"{size} per class, noise {noise:P0}, seed {seed}, {name}: {e.Message}");
            result = new ContenderResult(name, double.NaN, double.NaN, double.NaN);
        }
        string line = string.Create(CultureInfo.InvariantCulture, $"{key},{result.Accuracy:F4},{result.FitSeconds:F1},{result.ScoreSeconds:F1},{Bench.LoadAverage():F1}");
        File.AppendAllText(output, line + "\n");
        Console.WriteLine($"{size} per class, noise {noise:P0}, seed {seed}, {name}: test accuracy {result.Accuracy:P2}, fit {result.FitSeconds:F1} s, scoring {result.ScoreSeconds:F1} s");
    }
}
TransferReport.Print(output);

static int[] Ints(string list) => list.Split(',').Select(int.Parse).ToArray();
