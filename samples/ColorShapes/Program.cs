using ColorShapes;
using Microsoft.ML;
using Microsoft.ML.Sharpness;

// Trains ResNet-18 on a folder of colour images (by default a synthetic one this sample writes: five shapes in random
// colours, 64×64 px) from scratch, with crop + flip augmentation, AdamW under SAM and early stopping; then transfers
// ML.NET's ImageNet-pretrained ResNet-18 to the same images (a new head on the frozen backbone, trained under SAM); saves
// that model, loads it back in a fresh MLContext and predicts a few test images. Stop it (Ctrl+C) and run it again: the
// from-scratch run resumes from its checkpoint.
// Usage: dotnet run -c Release --project samples/ColorShapes -- [IMAGE-FOLDER] [EPOCHS] [IMAGE-SIZE]
// IMAGE-FOLDER holds train.tsv and test.tsv (columns ImagePath, relative to the folder, and Label).
string? folderArgument = args.Length > 0 ? args[0] : null;
int epochs = args.Length > 1 ? int.Parse(args[1]) : 8;
int imageSize = args.Length > 2 ? int.Parse(args[2]) : 64;
string work = Path.Combine(Path.GetTempPath(), "sharpnessml-color-shapes");
string folder = folderArgument ?? Path.Combine(work, "images");
if (folderArgument is null && !File.Exists(Path.Combine(folder, "test.tsv")))
{
    Console.WriteLine($"Writing the synthetic colour-shapes images to {folder} ...");
    ColorShapesDataset.Write(folder, trainPerClass: 200, testPerClass: 50, imageSize: imageSize, seed: 1);
}
string modelPath = Path.Combine(work, "color-shapes-model.zip");
string checkpoints = Path.Combine(work, "checkpoints");

var mlContext = new MLContext(seed: 1);
Console.CancelKeyPress += (_, e) => { e.Cancel = true; Console.WriteLine("Stopping after this step ..."); mlContext.CancelExecution(); };
var train = ColorShapesModel.LoadIndex(mlContext, Path.Combine(folder, "train.tsv"));
var test = ColorShapesModel.LoadIndex(mlContext, Path.Combine(folder, "test.tsv"));
Console.WriteLine($"Training ResNet-18 from scratch at {imageSize}×{imageSize} on {folder} for up to {epochs} epochs (checkpoints in {checkpoints}):");
Microsoft.ML.Data.MulticlassClassificationMetrics scratchMetrics;
try
{
    var pipeline = ColorShapesModel.BuildPipeline(mlContext, folder, imageSize, ColorShapesModel.Options(epochs, checkpoints));
    (_, scratchMetrics) = ColorShapesModel.TrainAndEvaluate(mlContext, pipeline, train, test);
}
catch (OperationCanceledException)
{
    Console.WriteLine($"Stopped. Run the same command again to resume from the last finished epoch; delete {checkpoints} to start over.");
    return;
}
Directory.Delete(checkpoints, recursive: true); // the run is finished

Console.WriteLine("Transfer from ML.NET's ImageNet ResNet-18 at 224×224: a new head on the frozen backbone, under SAM:");
ITransformer model;
Microsoft.ML.Data.MulticlassClassificationMetrics metrics;
try
{
    (model, metrics) = ColorShapesModel.TrainAndEvaluate(mlContext,
        ColorShapesModel.BuildTransferPipeline(mlContext, folder, ColorShapesModel.TransferOptions()), train, test);
}
catch (OperationCanceledException)
{
    Console.WriteLine("Stopped.");
    return;
}
Console.WriteLine($"{"",-34}{"test accuracy",14}{"macro accuracy",16}{"log-loss",10}");
Console.WriteLine($"{"ResNet-18 from scratch",-34}{scratchMetrics.MicroAccuracy,14:P1}{scratchMetrics.MacroAccuracy,16:P1}{scratchMetrics.LogLoss,10:F3}");
Console.WriteLine($"{"ImageNet ResNet-18, new SAM head",-34}{metrics.MicroAccuracy,14:P1}{metrics.MacroAccuracy,16:P1}{metrics.LogLoss,10:F3}");

mlContext.Model.Save(model, train.Schema, modelPath);
Console.WriteLine($"Saved the transferred model to {modelPath}. Predictions of the reloaded model:");
foreach (var row in mlContext.Data.CreateEnumerable<ColorShapesModel.ModelInput>(test, reuseRowObject: false).Where((_, i) => i % 37 == 0).Take(5))
{
    var output = ColorShapesModel.Predict(modelPath, new ColorShapesModel.ModelInput { ImagePath = Path.Combine(folder, row.ImagePath) });
    Console.WriteLine($"  {row.ImagePath,-28} label {row.Label,-9} predicted {output.PredictedLabel,-9} ({output.Score.Max():P0})");
}
