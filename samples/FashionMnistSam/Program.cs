using FashionMnistSam;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;

// Trains the same ConvNet with SGD and with SAM on a Fashion-MNIST subset shipped as PNG files, compares their test
// metrics and how sharp each minimum is, saves the SAM model, loads it back and predicts a few test images.
string dataFolder = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");
int epochs = args.Length > 1 ? int.Parse(args[1]) : 10;
string modelPath = Path.Combine(Path.GetTempPath(), "fashion-mnist-sam.zip");

var mlContext = new MLContext(seed: 1);
var train = FashionMnistModel.LoadIndex(mlContext, Path.Combine(dataFolder, "train.tsv"));
var test = FashionMnistModel.LoadIndex(mlContext, Path.Combine(dataFolder, "test.tsv"));
Console.WriteLine($"Fashion-MNIST subset in {dataFolder}: {train.GetColumn<string>("Label").Count()} training and {test.GetColumn<string>("Label").Count()} test images.");

var results = new List<(string Name, FashionMnistModel.Result Result)>();
foreach (var optimizer in new[] { SharpnessOptimizer.Sgd, SharpnessOptimizer.Sam })
{
    Console.WriteLine($"\nTraining with {optimizer} ({epochs} epochs):");
    var options = new SamImageClassifierOptions
    {
        Optimizer = optimizer,
        Architecture = ImageClassifierArchitecture.ConvNet,
        Epochs = epochs,
        BatchSize = 128,
        LearningRate = 0.05f,
        Rho = 0.05f,
        Progress = new Progress<TrainingEpochReport>(report => Console.WriteLine($"  {report}")),
    };
    var (model, metrics, time) = FashionMnistModel.TrainAndEvaluate(mlContext, dataFolder, train, test, options);
    results.Add((optimizer.ToString(), new FashionMnistModel.Result(model, metrics, time)));
}

Console.WriteLine();
Console.WriteLine($"{"Test metric",-24}{results[0].Name,12}{results[1].Name,12}");
foreach (var (label, value) in FashionMnistModel.Result.Rows)
    Console.WriteLine($"{label,-24}{value(results[0].Result),12}{value(results[1].Result),12}");

Console.WriteLine("\nHow sharp is each minimum? (EvaluateWithSharpness, 1,000 training images, default settings)");
var sharpness = results.Select(r => FashionMnistModel.EvaluateSharpness(mlContext, r.Result.Model, train).ToDictionary()).ToArray();
Console.WriteLine($"{"Measure",-28}{results[0].Name,12}{results[1].Name,12}");
foreach (var (label, key) in FashionMnistModel.SharpnessRows)
    Console.WriteLine($"{label,-28}{sharpness[0][key],12:G4}{sharpness[1][key],12:G4}");

var sam = results[1].Result.Model;
mlContext.Model.Save(sam, train.Schema, modelPath);
Console.WriteLine($"\nSaved the SAM model to {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB); predicting with a fresh MLContext:");
foreach (var input in mlContext.Data.CreateEnumerable<FashionMnistModel.ModelInput>(test, reuseRowObject: false).Where((_, i) => i % 100 == 0).Take(8))
{
    var output = FashionMnistModel.Predict(modelPath, input);
    Console.WriteLine($"  {input.ImagePath,-34} true: {input.Label,-12} predicted: {output.PredictedLabel,-12} ({output.Score.Max():P1})");
}
