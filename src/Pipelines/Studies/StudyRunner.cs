using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Lab.Reports;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// Runs a study into an output folder: trains every run × seed (reusing finished runs whose settings are unchanged, so an
/// interrupted study resumes), evaluates each with <c>EvaluateWithSharpness</c> on training and test rows, draws the
/// landscapes, and writes tables, plots and the HTML report. A study split across processes or machines runs as shards
/// (<see cref="RunShard"/>, training only) into one shared folder, then <see cref="Report"/> draws and writes the rest.
/// </summary>
internal sealed class StudyRunner
{
    private readonly StudyDefinition study;
    private readonly string output;
    private readonly IStudyProgress progress;
    private readonly MLContext mlContext = new(seed: 1);
    private readonly Dictionary<(double Fraction, LabelNoiseKind Kind, int Seed), NoisyTrainingData> noisyData = [];

    /// <summary>A runner of <paramref name="study"/> into <paramref name="output"/>.</summary>
    public StudyRunner(StudyDefinition study, string output, IStudyProgress progress)
    {
        this.study = study;
        this.output = Path.GetFullPath(output);
        this.progress = progress;
    }

    /// <summary>Runs what is not finished yet and writes the report; returns the results of every run × seed.</summary>
    public IReadOnlyList<RunResult> Run()
    {
        StudyFolder.WriteStudy(study, output);
        var data = LoadData();
        var results = new List<RunResult>();
        foreach (var unit in StudyShard.AllUnits(study))
            results.Add(RunOne(unit.Run, unit.Seed, data));
        WriteReport(data, results, missing: []);
        return results;
    }

    /// <summary>
    /// Trains and evaluates the run × seed units of <paramref name="shard"/> that are not finished yet into the shared output
    /// folder, and nothing else: the landscapes and the report are left to <see cref="Report"/>, once every shard has finished.
    /// Returns the shard's results.
    /// </summary>
    /// <exception cref="StudyException">The output folder holds a different study.</exception>
    public IReadOnlyList<RunResult> RunShard(StudyShard shard)
    {
        StudyFolder.ClaimForShard(study, output);
        var units = shard.Units(study);
        int total = StudyShard.AllUnits(study).Count;
        progress.Stage($"Shard {shard.Index}/{shard.Count}: {units.Count} of the study's {total} run × seed units" +
            (units.Count > 0 ? $": {string.Join(", ", units)}" : " (there are more shards than warm-start groups of runs; this one has nothing to do)"));
        if (units.Count == 0) return [];
        var data = LoadData();
        var results = units.Select(unit => RunOne(unit.Run, unit.Seed, data)).ToList();
        progress.Stage($"Shard {shard.Index}/{shard.Count} finished; it draws no landscapes and writes no report.");
        return results;
    }

    /// <summary>
    /// Trains nothing: reads the results of whichever run × seed units have finished (with the study's current settings),
    /// draws the landscapes whose runs have finished, and writes the tables, plots and HTML report, marking what is missing.
    /// Returns the finished results.
    /// </summary>
    /// <exception cref="StudyException">The output folder holds no study, or a different one, or no unit has finished.</exception>
    public IReadOnlyList<RunResult> Report()
    {
        StudyFolder.RequireSame(study, output);
        var data = LoadData();
        var results = new List<RunResult>();
        var missing = new List<StudyUnit>();
        foreach (var unit in StudyShard.AllUnits(study))
        {
            var options = unit.Run.ToOptions(data.TrainCount, unit.Seed, study.Threads);
            if (FinishedEarlier(StudyFolder.Run(output, unit.Run.Name!, unit.Seed), unit.Run.Fingerprint(options), StudySettings(data)) is { } done)
            {
                progress.RunStarted(unit.Run.Name!, unit.Seed, options.Epochs, resumed: true);
                progress.RunFinished(done);
                results.Add(done);
            }
            else
            {
                progress.Stage($"{unit}: not finished (no result with these settings in {StudyFolder.Run(output, unit.Run.Name!, unit.Seed)})");
                missing.Add(unit);
            }
        }
        if (results.Count == 0)
            throw new StudyException($"None of the study's {missing.Count} run × seed units has finished in '{output}' yet: there is nothing to report.");
        WriteReport(data, results, missing);
        if (missing.Count > 0)
            progress.Stage($"{missing.Count} of {results.Count + missing.Count} run × seed units have not finished; run the report again when they have.");
        return results;
    }

    private StudyData LoadData()
    {
        progress.Stage($"Reading images from {study.DataFolder}");
        var clock = Stopwatch.StartNew();
        var data = StudyData.Load(mlContext, study.DataFolder, study.TrainRows, study.TestRows, seed: 1);
        progress.Stage($"{data.TrainCount:N0} training and {data.TestCount:N0} test images indexed ({clock.Elapsed.TotalSeconds:F0} s)");
        return data;
    }

