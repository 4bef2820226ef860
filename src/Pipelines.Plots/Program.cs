using Microsoft.ML.Sharpness.Lab.Plots;

// sharpness-plots FOLDER...: draws every chart CSV (training-curves.csv, interpolation-*.csv, ...) in each folder as PNG and SVG.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: sharpness-plots FOLDER...   (draws each chart CSV of a sharpness-lab plots folder as PNG and SVG)");
    return 2;
}
foreach (string folder in args)
{
    if (!Directory.Exists(folder))
    {
        Console.Error.WriteLine($"error: the folder '{folder}' does not exist.");
        return 1;
    }
    var files = new ChartFiles(folder);
    foreach (string csv in Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal))
        if (Charts.Draw(csv, files))
            Console.WriteLine($"{Path.GetFileNameWithoutExtension(csv)}: {ChartFiles.Width}×{ChartFiles.Height} PNG and SVG");
}
return 0;
