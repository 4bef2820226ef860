using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// A study's featurized training rows with a seeded share of their labels corrupted (<see cref="LabelNoise"/>), and the flipped rows
/// alone with their noisy and with their true labels, which measure memorization: the share of flipped rows a network predicts as
/// their noisy label (memorized) and as their true label (still right).
/// </summary>
internal sealed class NoisyTrainingData
{
    private NoisyTrainingData(IDataView train, IDataView flippedNoisy, IDataView flippedTrue, int flippedRows)
    {
        Train = train;
        FlippedNoisy = flippedNoisy;
        FlippedTrue = flippedTrue;
        FlippedRows = flippedRows;
    }

    /// <summary>The name of the flipped rows with their noisy labels among the trainer's additional validation sets (accuracy = share memorized).</summary>
    public const string MemorizedSet = "flipped rows, noisy labels";

    /// <summary>The name of the flipped rows with their true labels among the trainer's additional validation sets.</summary>
    public const string FlippedCorrectSet = "flipped rows, true labels";

    /// <summary>Every training row, with the noisy labels; what the run trains on.</summary>
    public IDataView Train { get; }

    /// <summary>The flipped rows with their noisy labels: accuracy here is the share memorized.</summary>
    public IDataView FlippedNoisy { get; }

    /// <summary>The flipped rows with their true labels: accuracy here is the share still classified correctly.</summary>
    public IDataView FlippedTrue { get; }

    /// <summary>How many rows were flipped.</summary>
    public int FlippedRows { get; }

    /// <summary>A row as <c>LoadFromEnumerable</c> takes it: a key label as a 0-based class index (ML.NET adds 1 for the raw key).</summary>
    private sealed class Row
    {
        public uint Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    /// <summary>The rows with their labels as 0-based class indices (read as raw keys, 1-based, 0 = missing) and features.</summary>
    private static List<Row> ReadRows(IDataView data)
    {
        var rows = new List<Row>();
        var label = data.Schema["Label"];
        var features = data.Schema["Features"];
        using var cursor = data.GetRowCursor([label, features]);
        var getLabel = cursor.GetGetter<uint>(label);
        var getFeatures = cursor.GetGetter<VBuffer<float>>(features);
        uint key = 0;
        VBuffer<float> pixels = default;
        while (cursor.MoveNext())
        {
            getLabel(ref key);
            getFeatures(ref pixels);
            if (key == 0) throw new StudyException($"Training row {rows.Count} has no label; label noise needs every row labelled.");
            rows.Add(new Row { Label = key - 1, Features = pixels.DenseValues().ToArray() });
        }
        return rows;
    }

    /// <summary>Corrupts <paramref name="fraction"/> of the labels of <paramref name="data"/>'s training rows, seeded by <paramref name="seed"/>.</summary>
    public static NoisyTrainingData Make(MLContext mlContext, StudyData data, double fraction, LabelNoiseKind kind, int seed)
    {
        var schema = data.Train.Schema;
        var labelType = (KeyDataViewType)schema["Label"].Type;
        var rows = ReadRows(data.Train);
        var (labels, flipped) = LabelNoise.Apply([.. rows.Select(r => (int)r.Label)], (int)labelType.Count, fraction, kind, seed);

        var definition = SchemaDefinition.Create(typeof(Row));
        definition["Features"].ColumnType = schema["Features"].Type;
        definition["Label"].ColumnType = labelType;
        VBuffer<ReadOnlyMemory<char>> keyValues = default; // the class names, so models trained here predict them by name ("KeyValues": ML.NET's annotation kind)
        schema["Label"].GetKeyValues(ref keyValues);
        definition["Label"].AddAnnotation("KeyValues", keyValues, new VectorDataViewType(TextDataViewType.Instance, (int)labelType.Count));
        IDataView View(IEnumerable<Row> selected) => mlContext.Data.Cache(mlContext.Data.LoadFromEnumerable(selected.ToList(), definition));

        var noisy = rows.Select((row, i) => new Row { Label = (uint)labels[i], Features = row.Features }).ToList();
        var flippedRows = Enumerable.Range(0, rows.Count).Where(i => flipped[i]).ToList();
        return new NoisyTrainingData(View(noisy), View(flippedRows.Select(i => noisy[i])), View(flippedRows.Select(i => rows[i])), flippedRows.Count);
    }
}