    /// <summary>Draws the landscapes of the finished first-seed runs and writes the tables, plots and report.</summary>
    private void WriteReport(StudyData data, IReadOnlyList<RunResult> results, IReadOnlyList<StudyUnit> missing)
    {
        var finished = results.Select(r => (r.Run, r.Seed)).ToHashSet();
        var landscapes = new LandscapeStage(study, output, mlContext, data, progress, RunModel, finished).Run();
        progress.Stage("Writing tables, plots and the report");
        StudyReport.Write(study, output, results, landscapes, missing);
        progress.Stage($"Report: {Path.Combine(output, "report.html")}");
    }

    /// <summary>The study settings that shape every run's numbers, as JSON (see <see cref="RunResult.StudySettings"/>).</summary>
    private string StudySettings(StudyData data) =>
        JsonSerializer.Serialize(new { data.TrainCount, data.TestCount, study.TrainRows, study.TestRows, study.Evaluation }, StudyDefinition.Json);

    private RunResult RunOne(RunSettings run, int seed, StudyData data)
    {
        string folder = StudyFolder.Run(output, run.Name!, seed);
        var options = run.ToOptions(data.TrainCount, seed, study.Threads);
        string fingerprint = run.Fingerprint(options);
        string studySettings = StudySettings(data);
        if (FinishedEarlier(folder, fingerprint, studySettings) is { } done)
        {
            progress.RunStarted(run.Name!, seed, options.Epochs, resumed: true);
            progress.RunFinished(done);
            return done;
        }

        progress.RunStarted(run.Name!, seed, options.Epochs, resumed: false);
        var noisy = NoisyData(run, seed, data);
        var (classifier, trainingSeconds) = Train(run, seed, options, data, noisy, folder);
        var result = Evaluate(classifier, data, noisy, folder, new RunResult
        {
            Run = run.Name!,
            Seed = seed,
            Settings = fingerprint,
            StudySettings = studySettings,
            Optimizer = options.Optimizer,
            BatchSize = options.BatchSize,
            Rho = options.Optimizer == SharpnessOptimizer.Sgd ? 0 : options.Rho,
            WarmStartFrom = run.WarmStartFrom,
            LabelNoise = run.NoiseFraction,
            LabelNoiseKind = noisy is null ? null : run.NoiseKind,
            FlippedRows = noisy?.FlippedRows ?? 0,
            TrainRows = data.TrainCount,
            TestRows = data.TestCount,
            History = [.. classifier.Model.Info.TrainingHistory],
            SharpnessHistory = [.. classifier.Model.Info.SharpnessHistory],
            StabilityFactor = Charts.EdgeOfStability.Factor(options),
            StabilityThreshold = Charts.EdgeOfStability.Describe(options),
            TrainingSeconds = trainingSeconds,
            Machine = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, threads {study.Threads?.ToString() ?? "default"}",
        });
        progress.RunFinished(result);
        return result;
    }

    /// <summary>The training rows of <paramref name="run"/> with its label noise for <paramref name="seed"/> (made once, shared by the runs that ask for the same); null without noise.</summary>
    private NoisyTrainingData? NoisyData(RunSettings run, int seed, StudyData data)
    {
        if (run.NoiseFraction == 0) return null;
        var key = (run.NoiseFraction, run.NoiseKind, seed);
        if (!noisyData.TryGetValue(key, out var noisy))
        {
            noisy = NoisyTrainingData.Make(mlContext, data, run.NoiseFraction, run.NoiseKind, seed);
            noisyData[key] = noisy;
            progress.RunStage($"{run.NoiseKind} label noise: {noisy.FlippedRows:N0} of {data.TrainCount:N0} training labels flipped (seed {seed})");
        }
        return noisy;
    }

    /// <summary>The result in <paramref name="folder"/> if that run finished (its model saved) with these run and study settings; else null.</summary>
    private static RunResult? FinishedEarlier(string folder, string fingerprint, string studySettings) =>
        RunResult.TryLoad(Path.Combine(folder, "result.json")) is { } done && done.Settings == fingerprint
            && (done.StudySettings ?? studySettings) == studySettings && File.Exists(Path.Combine(folder, "model.zip"))
            ? done : null;

