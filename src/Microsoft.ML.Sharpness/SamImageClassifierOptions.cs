namespace Microsoft.ML.Sharpness;

/// <summary>Where the network trains.</summary>
public enum TrainingDevice
{
    /// <summary>CUDA when TorchSharp sees a GPU, otherwise the CPU.</summary>
    Auto,
    /// <summary>The CPU.</summary>
    Cpu,
    /// <summary>The first CUDA GPU; see <see cref="SamImageClassifierOptions.FallbackToCpu"/>.</summary>
    Cuda,
}

/// <summary>
/// Options of <see cref="SamImageClassifierTrainer"/>: the <see cref="TrainingSettings"/> (network, optimizer, schedule, seed),
/// which the trained model keeps in its description, plus the columns, data and runtime settings of one Fit.
/// </summary>
public sealed class SamImageClassifierOptions : TrainingSettings
{
    /// <summary>The label column: a key (from <c>MapValueToKey</c>) with at least two values. Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The image column: <c>Vector&lt;Single, C, H, W&gt;</c> as produced by <c>ExtractPixels(interleavePixelColors: false)</c>. Default "Features".</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>The output column of class probabilities, <c>Vector&lt;Single, K&gt;</c>. Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>The output key column of the most probable class, with the label's key values. Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>
    /// Optional validation data in the same schema as the training data; its loss and accuracy are reported every epoch and drive
    /// <see cref="TrainingSettings.EarlyStoppingPatience"/>. Without it, <see cref="TrainingSettings.ValidationFraction"/> can hold rows out of the training data.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>
    /// Further labelled data sets, by name, in the same schema as the training data, whose loss and accuracy are measured after every
    /// epoch (inference mode) and reported in <see cref="TrainingEpochReport.AdditionalValidation"/>, e.g. the training rows with their
    /// clean labels while training on noisy ones, to watch the network memorize. Unlike <see cref="ValidationSet"/> they never drive
    /// early stopping. Default null.
    /// </summary>
    public IReadOnlyDictionary<string, IDataView>? AdditionalValidationSets { get; set; }

    /// <summary>
    /// A trained model (a pipeline fitted with SamImageClassifier, fresh from <c>Fit</c> or loaded with <c>mlContext.Model.Load</c>)
    /// whose weights and BatchNorm statistics training starts from instead of a random initialization, e.g. Keskar et al.'s (2017)
    /// piggybacked large-batch run from a small-batch iterate. Its architecture, image shape and class count must match;
    /// the optimizer state (momentum) starts fresh. With <see cref="TrainingSettings.PretrainedModelPath"/>: a model fine-tuned from the
    /// same file with the same preprocessing, e.g. a head trained on the frozen backbone (<see cref="TrainingSettings.FreezeBackbone"/>)
    /// to fine-tune the whole network from — linear probing, then fine-tuning (LP-FT, Kumar et al. 2022), which starts the backbone's
    /// updates from a trained head instead of a random one. Default null.
    /// </summary>
    public ITransformer? InitialModel { get; set; }

    /// <summary>
    /// A folder for checkpoints: after every epoch the trainer saves (atomically, replacing the previous one) the weights, BatchNorm
    /// statistics, optimizer state (momentum or Adam's moments), schedule position, random generators, early-stopping state and
    /// history. A Fit with the same options and data whose folder holds a checkpoint resumes after its last finished epoch; on the
    /// CPU with the same thread count the result is bit-identical to an uninterrupted run. A checkpoint made with other settings or
    /// other data is refused with a message saying what differs. The folder is created if needed; the checkpoint stays after Fit
    /// (delete the folder to start over). Default null: no checkpoints.
    /// </summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Where to train. Default <see cref="TrainingDevice.Auto"/>.</summary>
    public TrainingDevice Device { get; set; } = TrainingDevice.Auto;

    /// <summary>When <see cref="Device"/> is <see cref="TrainingDevice.Cuda"/> and no GPU is available: train on the CPU with a log message (true, default) or throw (false).</summary>
    public bool FallbackToCpu { get; set; } = true;

    /// <summary>TorchSharp's intra-op threads (a process-wide setting); null (default) leaves TorchSharp's choice.</summary>
    public int? NumberOfThreads { get; set; }

    /// <summary>
    /// Memory, in MiB, for the training and validation images together, held compactly: one byte per value when every value is
    /// k/255 as <c>ExtractPixels(scaleImage: 1f / 255)</c> gives from 8-bit pixels, float16 when that holds every value exactly, float32
    /// otherwise (training sees exactly the values the data view gave either way). Rows beyond it go to a memory-mapped cache file in
    /// <see cref="CacheDirectory"/>, read batch by batch. 0 puts every row in the cache file. Default null: a quarter of the memory
    /// this process may use (physical memory or the container's limit), computed at Fit.
    /// </summary>
    public long? DataCacheMemoryLimitMB { get; set; }

    /// <summary>
    /// The folder for the image cache file when the images do not fit <see cref="DataCacheMemoryLimitMB"/>; Fit makes a folder of its own
    /// inside it and deletes it when it ends, also when it fails. Checked to be writable before the data are read. Default null: the system's
    /// temp folder (<c>Path.GetTempPath()</c>).
    /// </summary>
    public string? CacheDirectory { get; set; }

    /// <summary>
    /// When an image file is missing or cannot be decoded (LoadImages' getter fails for a row): false (default) stops Fit with an error
    /// naming the row and its path; true leaves the row out, logs it, and counts it in <see cref="SamImageClassifierModelInfo.SkippedTrainingRows"/>.
    /// </summary>
    public bool SkipUnreadableImages { get; set; }

    /// <summary>Receives a report after every epoch (in addition to <c>MLContext.Log</c>).</summary>
    public IProgress<TrainingEpochReport>? Progress { get; set; }

    /// <summary>A shallow copy, taken at Fit so that changing these options afterwards cannot change or bypass a running Fit's checks.</summary>
    internal SamImageClassifierOptions Copy() => (SamImageClassifierOptions)MemberwiseClone();
}
