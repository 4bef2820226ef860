using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>
/// The state of a training run after a finished epoch, in one file of <see cref="SamImageClassifierOptions.CheckpointDirectory"/>:
/// a JSON header (the run's settings, the data fingerprints, schedule position, history, early stopping) followed by the network's
/// weights and buffers, the optimizer state, the random generators' states, early stopping's best weights and the sharpness
/// monitor's power-iteration vector (a file written before the monitor existed ends before it). It is written to a
/// temporary file and renamed over the previous one, so a process killed at any moment leaves the last finished epoch's checkpoint.
/// </summary>
internal sealed class TrainingCheckpoint
{
    private const string FileName = "checkpoint.bin";
    private const string Magic = "SharpnessML training checkpoint";
    private const int Version = 1;

    private readonly string directory;
    private readonly JsonObject settings;
    private readonly string dataFingerprint;

    /// <summary>Checkpoints of the run with <paramref name="settings"/> (seed resolved) on data with <paramref name="dataFingerprint"/>.</summary>
    public TrainingCheckpoint(string directory, TrainingSettings settings, string dataFingerprint)
    {
        this.directory = directory;
        this.settings = JsonSerializer.SerializeToNode(settings.CopySettings(), TrainingSettings.SettingsJson)!.AsObject();
        this.dataFingerprint = dataFingerprint;
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"The checkpoint directory '{directory}' ({nameof(SamImageClassifierOptions.CheckpointDirectory)}) cannot be created: {e.Message}", e);
        }
    }

    /// <summary>The checkpoint file.</summary>
    public string Path => System.IO.Path.Combine(directory, FileName);

    /// <summary>Writes the state after an epoch, replacing the previous checkpoint atomically.</summary>
    public void Save(TrainingProgress progress, nn.Module network, OptimizerHelper optimizer, IEnumerable<Generator> generators, IReadOnlyDictionary<string, Tensor>? best,
        Tensor? monitorVector)
    {
        string temporary = $"{Path}.{Environment.ProcessId}.tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new BinaryWriter(stream))
        {
            var header = new CheckpointHeader { Settings = settings, DataFingerprint = dataFingerprint, Progress = progress };
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(JsonSerializer.Serialize(header, TrainingSettings.SettingsJson));
            network.save(writer);
            optimizer.save_state_dict(writer);
            foreach (var generator in generators.Append(null))
                (generator?.get_state() ?? random.get_rng_state()).Save(writer);
            writer.Write(best?.Count ?? 0);
            foreach (var (name, tensor) in best ?? new Dictionary<string, Tensor>())
            {
                writer.Write(name);
                tensor.Save(writer);
            }
            writer.Write(monitorVector is not null);
            monitorVector?.Save(writer);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
    }

    /// <summary>
    /// The progress of the checkpoint in the directory, with the network, optimizer and generators restored to it, or null when there
    /// is none; <paramref name="monitorVector"/> is the sharpness monitor's power-iteration vector, when it had one. Throws when it
    /// belongs to another run, naming what differs.
    /// </summary>
    public TrainingProgress? TryResume(nn.Module network, OptimizerHelper optimizer, IReadOnlyList<Generator> generators, out Dictionary<string, Tensor>? best,
        out Tensor? monitorVector)
    {
        best = null;
        monitorVector = null;
        if (!File.Exists(Path)) return null;
        using var stream = File.OpenRead(Path);
        using var reader = new BinaryReader(stream);
        CheckpointHeader header;
        try
        {
            if (reader.ReadString() != Magic || reader.ReadInt32() != Version) throw new InvalidDataException("not a version-1 SharpnessML checkpoint");
            header = JsonSerializer.Deserialize<CheckpointHeader>(reader.ReadString(), TrainingSettings.SettingsJson) ?? throw new InvalidDataException("empty header");
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException)
        {
            throw new InvalidDataException($"'{Path}' is not a readable SharpnessML checkpoint ({e.Message}). Delete it or choose another {nameof(SamImageClassifierOptions.CheckpointDirectory)}.", e);
        }
        CheckSameRun(header);

        network.load(reader);
        optimizer.load_state_dict(reader);
        foreach (var generator in generators.Append(null))
        {
            using Tensor state = TensorExtensionMethods.Load(reader);
            if (generator is null) random.set_rng_state(state);
            else generator.set_state(state);
        }
        int count = reader.ReadInt32();
        if (count > 0)
        {
            best = new Dictionary<string, Tensor>();
            for (int i = 0; i < count; i++)
                best[reader.ReadString()] = TensorExtensionMethods.Load(reader).DetachFromDisposeScope();
        }
        if (stream.Position < stream.Length && reader.ReadBoolean())
            monitorVector = TensorExtensionMethods.Load(reader).DetachFromDisposeScope();
        return header.Progress;
    }

    private void CheckSameRun(CheckpointHeader header)
    {
        var differences = new List<string>();
        foreach (var name in settings.Select(p => p.Key).Union(header.Settings.Select(p => p.Key)))
        {
            string mine = settings[name]?.ToJsonString() ?? "null", theirs = header.Settings[name]?.ToJsonString() ?? "null";
            if (mine != theirs) differences.Add($"{name} is {mine} here and {theirs} in the checkpoint");
        }
        if (header.DataFingerprint != dataFingerprint)
            differences.Add("the training or validation data differ (rows, labels or pixels)");
        if (differences.Count > 0)
            throw new InvalidOperationException(
                $"The checkpoint in '{directory}' belongs to another run: {string.Join("; ", differences)}. " +
                $"Fit with the same settings and data to resume it, or give another {nameof(SamImageClassifierOptions.CheckpointDirectory)} (or delete the folder) to start over.");
    }

    private sealed record CheckpointHeader
    {
        public JsonObject Settings { get; init; } = new();
        public string DataFingerprint { get; init; } = "";
        public TrainingProgress Progress { get; init; } = new();
    }
}

/// <summary>Where a run stands after its last finished epoch.</summary>
internal sealed record TrainingProgress
{
    /// <summary>Finished epochs.</summary>
    public int Epochs { get; init; }

    /// <summary>Steps taken (the schedule's position).</summary>
    public long Steps { get; init; }

    /// <summary>The finished epochs' reports.</summary>
    public List<TrainingEpochReport> History { get; init; } = new();

    /// <summary>The sharpness monitor's snapshots so far.</summary>
    public List<SharpnessSnapshot> SharpnessHistory { get; init; } = new();

    /// <summary>Early stopping's state, when it is on.</summary>
    public EarlyStoppingState? EarlyStopping { get; init; }

    /// <summary>Whether early stopping ended the run.</summary>
    public bool StoppedEarly { get; init; }
}
