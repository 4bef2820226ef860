namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>Receives a study's progress: runs starting, epochs, evaluation stages and finished runs.</summary>
internal interface IStudyProgress
{
    /// <summary>A stage outside any run (reading data, drawing landscapes, writing the report).</summary>
    void Stage(string message);

    /// <summary>A run starts training (or is found finished, with <paramref name="resumed"/> true).</summary>
    void RunStarted(string run, int seed, int epochs, bool resumed);

    /// <summary>One epoch of the current run finished.</summary>
    void Epoch(TrainingEpochReport report);

    /// <summary>The current run moved on to a stage after training (evaluation).</summary>
    void RunStage(string message);

    /// <summary>The current run finished.</summary>
    void RunFinished(RunResult result);
}

/// <summary>Progress as plain lines (logs, CI, redirected output).</summary>
internal sealed class LineProgress(TextWriter writer) : IStudyProgress
{
    private string current = "";

    /// <inheritdoc/>
    public void Stage(string message) => writer.WriteLine(message);

    /// <inheritdoc/>
    public void RunStarted(string run, int seed, int epochs, bool resumed)
    {
        current = $"{run} (seed {seed})";
        writer.WriteLine(resumed ? $"{current}: finished earlier, reusing its result" : $"{current}: training {epochs} epochs");
    }

    /// <inheritdoc/>
    public void Epoch(TrainingEpochReport report) => writer.WriteLine($"  {current} {report}");

    /// <inheritdoc/>
    public void RunStage(string message) => writer.WriteLine($"  {current}: {message}");

    /// <inheritdoc/>
    public void RunFinished(RunResult result) => writer.WriteLine(
        $"  {current}: test accuracy {result.TestAccuracy:P2}, train accuracy {result.TrainAccuracy:P2}, training {result.TrainingSeconds:F0} s");
}
