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
public sealed class StudyRunner
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
    public static string RunFolder(string output, string run, int seed) => Path.Combine(Path.GetFullPath(output), "runs", $"{Slug(run)}-seed{seed}");

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
        string resultPath = Path.Combine(folder, "result.json");
        string modelPath = Path.Combine(folder, "model.zip");
        var options = run.ToOptions(data.TrainCount, seed, study.Threads);
        string studySettings = JsonSerializer.Serialize(new { data.TrainCount, data.TestCount, study.TrainRows, study.TestRows, study.Evaluation }, StudyDefinition.Json);
        if (RunResult.TryLoad(resultPath) is { } done && done.Settings == run.Fingerprint(options) && (done.StudySettings ?? studySettings) == studySettings
            && File.Exists(modelPath))
        {
            progress.RunStarted(run.Name!, seed, options.Epochs, resumed: true);
            progress.RunFinished(done);
            return done;
        }

        progress.RunStarted(run.Name!, seed, options.Epochs, resumed: false);
        Directory.CreateDirectory(folder);
        options.ValidationSet = data.Test;
        options.Progress = new SynchronousProgress<TrainingEpochReport>(progress.Epoch);
        if (run.WarmStartFrom is { } from)
            options.InitialModel = RunModel(from, seed);
        var clock = Stopwatch.StartNew();
        var classifier = mlContext.MulticlassClassification.Trainers.SamImageClassifier(options).Fit(data.Train);
        double trainingSeconds = clock.Elapsed.TotalSeconds;

        var scoring = classifier.Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(data.Test)));
        ITransformer model = data.FittedFeaturizer.Append(scoring);
        mlContext.Model.Save(model, data.TrainRaw.Schema, modelPath);

        progress.RunStage("ML.NET metrics on all training and test rows");
        var train = mlContext.MulticlassClassification.Evaluate(classifier.Transform(data.Train));
        var test = mlContext.MulticlassClassification.Evaluate(classifier.Transform(data.Test));

        clock.Restart();
        progress.RunStage($"sharpness on {study.Evaluation.TrainRows} training rows");
        var trainSharpness = mlContext.MulticlassClassification.EvaluateWithSharpness(classifier, data.Train,
            study.Evaluation.ToOptions(study.Evaluation.TrainMeasures, study.Evaluation.TrainRows, study.Threads));
        File.WriteAllText(Path.Combine(folder, "train-sharpness.json"), trainSharpness.ToJson());
        progress.RunStage($"sharpness on {study.Evaluation.TestRows} test rows");
        var testSharpness = mlContext.MulticlassClassification.EvaluateWithSharpness(classifier, data.Test,
            study.Evaluation.ToOptions(study.Evaluation.TestMeasures, study.Evaluation.TestRows, study.Threads));
        File.WriteAllText(Path.Combine(folder, "test-sharpness.json"), testSharpness.ToJson());

        var result = new RunResult
        {
            Run = run.Name!,
            Seed = seed,
            Settings = run.Fingerprint(options),
            StudySettings = studySettings,
            Optimizer = options.Optimizer,
            BatchSize = options.BatchSize,
            Rho = options.Optimizer == SharpnessOptimizer.Sgd ? 0 : options.Rho,
            WarmStartFrom = run.WarmStartFrom,
            TrainRows = data.TrainCount,
            History = [.. classifier.Model.Info.TrainingHistory],
            TrainingSeconds = trainingSeconds,
            TrainAccuracy = train.MicroAccuracy,
            TrainLogLoss = train.LogLoss,
            TestAccuracy = test.MicroAccuracy,
            TestLogLoss = test.LogLoss,
            TrainSharpness = trainSharpness.ToDictionary().ToDictionary(),
            TestSharpness = testSharpness.ToDictionary().ToDictionary(),
            EvaluationSeconds = clock.Elapsed.TotalSeconds,
            Machine = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, threads {study.Threads?.ToString() ?? "default"}",
            FinishedUtc = DateTime.UtcNow,
        };
        result.Save(resultPath);
        progress.RunFinished(result);
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
