using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;
using Microsoft.ML.Transforms.Image;

// Trains a SAM ConvNet for one epoch on an image folder (train.tsv/test.tsv of ImagePath, Label), saves the whole pipeline,
// reloads it with a fresh MLContext and checks that the reloaded model scores the test images as the trained one does.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: TrainAndSave DATA_FOLDER MODEL_ZIP");
    return 2;
}
string dataFolder = Path.GetFullPath(args[0]), modelPath = Path.GetFullPath(args[1]);
string version = typeof(SamImageClassifierOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
Console.WriteLine($"SharpnessML {version} from {typeof(SamImageClassifierOptions).Assembly.Location}");

var mlContext = new MLContext(seed: 1);
IDataView Load(string file) => mlContext.Data.LoadFromTextFile<ImageRow>(Path.Combine(dataFolder, file), separatorChar: '\t', hasHeader: true);
var train = Load("train.tsv");
var test = Load("test.tsv");

var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    .Append(mlContext.Transforms.LoadImages("Image", dataFolder, "ImagePath"))
    .Append(mlContext.Transforms.ResizeImages("Image", 28, 28))
    .Append(mlContext.Transforms.ExtractPixels("Features", "Image", ImagePixelExtractingEstimator.ColorBits.Red,
        interleavePixelColors: false, scaleImage: 1f / 255))
    .Append(mlContext.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
    {
        Optimizer = SharpnessOptimizer.Sam,
        Architecture = ImageClassifierArchitecture.ConvNet,
        Epochs = 1,
        BatchSize = 64,
        Progress = new Progress<TrainingEpochReport>(report => Console.WriteLine($"  {report}")),
    }))
    .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

ITransformer model = pipeline.Fit(train);
var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
mlContext.Model.Save(model, train.Schema, modelPath);

ITransformer reloaded = new MLContext().Model.Load(modelPath, out _);
float[][] Scores(ITransformer m) =>
    [.. mlContext.Data.CreateEnumerable<ScoredRow>(m.Transform(test), reuseRowObject: false).Select(row => row.Score)];
var (fresh, again) = (Scores(model), Scores(reloaded));
double difference = fresh.Zip(again).Max(pair => pair.First.Zip(pair.Second).Max(p => Math.Abs(p.First - p.Second)));
Console.WriteLine($"trained: test micro accuracy {metrics.MicroAccuracy:F4} on {fresh.Length} images; saved {modelPath}");
Console.WriteLine($"reloaded: scores differ from the trained model's by at most {difference:G3}");
return difference <= 1e-5 ? 0 : 1;

/// <summary>One row of an index file.</summary>
internal sealed class ImageRow
{
    [LoadColumn(0)] public string ImagePath { get; set; } = "";
    [LoadColumn(1)] public string Label { get; set; } = "";
}

/// <summary>The class probabilities of a scored row.</summary>
internal sealed class ScoredRow
{
    public float[] Score { get; set; } = [];
}
