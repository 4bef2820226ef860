using System.Diagnostics;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// Scoring throughput of a saved SamImageClassifier model on the same rows, four ways, round by round (rotating order; round 0
/// is warm-up; ratios are medians of per-round ratios):
///   ML.NET Transform      mlContext.Model.Load of the saved zip, Transform over an IDataView of feature vectors, a cursor reading Score
///   PredictionEngine      the same loaded model, PredictionEngine.Predict row by row
///   TorchSharp, batched   SamImageClassifierModel.FromTransformer(loaded).PredictProbabilities on batches of the same rows
///   TorchSharp, per row   the same, one row at a time
/// The model is a ConvNet trained for one SGD epoch on random images (throughput does not depend on the weights); the rows are
/// random 1×28×28 images. ML.NET scores with ONNX Runtime (OnnxTransformer) and needs no libtorch.
/// </summary>
internal static class ScoringThroughput
{
    private const int Side = 28, Classes = 10;

    public static void Run(string[] args)
    {
        int rounds = Bench.Option(args, "--rounds", 11), threads = Bench.Option(args, "--threads", 2), rows = Bench.Option(args, "--rows", 1000);
        int batch = Bench.Option(args, "--batch", 256);
        set_num_threads(threads);
        NativeMemoryTuning.Apply();
        double loadAtStart = Bench.LoadAverage();
        var wall = Stopwatch.StartNew();

        var random = new Random(1);
        FeatureRow[] Rows(int n) => Enumerable.Range(0, n).Select(_ => new FeatureRow
        {
            Features = Enumerable.Range(0, Side * Side).Select(_ => (float)random.NextDouble()).ToArray(),
            Label = (uint)random.Next(Classes),
        }).ToArray();

        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(Rows(512));
        var train = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw); // the saved model then needs only Features
        var model = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Optimizer = SharpnessOptimizer.Sgd, Epochs = 1, NumberOfThreads = threads,
        }).Fit(train);
        string path = Path.Combine(Path.GetTempPath(), "sharpness-scoring-benchmark.zip");
        ml.Model.Save(model, train.Schema, path);

        var scoring = new MLContext(seed: 1);
        ITransformer loaded = scoring.Model.Load(path, out _);
        var inputs = Rows(rows).Select(r => new ScoreInput { Features = r.Features }).ToArray();
        IDataView view = scoring.Data.LoadFromEnumerable(inputs);
        var engine = scoring.Model.CreatePredictionEngine<ScoreInput, ScoreOutput>(loaded);
        using var classifier = SamImageClassifierModel.FromTransformer(loaded);
        float[] flat = inputs.SelectMany(r => r.Features).ToArray();

        var results = new Dictionary<string, float[]>();
        var contenders = new (string Name, Func<float[]> Score)[]
        {
            ("ML.NET Transform", () => TransformScores(loaded, view, rows)),
            ("PredictionEngine", () => inputs.SelectMany(r => engine.Predict(r).Score).ToArray()),
            ($"TorchSharp, batches of {batch}", () => TorchScores(classifier, flat, rows, batch)),
            ("TorchSharp, per row", () => TorchScores(classifier, flat, rows, 1)),
        };
        var seconds = contenders.ToDictionary(c => c.Name, _ => new List<double>());
        for (int round = 0; round < rounds; round++)
        {
            for (int turn = 0; turn < contenders.Length; turn++)
            {
                var (name, score) = contenders[(round + turn) % contenders.Length];
                var clock = Stopwatch.StartNew();
                float[] probabilities = score();
                double s = clock.Elapsed.TotalSeconds;
                results[name] = probabilities;
                if (round > 0) seconds[name].Add(s);
            }
        }

        float[] reference = results[contenders[2].Name];
        string batched = contenders[2].Name;
        Console.WriteLine($"ConvNet saved with mlContext.Model.Save and loaded with Model.Load; {rows} random 1×{Side}×{Side} rows, {threads} threads " +
            $"(TorchSharp; ONNX Runtime with ML.NET's default session options), {rounds - 1} rounds after one warm-up round. Load average at start {loadAtStart:F2}, " +
            $"at end {Bench.LoadAverage():F2}; {wall.Elapsed.TotalSeconds:F0} s wall.");
        Console.WriteLine();
        Console.WriteLine($"| contender | median rows/second | median per-round throughput ratio to {batched} | to TorchSharp, per row | largest |Δp| vs {batched} |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, _) in contenders)
        {
            var throughput = seconds[name].Select(s => rows / s).ToList();
            var toBatched = seconds[batched].Zip(seconds[name], (b, s) => b / s);
            var toRow = seconds["TorchSharp, per row"].Zip(seconds[name], (b, s) => b / s);
            double difference = results[name].Zip(reference, (a, b) => Math.Abs(a - b)).Max();
            Console.WriteLine($"| {name} | {Bench.Median(throughput):F0} | {Bench.Median(toBatched):F3} | {Bench.Median(toRow):F3} | {difference:E1} |");
        }
        Console.WriteLine();
        Console.WriteLine("Per-round seconds: " + string.Join("; ", contenders.Select(c => $"{c.Name} {Bench.Join(seconds[c.Name])}")) + ".");
    }

    private static float[] TransformScores(ITransformer model, IDataView view, int rows)
    {
        IDataView scored = model.Transform(view);
        var column = scored.Schema["Score"];
        var scores = new float[rows * Classes];
        using var cursor = scored.GetRowCursor(new[] { column });
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var buffer = new VBuffer<float>();
        int row = 0;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            buffer.CopyTo(scores.AsSpan(row++ * Classes, Classes));
        }
        return scores;
    }

    private static float[] TorchScores(SamImageClassifierModel model, float[] flat, int rows, int batch)
    {
        var scores = new float[rows * Classes];
        int rowSize = Side * Side;
        for (int start = 0; start < rows; start += batch)
        {
            using var scope = NewDisposeScope();
            int length = Math.Min(batch, rows - start);
            Tensor images = tensor(flat.AsSpan(start * rowSize, length * rowSize).ToArray(), new long[] { length, 1, Side, Side });
            model.PredictProbabilities(images).data<float>().CopyTo(scores, start * Classes);
        }
        return scores;
    }

    private sealed class FeatureRow
    {
        [VectorType(1, Side, Side)] public float[] Features { get; set; } = Array.Empty<float>();
        public uint Label { get; set; }
    }

    private sealed class ScoreInput
    {
        [VectorType(1, Side, Side)] public float[] Features { get; set; } = Array.Empty<float>();
    }

    private sealed class ScoreOutput
    {
        public float[] Score { get; set; } = Array.Empty<float>();
    }
}
