using Microsoft.ML.Sharpness.Lab.Studies;
using Spectre.Console;

namespace Microsoft.ML.Sharpness.Lab.Commands;

/// <summary>A study's progress on an interactive terminal: one bar per run (epochs, then evaluation), stage lines above.</summary>
internal sealed class SpectreProgress(ProgressContext context) : IStudyProgress
{
    private ProgressTask? task;
    private string current = "";

    public void Stage(string message) => AnsiConsole.MarkupLineInterpolated($"[grey]{message}[/]");

    public void RunStarted(string run, int seed, int epochs, bool resumed)
    {
        current = $"{run} (seed {seed})";
        task = context.AddTask(Markup.Escape(current), maxValue: epochs + 1);
        if (resumed)
        {
            task.Value = task.MaxValue;
            task.Description = Markup.Escape($"{current}: finished earlier");
        }
    }

    public void Epoch(TrainingEpochReport report)
    {
        if (task is null) return;
        task.Increment(1);
        task.Description = Markup.Escape($"{current}: epoch {report.Epoch}, test accuracy {report.ValidationAccuracy:P1}");
    }

    public void RunStage(string message)
    {
        if (task is not null) task.Description = Markup.Escape($"{current}: {message}");
    }

    public void RunFinished(RunResult result)
    {
        if (task is null) return;
        task.Value = task.MaxValue;
        task.Description = Markup.Escape($"{current}: test {result.TestAccuracy:P2}, train {result.TrainAccuracy:P2}");
        task.StopTask();
    }
}
