using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;
using TransferLearning;

// Transfer learning on a few labelled images per class: ML.NET's ImageNet ResNet-18 (PretrainedModels.ResNet18ImageNet, from the
// package Microsoft.ML.DnnImageFeaturizer.ResNet18) as a frozen feature extractor with a new head trained by SGD or by SAM, and
// fine-tuned whole from the SGD head, against ML.NET's own recipe (DnnFeaturizeImage + SdcaMaximumEntropy) on the same rows;
// then saves the SAM-head model, loads it back and predicts a few test images (no libtorch needed to score).
// Arguments: [model.onnx or "resnet18"] [data folder with train.tsv/test.tsv] [images per class]. The default data are the
// shipped Fashion-MNIST subset's classes 5–9.
var pretrained = args.Length > 0 && args[0] != "resnet18" ? TransferModel.Pretrained.Describe(args[0]) : TransferModel.Pretrained.ResNet18ImageNet();
string dataFolder = args.Length > 1 ? args[1] : Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");
int perClass = args.Length > 2 ? int.Parse(args[2]) : 20;
string[]? classes = args.Length > 1 ? null : new[] { "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };
string modelPath = Path.Combine(Path.GetTempPath(), "transfer-learning-sam.zip");

var mlContext = new MLContext(seed: 1);
var input = pretrained.Input;
Console.WriteLine($"Pretrained model {pretrained.Path}: {input.Channels}×{input.Height}×{input.Width} images" +
    $"{(input.IsFeatureExtractor ? $" → {input.FeatureLength} features (a backbone without classifier)" : "")}.");
var train = TransferModel.LoadIndex(mlContext, Path.Combine(dataFolder, "train.tsv"), classes, perClass);
var test = TransferModel.LoadIndex(mlContext, Path.Combine(dataFolder, "test.tsv"), classes, perClass: null);
Console.WriteLine($"Data in {dataFolder}: {train.GetColumn<string>("Label").Count()} training images ({perClass} per class) and {test.GetColumn<string>("Label").Count()} test images.");

var results = new List<(string Name, ITransformer Model, double Accuracy, double Seconds)>();
ITransformer Run(string name, IEstimator<ITransformer> pipeline)
{
    Console.WriteLine($"Training {name} ...");
    var (model, accuracy, seconds) = TransferModel.TrainAndEvaluate(mlContext, pipeline, train, test);
    Console.WriteLine($"  test accuracy {accuracy:P2} ({seconds:F0} s)");
    results.Add((name, model, accuracy, seconds));
    return model;
}

if (pretrained.Preprocessing is not null)
    Run("ML.NET recipe (SDCA)", TransferModel.BuildRecipePipeline(mlContext, dataFolder));
var sgdHead = Run("frozen backbone, SGD head", TransferModel.BuildPipeline(mlContext, dataFolder, pretrained,
    TransferModel.FineTuneOptions(pretrained, SharpnessOptimizer.Sgd, linearProbe: true)));
var samHead = Run("frozen backbone, SAM head", TransferModel.BuildPipeline(mlContext, dataFolder, pretrained,
    TransferModel.FineTuneOptions(pretrained, SharpnessOptimizer.Sam, linearProbe: true)));
var fineTune = TransferModel.FineTuneOptions(pretrained, SharpnessOptimizer.Sgd, linearProbe: false);
fineTune.InitialModel = sgdHead; // linear probing, then fine-tuning: the whole network starts from the trained head
Run("fine-tuned from the SGD head", TransferModel.BuildPipeline(mlContext, dataFolder, pretrained, fineTune));

Console.WriteLine($"\n{"Model",-32}{"Test accuracy",14}{"Fit seconds",13}");
foreach (var (name, _, accuracy, seconds) in results) Console.WriteLine($"{name,-32}{accuracy,14:P2}{seconds,13:F0}");

mlContext.Model.Save(samHead, train.Schema, modelPath);
Console.WriteLine($"\nSaved the SAM-head model to {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB); predicting with a fresh MLContext:");
foreach (var row in mlContext.Data.CreateEnumerable<TransferModel.ModelInput>(test, reuseRowObject: false).Where((_, i) => i % 100 == 0).Take(5))
{
    var output = TransferModel.Predict(modelPath, row);
    Console.WriteLine($"  {row.ImagePath,-34} true: {row.Label,-12} predicted: {output.PredictedLabel,-12} ({output.Score.Max():P1})");
}