    /// <summary>
    /// Trains the run (from its warm-start run's model, if any) and saves the whole pipeline as <c>model.zip</c> and the network as a
    /// standard ONNX classifier, <c>model.onnx</c>, in <paramref name="folder"/>, each atomically (see <see cref="AtomicFile"/>).
    /// </summary>
    private (SamImageClassifierTransformer Classifier, double Seconds) Train(
        RunSettings run, int seed, SamImageClassifierOptions options, StudyData data, NoisyTrainingData? noisy, string folder)
    {
        Directory.CreateDirectory(folder);
        options.ValidationSet = data.Test;
        if (noisy is not null)
            options.AdditionalValidationSets = new Dictionary<string, IDataView>
            {
                [NoisyTrainingData.MemorizedSet] = noisy.FlippedNoisy, [NoisyTrainingData.FlippedCorrectSet] = noisy.FlippedTrue,
            };
        options.Progress = new SynchronousProgress<TrainingEpochReport>(progress.Epoch);
        if (run.WarmStartFrom is { } from)
            options.InitialModel = RunModel(from, seed);
        var clock = Stopwatch.StartNew();
        var classifier = mlContext.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(noisy?.Train ?? data.Train);
        double seconds = clock.Elapsed.TotalSeconds;

        var scoring = classifier.Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(data.Test)));
        AtomicFile.Write(Path.Combine(folder, "model.zip"), path => mlContext.Model.Save(data.FittedFeaturizer.Append(scoring), data.TrainRaw.Schema, path));
        AtomicFile.Write(Path.Combine(folder, "model.onnx"), classifier.Model.ExportOnnx); // a network another run can fine-tune (pretrainedModelPath)
        return (classifier, seconds);
    }

    /// <summary>
    /// Fills <paramref name="result"/> with ML.NET's metrics on all rows (training rows against the labels trained on; with label noise
    /// also against the true labels, and the flipped rows' memorization) and the sharpness measures on the evaluation rows, writes
    /// the full sharpness metrics and then <c>result.json</c> (which marks the run finished) into <paramref name="folder"/>.
    /// </summary>
    private RunResult Evaluate(SamImageClassifierTransformer classifier, StudyData data, NoisyTrainingData? noisy, string folder, RunResult result)
    {
        progress.RunStage("ML.NET metrics on all training and test rows");
        double Accuracy(IDataView rows) => mlContext.MulticlassClassification.Evaluate(classifier.Transform(rows)).MicroAccuracy;
        var trainData = noisy?.Train ?? data.Train;
        var train = mlContext.MulticlassClassification.Evaluate(classifier.Transform(trainData));
        var test = mlContext.MulticlassClassification.Evaluate(classifier.Transform(data.Test));
        if (noisy is not null)
        {
            result.CleanTrainAccuracy = Accuracy(data.Train);
            result.Memorized = noisy.FlippedRows > 0 ? Accuracy(noisy.FlippedNoisy) : 0;
            result.FlippedCorrect = noisy.FlippedRows > 0 ? Accuracy(noisy.FlippedTrue) : 0;
        }

        var clock = Stopwatch.StartNew();
        var evaluation = study.Evaluation;
        progress.RunStage($"sharpness on {Math.Min(evaluation.TrainRows, data.TrainCount)} training rows");
        var trainSharpness = mlContext.MulticlassClassification.EvaluateWithSharpness(classifier, trainData,
            evaluation.ToOptions(evaluation.TrainMeasures, evaluation.TrainRows, study.Threads));
        AtomicFile.WriteAllText(Path.Combine(folder, "train-sharpness.json"), trainSharpness.ToJson());
        progress.RunStage($"sharpness on {Math.Min(evaluation.TestRows, data.TestCount)} test rows");
        var testSharpness = mlContext.MulticlassClassification.EvaluateWithSharpness(classifier, data.Test,
            evaluation.ToOptions(evaluation.TestMeasures, evaluation.TestRows, study.Threads));
        AtomicFile.WriteAllText(Path.Combine(folder, "test-sharpness.json"), testSharpness.ToJson());

        result.TrainAccuracy = train.MicroAccuracy;
        result.TrainLogLoss = train.LogLoss;
        result.TestAccuracy = test.MicroAccuracy;
        result.TestLogLoss = test.LogLoss;
        result.TrainSharpness = trainSharpness.ToDictionary().ToDictionary();
        result.TestSharpness = testSharpness.ToDictionary().ToDictionary();
        result.EvaluationSeconds = clock.Elapsed.TotalSeconds;
        result.FinishedUtc = DateTime.UtcNow;
        result.Save(Path.Combine(folder, "result.json"));
        return result;
    }

    /// <summary>The saved model of a finished run (the whole pipeline, from index rows to PredictedLabel).</summary>
    private ITransformer RunModel(string run, int seed)
    {
        string path = Path.Combine(StudyFolder.Run(output, run, seed), "model.zip");
        if (!File.Exists(path))
            throw new StudyException($"The model of run \"{run}\" (seed {seed}) is missing at '{path}'.");
        return mlContext.Model.Load(path, out _);
    }

    /// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
