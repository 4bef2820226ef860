using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.ML.Sharpness.Lab.Studies;
using Spectre.Console;

namespace Microsoft.ML.Sharpness.Lab.Commands;

/// <summary>
/// <c>sharpness-lab study</c>: run a study from a config file or a preset into a report folder, resuming finished runs; or,
/// across processes or machines, one shard of its runs (<c>--shard i/n</c>) into a shared folder, and then the report of
/// whatever has finished there (<c>--report</c>).
/// </summary>
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
        var shardOption = new Option<string>("--shard")
        {
            Description = "Train only shard i of n (0-based, e.g. a Slurm array task or a Kubernetes Indexed Job) into the shared --out folder; " +
                "no landscapes, no report (see --report). Runs that warm-start from one another stay in one shard.",
            HelpName = "i/n",
        };
        var reportOption = new Option<bool>("--report")
        {
            Description = "Train nothing: draw the landscapes and write the tables, charts and HTML report from the runs finished in --out " +
                "(by shards), marking those not finished. Give the same study and options as the shards.",
        };

        var command = new System.CommandLine.Command("study",
            "Train and evaluate every run of a study, draw its landscapes and write tables, plots and an HTML report; or train one shard of its runs (--shard), or report what the shards finished (--report).")
        {
            configOption, presetOption, outOption, dataOption, seedsOption, epochsOption, trainRowsOption, quickOption, plainOption, shardOption, reportOption,
        };
        command.Validators.Add(result =>
        {
            // GetResult, not GetValue: a value the option refuses (an unknown preset) would throw here instead of being reported.
            if ((result.GetResult(configOption) is null) == (result.GetResult(presetOption) is null))
                result.AddError("Give either --config FILE or --preset NAME.");
            if (result.GetValue(shardOption) is not null && result.GetValue(reportOption))
                result.AddError("Give --shard i/n to train a shard, or --report to report what the shards finished, not both.");
        });
        command.SetAction(parse =>
        {
            try
            {
                var shard = parse.GetValue(shardOption) is { } text ? StudyShard.Parse(text) : null;
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
                Action<StudyRunner> work = shard is not null ? runner => runner.RunShard(shard) : parse.GetValue(reportOption) ? runner => runner.Report() : runner => runner.Run();
                bool interactive = !parse.GetValue(plainOption) && AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
                if (interactive)
                    AnsiConsole.Progress()
                        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new ElapsedTimeColumn())
                        .Start(context => work(new StudyRunner(study, output, new SpectreProgress(context))));
                else
                    work(new StudyRunner(study, output, new LineProgress(Console.Out)));
                if (shard is not null)
                    Console.WriteLine($"When every shard has finished, write the report with: {ReportCommand(parse.Tokens.Where(t => t.Type != TokenType.Command).Select(t => t.Value))}");
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

    /// <summary>The command line of the report of a shard's study: the shard's own arguments with <c>--shard i/n</c> replaced by <c>--report</c>.</summary>
    private static string ReportCommand(IEnumerable<string> shardArguments)
    {
        var arguments = new List<string>();
        bool skipValue = false;
        foreach (string argument in shardArguments)
        {
            if (skipValue)
                skipValue = false;
            else if (argument == "--shard")
                skipValue = true;
            else
                arguments.Add(argument);
        }
        return string.Join(' ', ["sharpness-lab", "study", .. arguments.Select(Quoted), "--report"]);
    }

    private static string Quoted(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@".Contains(c)) ? argument : $"'{argument.Replace("'", "'\\''")}'";
}
