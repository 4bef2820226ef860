using System.Globalization;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>The comparison's table from its CSV: mean test accuracy ± standard error over seeds and mean fit seconds, per training set and contender.</summary>
internal static class TransferReport
{
    public static void Print(string csv)
    {
        var rows = File.ReadLines(csv).Skip(1).Select(l => l.Split(',')).Select(f => (
            PerClass: int.Parse(f[0]), Noise: double.Parse(f[1], CultureInfo.InvariantCulture), Seed: int.Parse(f[2]), Contender: f[3],
            Accuracy: double.Parse(f[4], CultureInfo.InvariantCulture), Fit: double.Parse(f[5], CultureInfo.InvariantCulture))).ToArray();
        Console.WriteLine();
        Console.WriteLine("| images per class | label noise | contender | seeds | test accuracy (mean ± SE) | fit seconds (mean) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var group in rows.GroupBy(r => (r.PerClass, r.Noise, r.Contender)).OrderBy(g => g.Key.PerClass).ThenBy(g => g.Key.Noise)
                     .ThenBy(g => Array.IndexOf(Contenders.All, g.Key.Contender)))
        {
            int diverged = group.Count(r => double.IsNaN(r.Accuracy));
            var accuracies = group.Select(r => r.Accuracy).Where(a => !double.IsNaN(a)).ToArray();
            if (accuracies.Length == 0)
            {
                Console.WriteLine($"| {group.Key.PerClass} | {group.Key.Noise:P0} | {group.Key.Contender} | {diverged} | diverged | |");
                continue;
            }
            double mean = accuracies.Average();
            double se = accuracies.Length > 1 ? Math.Sqrt(accuracies.Sum(a => (a - mean) * (a - mean)) / (accuracies.Length - 1) / accuracies.Length) : double.NaN;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {group.Key.PerClass} | {group.Key.Noise:P0} | {group.Key.Contender} | {accuracies.Length}{(diverged > 0 ? $" (+{diverged} diverged)" : "")} | {100 * mean:F2} ± {100 * se:F2} % | {group.Where(r => !double.IsNaN(r.Fit)).Select(r => r.Fit).DefaultIfEmpty(double.NaN).Average():F1} |"));
        }
    }
}
