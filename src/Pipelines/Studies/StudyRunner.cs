using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Sharpness.Lab.Reports;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// Runs a study into an output folder: trains every run × seed (reusing finished runs whose settings are unchanged, so an
/// interrupted study resumes), evaluates each with <c>EvaluateWithSharpness</c> on training and test rows, draws the
/// landscapes, and writes tables, plots and the HTML report.
/// </summary>
internal sealed class StudyRunner
{
    private readonly StudyDefinition study;
    private readonly string output;
    private readonly IStudyProgress progress;
    private readonly MLContext mlContext = new(seed: 1);

    /// <summary>A runner of <paramref name="study"/> into <paramref name="output"/>.</summary>
    public StudyRunner(StudyDefinition study, string output, IStudyProgress progress)
    {
        this.study = study;
        this.output = Path.GetFullPath(output);
        this.progress = progress;
    }

    /// <summary>The folder of one run's model (<c>model.zip</c>) and result (<c>result.json</c>) in a study's output folder.</summary>
    private static string RunFolder(string output, string run, int seed) => Path.Combine(Path.GetFullPath(output), "runs", $"{Slug(run)}-seed{seed}");

    /// <summary>Runs what is not finished yet and writes the report; returns the results of every run × seed.</summary>
    public IReadOnlyList<RunResult> Run()
    {
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "study.json"), JsonSerializer.Serialize(study, StudyDefinition.Json));
        progress.Stage($"Reading images from {study.DataFolder}");
        var clock = Stopwatch.StartNew();
        var data = StudyData.Load(mlContext, study.DataFolder, study.TrainRows, study.TestRows, seed: 1);
        progress.Stage($"{data.TrainCount:N0} training and {data.TestCount:N0} test images indexed ({clock.Elapsed.TotalSeconds:F0} s)");

        var results = new List<RunResult>();
        foreach (int seed in study.Seeds)
            foreach (var run in study.ResolvedRuns())
                results.Add(RunOne(run, seed, data));

        var landscapes = new LandscapeStage(study, output, mlContext, data, progress, RunModel).Run();
        progress.Stage("Writing tables, plots and the report");
        StudyReport.Write(study, output, results, landscapes);
        progress.Stage($"Report: {Path.Combine(output, "report.html")}");
        return results;
    }

    private RunResult RunOne(RunSettings run, int seed, StudyData data)
    {
        string folder = RunFolder(output, run.Name!, seed);
        var options = run.ToOptions(data.TrainCount, seed, study.Threads);
        string fingerprint = run.Fingerprint(options);
        string studySettings = JsonSerializer.Serialize(new { data.TrainCount, data.TestCount, study.TrainRows, study.TestRows, study.Evaluation }, StudyDefinition.Json);
        if (FinishedEarlier(folder, fingerprint, studySettings) is { } done)
        {
            progress.RunStarted(run.Name!, seed, options.Epochs, resumed: true);
            progress.RunFinished(done);
            return done;
        }

        progress.RunStarted(run.Name!, seed, options.Epochs, resumed: false);
        var (classifier, trainingSeconds) = Train(run, seed, options, data, folder);
        var result = Evaluate(classifier, data, folder, new RunResult
        {
            Run = run.Name!,
            Seed = seed,
            Settings = fingerprint,
            StudySettings = studySettings,
            Optimizer = options.Optimizer,
            BatchSize = options.BatchSize,
            Rho = options.Optimizer == SharpnessOptimizer.Sgd ? 0 : options.Rho,
            WarmStartFrom = run.WarmStartFrom,
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

    /// <summary>The result in <paramref name="folder"/> if that run finished (its model saved) with these run and study settings; else null.</summary>
    private static RunResult? FinishedEarlier(string folder, string fingerprint, string studySettings) =>
        RunResult.TryLoad(Path.Combine(folder, "result.json")) is { } done && done.Settings == fingerprint
            && (done.StudySettings ?? studySettings) == studySettings && File.Exists(Path.Combine(folder, "model.zip"))
            ? done : null;

    /// <summary>
    /// Trains the run (from its warm-start run's model, if any) and saves the whole pipeline as <c>model.zip</c> and the network as a
    /// standard ONNX classifier, <c>model.onnx</c>, in <paramref name="folder"/>.
    /// </summary>
    private (SamImageClassifierTransformer Classifier, double Seconds) Train(
        RunSettings run, int seed, SamImageClassifierOptions options, StudyData data, string folder)
    {
        Directory.CreateDirectory(folder);
        options.ValidationSet = data.Test;
        options.Progress = new SynchronousProgress<TrainingEpochReport>(progress.Epoch);
        if (run.WarmStartFrom is { } from)
            options.InitialModel = RunModel(from, seed);
        var clock = Stopwatch.StartNew();
        var classifier = mlContext.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(data.Train);
        double seconds = clock.Elapsed.TotalSeconds;

        var scoring = classifier.Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(data.Test)));
        mlContext.Model.Save(data.FittedFeaturizer.Append(scoring), data.TrainRaw.Schema, Path.Combine(folder, "model.zip"));
        classifier.Model.ExportOnnx(Path.Combine(folder, "model.onnx")); // a network another run can fine-tune (pretrainedModelPath)
        return (classifier, seconds);
    }

    /// <summary>
    /// Fills <paramref name="result"/> with ML.NET's metrics on all rows and the sharpness measures on the evaluation rows, writes
    /// the full sharpness metrics and then <c>result.json</c> (which marks the run finished) into <paramref name="folder"/>.
    /// </summary>
    private RunResult Evaluate(SamImageClassifierTransformer classifier, StudyData data, string folder, RunResult result)
    {
        progress.RunStage("ML.NET metrics on all training and test rows");
        var train = mlContext.MulticlassClassification.Evaluate(classifier.Transform(data.Train));
        var test = mlContext.MulticlassClassification.Evaluate(classifier.Transform(data.Test));

        var clock = Stopwatch.StartNew();
        var evaluation = study.Evaluation;
        progress.RunStage($"sharpness on {Math.Min(evaluation.TrainRows, data.TrainCount)} training rows");
        var trainSharpness = mlContext.MulticlassClassification.EvaluateWithSharpness(classifier, data.Train,
            evaluation.ToOptions(evaluation.TrainMeasures, evaluation.TrainRows, study.Threads));
        File.WriteAllText(Path.Combine(folder, "train-sharpness.json"), trainSharpness.ToJson());
        progress.RunStage($"sharpness on {Math.Min(evaluation.TestRows, data.TestCount)} test rows");
        var testSharpness = mlContext.MulticlassClassification.EvaluateWithSharpness(classifier, data.Test,
            evaluation.ToOptions(evaluation.TestMeasures, evaluation.TestRows, study.Threads));
        File.WriteAllText(Path.Combine(folder, "test-sharpness.json"), testSharpness.ToJson());

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
        string path = Path.Combine(RunFolder(output, run, seed), "model.zip");
        if (!File.Exists(path))
            throw new StudyException($"The model of run \"{run}\" (seed {seed}) is missing at '{path}'.");
        return mlContext.Model.Load(path, out _);
    }

    /// <summary>A file-system-safe, lower-case form of a run name.</summary>
    public static string Slug(string name)
    {
        var chars = name.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) || c == '.' ? c : '-').ToArray();
        return string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
