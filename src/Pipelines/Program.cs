using System.CommandLine;
using Microsoft.ML.Sharpness.Lab.Commands;

var rootCommand = new RootCommand("sharpness-lab: data preparation, optimizer-comparison studies and loss landscapes for Microsoft.ML.Sharpness.")
{
    DataCommand.Create(),
    StudyCommand.Create(),
    PresetsCommand.Create(),
};
return rootCommand.Parse(args).Invoke();
