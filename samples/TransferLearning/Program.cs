using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;
using TransferLearning;

// Fine-tunes a pretrained ONNX image classifier on a few labelled images per class with SAM, against the same network
// trained from scratch with the same budget, then saves the fine-tuned model, loads it back and predicts a few test images.
// Arguments: [model.onnx] [data folder with train.tsv/test.tsv] [images per class] [epochs]. The default model is the
// demonstration's ResNet-8 pretrained on Fashion-MNIST classes 0–4 (docs/reproductions.md); the default data are the
// shipped Fashion-MNIST subset's classes 5–9.
string onnxPath = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "models", "fashion-mnist-0-4-resnet8.onnx");
string dataFolder = args.Length > 1 ? args[1] : Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");
int perClass = args.Length > 2 ? int.Parse(args[2]) : 20;
int epochs = args.Length > 3 ? int.Parse(args[3]) : 30;
string[]? classes = args.Length > 1 ? null : new[] { "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };
string modelPath = Path.Combine(Path.GetTempPath(), "transfer-learning-sam.zip");

var mlContext = new MLContext(seed: 1);
var input = TransferModel.DescribeOnnx(onnxPath);
Console.WriteLine($"Pretrained model {onnxPath}: {input.Channels}×{input.Height}×{input.Width} images.");
var train = TransferModel.LoadIndex(mlContext, Path.Combine(dataFolder, "train.tsv"), classes, perClass);
var test = TransferModel.LoadIndex(mlContext, Path.Combine(dataFolder, "test.tsv"), classes, perClass: null);
Console.WriteLine($"Data in {dataFolder}: {train.GetColumn<string>("Label").Count()} training images ({perClass} per class) and {test.GetColumn<string>("Label").Count()} test images.");

var runs = new (string Name, string? Pretrained, SharpnessOptimizer Optimizer)[]
{
    ("fine-tuned, SAM", onnxPath, SharpnessOptimizer.Sam),
    ("fine-tuned, SGD", onnxPath, SharpnessOptimizer.Sgd),
    ("from scratch, SAM", null, SharpnessOptimizer.Sam),
};
var results = new List<(string Name, ITransformer Model, double Accuracy)>();
foreach (var (name, pretrained, optimizer) in runs)
{
    Console.WriteLine($"\nTraining {name} ({epochs} epochs):");
    var options = TransferModel.Options(pretrained, input, optimizer, epochs);
    var (model, accuracy) = TransferModel.TrainAndEvaluate(mlContext, dataFolder, input, train, test, options);
    Console.WriteLine($"  test accuracy {accuracy:P2}");
    results.Add((name, model, accuracy));
}

Console.WriteLine($"\n{"Model",-22}{"Test accuracy",14}");
foreach (var (name, _, accuracy) in results) Console.WriteLine($"{name,-22}{accuracy,14:P2}");

mlContext.Model.Save(results[0].Model, train.Schema, modelPath);
Console.WriteLine($"\nSaved the fine-tuned SAM model to {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB); predicting with a fresh MLContext:");
foreach (var row in mlContext.Data.CreateEnumerable<TransferModel.ModelInput>(test, reuseRowObject: false).Where((_, i) => i % 100 == 0).Take(5))
{
    var output = TransferModel.Predict(modelPath, row);
    Console.WriteLine($"  {row.ImagePath,-34} true: {row.Label,-12} predicted: {output.PredictedLabel,-12} ({output.Score.Max():P1})");
}
