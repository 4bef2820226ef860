using System.CommandLine;
using Microsoft.ML.Sharpness.Lab.Studies;
using Spectre.Console;

namespace Microsoft.ML.Sharpness.Lab.Commands;

/// <summary><c>sharpness-lab study</c>: run a study from a config file or a preset into a report folder, resuming finished runs.</summary>
internal static class StudyCommand
{
    public static System.CommandLine.Command Create()
    {
        var configOption = new Option<string>("--config") { Description = "A study file (JSON; see `sharpness-lab presets --write DIR` for examples).", HelpName = "FILE" };
        var presetOption = new Option<string>("--preset") { Description = "A ready-made study: " + string.Join(", ", StudyPresets.Names) + ".", HelpName = "NAME" };
        presetOption.AcceptOnlyFromAmong([.. StudyPresets.Names]);
        var outOption = new Option<string>("--out") { Description = "The report folder; finished runs in it are reused.", HelpName = "DIR", Required = true };
        var dataOption = new Option<string>("--data") { Description = "Use this data folder instead of the study's.", HelpName = "DIR" };
        var seedsOption = new Option<int[]>("--seeds") { Description = "Use these seeds instead of the study's.", AllowMultipleArgumentsPerToken = true };
        var epochsOption = new Option<int?>("--epochs") { Description = "Train every run this many epochs (a quick look; warm-start helpers keep theirs).", HelpName = "N" };
        var trainRowsOption = new Option<int?>("--train-rows") { Description = "Use a stratified sample of this many training images.", HelpName = "N" };
        var quickOption = new Option<bool>("--quick")
        {
            Description = $"A quick look: at most {QuickProfile.Rows} rows per sharpness measure and {QuickProfile.TestRows} test rows, the cheaper measures with fewer iterations, 1-D landscapes only, no spectra (the study file's \"profile\": \"Quick\").",
        };
        var plainOption = new Option<bool>("--plain") { Description = "Progress as plain lines even on a terminal." };

        var command = new System.CommandLine.Command("study", "Train and evaluate every run of a study, draw its landscapes and write tables, plots and an HTML report.")
        {
            configOption, presetOption, outOption, dataOption, seedsOption, epochsOption, trainRowsOption, quickOption, plainOption,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(configOption) is null) == (result.GetValue(presetOption) is null))
                result.AddError("Give either --config FILE or --preset NAME.");
        });
        command.SetAction(parse =>
        {
            try
            {
                var study = parse.GetValue(configOption) is { } file
                    ? StudyDefinition.Load(file)
                    : StudyPresets.Load(parse.GetRequiredValue(presetOption), Environment.CurrentDirectory);
                if (parse.GetValue(dataOption) is { } data)
                {
                    study.Data = Path.GetFullPath(data);
                }
                if (parse.GetValue(seedsOption) is { Length: > 0 } seeds) study.Seeds = [.. seeds];
                if (parse.GetValue(trainRowsOption) is int rows) study.TrainRows = rows;
                if (parse.GetValue(quickOption)) QuickProfile.Apply(study);
                if (parse.GetValue(epochsOption) is int epochs)
                    foreach (var run in study.Runs.Where(r => r.Report != false)) run.Set(nameof(TrainingSettings.Epochs), epochs);
                string output = parse.GetRequiredValue(outOption);
                bool interactive = !parse.GetValue(plainOption) && AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
                if (interactive)
                    AnsiConsole.Progress()
                        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
                        .Start(context => new StudyRunner(study, output, new SpectreProgress(context)).Run());
                else
                    new StudyRunner(study, output, new LineProgress(Console.Out)).Run();
                return 0;
            }
            catch (Exception e) when (e is StudyException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
