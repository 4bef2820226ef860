using System.Globalization;

namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>One run of a study with one seed: the unit of work a study is split into.</summary>
/// <param name="Run">The run, with the study's defaults filled in.</param>
/// <param name="Seed">The seed.</param>
internal sealed record StudyUnit(RunSettings Run, int Seed)
{
    /// <summary>"LB (seed 2)".</summary>
    public override string ToString() => $"{Run.Name} (seed {Seed})";
}

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (<c>study --shard i/n</c>): a deterministic slice of a study's run × seed
/// units, so that n processes, on one machine or many (a Slurm array, a Kubernetes Indexed Job), share a study's training.
/// </summary>
/// <remarks>
/// The units are grouped into warm-start chains: a run that warm-starts from another needs that run's model of the same
/// seed, so a run, every run that starts from it (directly or through others) and the run it starts from are one group, per
/// seed. The groups are dealt out to balance the epochs each shard trains: heaviest first (a group weighs the epochs of its
/// runs; equal weights in the order seed by seed, then by first run), each to the shard with the fewest epochs so far (the
/// lowest-numbered of those). A shard trains its units in the study's order, so a warm-start run after the run it starts
/// from. The slice depends only on the study and on i/n, never on what is finished already.
/// </remarks>
/// <param name="Index">The shard, 0-based (as Slurm's <c>SLURM_ARRAY_TASK_ID</c> with <c>--array=0-(n-1)</c> and Kubernetes' <c>JOB_COMPLETION_INDEX</c>).</param>
/// <param name="Count">How many shards the study is split into.</param>
internal sealed record StudyShard(int Index, int Count)
{
    /// <summary>Reads <c>i/n</c>, e.g. <c>0/4</c>.</summary>
    /// <exception cref="StudyException">The text is not two whole numbers i/n with n ≥ 1 and 0 ≤ i &lt; n.</exception>
    public static StudyShard Parse(string text)
    {
        const string Form = "--shard takes i/n, the 0-based shard i of n shards (0 ≤ i < n), e.g. --shard 0/4 … --shard 3/4";
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            throw new StudyException($"{Form}; '{text}' is not of that form.");
        if (count < 1)
            throw new StudyException($"{Form}; '{text}' asks for {count} shards.");
        if (index >= count)
            throw new StudyException($"{Form}; in '{text}' i = {index} is not below n = {count} (i is 0-based: " +
                $"Slurm --array=0-{count - 1}, a Kubernetes Indexed Job's JOB_COMPLETION_INDEX).");
        return new StudyShard(index, count);
    }

    /// <summary>The units of this shard, in the study's order (see <see cref="AllUnits"/>).</summary>
    public IReadOnlyList<StudyUnit> Units(StudyDefinition study)
    {
        var epochs = new long[Count];
        var mine = new HashSet<(string?, int)>();
        foreach (var (group, weight) in Groups(study).Select(group => (group, weight: Weight(group))).OrderByDescending(g => g.weight)) // a stable sort
        {
            int shard = Array.IndexOf(epochs, epochs.Min());
            epochs[shard] += weight;
            if (shard == Index) mine.UnionWith(group.Select(unit => (unit.Run.Name, unit.Seed)));
        }
        return [.. AllUnits(study).Where(unit => mine.Contains((unit.Run.Name, unit.Seed)))];
    }

    /// <summary>The epochs a group of units trains.</summary>
    private static long Weight(IReadOnlyList<StudyUnit> group) => group.Sum(unit => (long)unit.Run.ToOptions(trainRows: 1, unit.Seed, threads: null).Epochs);

    /// <summary>Every unit of the study in the order a whole study trains them: seed by seed, the runs in the study's order.</summary>
    public static IReadOnlyList<StudyUnit> AllUnits(StudyDefinition study) =>
        [.. study.Seeds.SelectMany(seed => study.ResolvedRuns().Select(run => new StudyUnit(run, seed)))];

    /// <summary>
    /// Every unit of the study in warm-start groups (see the remarks of <see cref="StudyShard"/>): seed by seed, the groups by
    /// their first run, each group's runs in the study's order.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<StudyUnit>> Groups(StudyDefinition study)
    {
        var runs = study.ResolvedRuns();
        var root = runs.ToDictionary(run => run.Name!, run => run.Name!);
        string Root(string name) => root[name] == name ? name : Root(root[name]);
        foreach (var run in runs)
            if (run.WarmStartFrom is { } from)
                root[Root(run.Name!)] = Root(from);
        var chains = runs.GroupBy(run => Root(run.Name!)).ToList(); // in the order of each group's first run
        return [.. study.Seeds.SelectMany(seed => chains.Select(chain => (IReadOnlyList<StudyUnit>)[.. chain.Select(run => new StudyUnit(run, seed))]))];
    }

    /// <summary>"shard 1/4".</summary>
    public override string ToString() => $"shard {Index}/{Count}";
}
