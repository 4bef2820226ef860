// Trains the rows of a JSON file with the settings of a JSON file, checkpointing every epoch into a folder, and prints
// "epoch N" after each epoch: the checkpoint tests kill this process mid-epoch and resume its run in theirs.
// Usage: TrainingProcess ROWS.json SETTINGS.json CHECKPOINT-FOLDER CHANNELS SIDE
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness;

var json = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };
var rows = JsonSerializer.Deserialize<Row[]>(File.ReadAllText(args[0]))!;
var options = JsonSerializer.Deserialize<SamImageClassifierOptions>(File.ReadAllText(args[1]), json)!;
int channels = int.Parse(args[3]), side = int.Parse(args[4]);
options.CheckpointDirectory = args[2];
options.NumberOfThreads = 1; // as the tests run in their process: the same thread count gives the same weights
options.Progress = new EpochPrinter();

var ml = new MLContext();
var schema = SchemaDefinition.Create(typeof(Row));
schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, channels, side, side);
var data = ml.Data.LoadFromEnumerable(rows, schema);
var keyed = ml.Transforms.Conversion.MapValueToKey(nameof(Row.Label)).Fit(data).Transform(data);
ml.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(keyed);
Console.WriteLine("finished");

internal sealed class Row
{
    public string Label { get; set; } = "";
    public float[] Features { get; set; } = [];
}

internal sealed class EpochPrinter : IProgress<TrainingEpochReport>
{
    public void Report(TrainingEpochReport value) => Console.WriteLine($"epoch {value.Epoch} {value.Seconds:F3}");
}
