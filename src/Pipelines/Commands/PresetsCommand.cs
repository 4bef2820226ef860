using System.CommandLine;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Lab.Commands;

/// <summary><c>sharpness-lab presets</c>: list the ready-made studies, or write their files to start a study of one's own.</summary>
internal static class PresetsCommand
{
    public static System.CommandLine.Command Create()
    {
        var writeOption = new Option<string>("--write") { Description = "Write each preset as NAME.json into this folder.", HelpName = "DIR" };
        var command = new System.CommandLine.Command("presets", "List the ready-made studies (or write them as study files to edit).") { writeOption };
        command.SetAction(parse =>
        {
            foreach (string name in StudyPresets.Names)
            {
                var study = StudyPresets.Load(name, Environment.CurrentDirectory);
                Console.WriteLine($"{name}: {study.Description}");
                if (parse.GetValue(writeOption) is { } folder)
                {
                    Directory.CreateDirectory(folder);
                    File.WriteAllText(Path.Combine(folder, name + ".json"), StudyPresets.Json(name));
                }
            }
            return 0;
        });
        return command;
    }
}
