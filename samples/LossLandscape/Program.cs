using LandscapeSample;
using Microsoft.ML;
using Microsoft.ML.Sharpness;

// Trains the ConvNet with SGD and with SAM on the shipped Fashion-MNIST subset, then draws their loss landscapes: the line
// between the two models (Keskar et al. 2017, Fig. 3), each one's loss along a filter-normalized random direction and over
// two such directions (Li et al. 2018). Usage: dotnet run -c Release -- [DATA_FOLDER] [EPOCHS] [OUT_FOLDER]
string dataFolder = args.Length > 0 ? args[0] : Path.Combine(AppContext.BaseDirectory, "data", "fashion-mnist-subset");
int epochs = args.Length > 1 ? int.Parse(args[1]) : 10;
string output = Path.GetFullPath(args.Length > 2 ? args[2] : "loss-landscape");

var mlContext = new MLContext(seed: 1);
var train = LandscapeModel.LoadIndex(mlContext, Path.Combine(dataFolder, "train.tsv"));
var test = LandscapeModel.LoadIndex(mlContext, Path.Combine(dataFolder, "test.tsv"));
var sgd = LandscapeModel.Train(mlContext, dataFolder, train, SharpnessOptimizer.Sgd, epochs);
var sam = LandscapeModel.Train(mlContext, dataFolder, train, SharpnessOptimizer.Sam, epochs);

Console.WriteLine("\nThe line from the SGD model (α = 0) to the SAM model (α = 1), 1,000 training and 1,000 test images:");
var (lineTrain, lineTest) = LandscapeModel.Interpolate(mlContext, sgd, sam, train, test);
Console.WriteLine($"{"α",6}{"train loss",12}{"test loss",12}{"test acc.",12}");
foreach (var (a, b) in lineTrain.Points.Zip(lineTest.Points).Where((_, i) => i % 4 == 0))
    Console.WriteLine($"{a.X,6:F1}{a.Loss,12:F4}{b.Loss,12:F4}{b.Accuracy,12:P1}");

var directions = new Dictionary<string, LossLandscape>();
var surfaces = new Dictionary<string, LossLandscape>();
foreach (var (name, model) in new[] { ("SGD", sgd), ("SAM", sam) })
{
    directions[name] = LandscapeModel.AroundModel(mlContext, model, train, 1);
    surfaces[name] = LandscapeModel.AroundModel(mlContext, model, train, 2);
}
Console.WriteLine("\nTraining loss along a filter-normalized random direction (step 0 is the model):");
Console.WriteLine($"{"step",6}{"SGD",12}{"SAM",12}");
foreach (var (a, b) in directions["SGD"].Points.Zip(directions["SAM"].Points).Where((_, i) => i % 5 == 0))
    Console.WriteLine($"{a.X,6:F2}{a.Loss,12:F4}{b.Loss,12:F4}");

string plots = Path.Combine(output, "plots");
LandscapeModel.WriteInterpolation(plots, "SGD", "SAM", lineTrain, lineTest);
LandscapeModel.WriteDirections(plots, directions);
foreach (var (name, surface) in surfaces) LandscapeModel.WriteSurface(plots, name, surface);
Console.WriteLine();
Console.Write(LandscapeModel.DrawCharts(plots));
Console.WriteLine($"Charts (PNG, SVG) and their numbers (CSV) are in {plots}");
