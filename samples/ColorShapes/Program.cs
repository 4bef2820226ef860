using ColorShapes;
using Microsoft.ML;
using Microsoft.ML.Sharpness;

// Trains ResNet-18 on a folder of colour images (by default a synthetic one this sample writes: five shapes in random
// colours, 64×64 px), with crop + flip augmentation, AdamW under SAM and early stopping; saves the model, loads it
// back in a fresh MLContext and predicts a few test images. Stop it (Ctrl+C) and run it again: it resumes from its
// checkpoint. Usage: dotnet run -c Release --project samples/ColorShapes -- [IMAGE-FOLDER] [EPOCHS] [IMAGE-SIZE]
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
Console.WriteLine($"Training ResNet-18 at {imageSize}×{imageSize} on {folder} for up to {epochs} epochs (checkpoints in {checkpoints}):");
ITransformer model;
Microsoft.ML.Data.MulticlassClassificationMetrics metrics;
try
{
    (model, metrics) = ColorShapesModel.TrainAndEvaluate(mlContext, folder, imageSize, train, test, ColorShapesModel.Options(epochs, checkpoints));
}
catch (OperationCanceledException)
{
    Console.WriteLine($"Stopped. Run the same command again to resume from the last finished epoch; delete {checkpoints} to start over.");
    return;
}
Console.WriteLine($"Test accuracy {metrics.MicroAccuracy:P1}, macro accuracy {metrics.MacroAccuracy:P1}, log-loss {metrics.LogLoss:F3}.");

mlContext.Model.Save(model, train.Schema, modelPath);
Console.WriteLine($"Saved to {modelPath}. Predictions of the reloaded model:");
foreach (var row in mlContext.Data.CreateEnumerable<ColorShapesModel.ModelInput>(test, reuseRowObject: false).Where((_, i) => i % 37 == 0).Take(5))
{
    var output = ColorShapesModel.Predict(modelPath, new ColorShapesModel.ModelInput { ImagePath = Path.Combine(folder, row.ImagePath) });
    Console.WriteLine($"  {row.ImagePath,-28} label {row.Label,-9} predicted {output.PredictedLabel,-9} ({output.Score.Max():P0})");
}
Directory.Delete(checkpoints, recursive: true); // the run is finished and saved
