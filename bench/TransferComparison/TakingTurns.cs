namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>Two timed contenders taking turns, round by round (who goes first alternates), so that slow phases of a shared machine hit both.</summary>
internal static class TakingTurns
{
    /// <summary>Each contender's seconds per round, round 0 (warm-up) left out; <paramref name="log"/> sees every round's pair.</summary>
    public static (List<double> A, List<double> B) Run(int rounds, Func<double> a, Func<double> b, Action<int, double, double> log)
    {
        var (listA, listB) = (new List<double>(), new List<double>());
        for (int round = 0; round < rounds; round++)
        {
            double secondsA, secondsB;
            if (round % 2 == 0) { secondsA = a(); secondsB = b(); } else { secondsB = b(); secondsA = a(); }
            log(round, secondsA, secondsB);
            if (round > 0) { listA.Add(secondsA); listB.Add(secondsB); }
        }
        return (listA, listB);
    }
}
