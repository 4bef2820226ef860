using System.Diagnostics;
using Microsoft.ML.Sharpness.Data;
using Microsoft.ML.Sharpness.Networks.Imported;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Microsoft.ML.Sharpness.Trainer;

/// <summary>
/// A frozen backbone on unaugmented images computes the same features for an image at every step: this runs the network's parts
/// before the head (preprocessing, normalization, backbone; in inference mode) once per stored image, keeps the features as rows
/// of their own (within the Fit's <see cref="DataCache"/> budget, the rest in a cache file), and gives the head alone to train on
/// them (<see cref="TrainingSettings.CacheBackboneFeatures"/>). The head is the network's own module: training it trains the network.
/// </summary>
internal sealed class FrozenBackboneFeatures : IDisposable
{
    private readonly Module<Tensor, Tensor>[] frozen;
    private readonly int batchSize;
    private readonly Device device;
    private readonly DataCache cache;
    private readonly Action throwIfCanceled;
    private readonly Action<string> log;
    private readonly Dictionary<ImageRows, ImageRows> features = new(ReferenceEqualityComparer.Instance);
    private readonly Sequential head;
    private Sequential? flattenedHead;

    /// <summary>Whether a run with <paramref name="settings"/> trains on cached features.</summary>
    public static bool Apply(TrainingSettings settings) =>
        settings is { PretrainedModelPath: not null, FreezeBackbone: true, Augmentation: ImageAugmentation.None, CacheBackboneFeatures: true };

    /// <summary>The features of a network made by <see cref="PretrainedNetwork"/> (on <paramref name="device"/>), computed <paramref name="batchSize"/> images at a time.</summary>
    public FrozenBackboneFeatures(Sequential network, int batchSize, Device device, DataCache cache, Action throwIfCanceled, Action<string> log)
    {
        var parts = network.named_children().ToArray();
        frozen = parts.TakeWhile(c => c.name != PretrainedNetwork.Head).Select(c => (Module<Tensor, Tensor>)c.module).ToArray();
        head = (Sequential)parts.Single(c => c.name == PretrainedNetwork.Head).module;
        (this.batchSize, this.device, this.cache, this.throwIfCanceled, this.log) = (batchSize, device, cache, throwIfCanceled, log);
    }

    /// <summary>
    /// What the epochs train: the network's head, reading [N, C, H, W] feature maps as stored; [N, F] features are stored as F×1×1
    /// rows, so the head reads them through a flatten. Valid after the first <see cref="Of"/>.
    /// </summary>
    public Sequential Head => flattenedHead ?? head;

    /// <summary>The features of the same rows as <paramref name="set"/>; each stored image is passed through the backbone once, whatever the sets that share it.</summary>
    public RowSet Of(RowSet set)
    {
        if (!features.TryGetValue(set.Rows, out var rows))
            features[set.Rows] = rows = Compute(set.Rows);
        return new RowSet(rows, set.Indices);
    }

    private ImageRows Compute(ImageRows images)
    {
        var clock = Stopwatch.StartNew();
        foreach (var module in frozen) module.eval();
        ImageRowsWriter? writer = null;
        try
        {
            using var noGrad = no_grad();
            foreach (var (batch, labels) in images.Batches(images.InOrder(), batchSize, device))
            {
                throwIfCanceled();
                using var scope = NewDisposeScope();
                Tensor x = batch;
                foreach (var module in frozen) x = module.call(x);
                long[] shape = x.shape;
                if (shape.Length == 2 && flattenedHead is null)
                    flattenedHead = Sequential(("flatten", Flatten()), (PretrainedNetwork.Head, head));
                writer ??= new ImageRowsWriter(cache, "features", (int)shape[1], shape.Length == 4 ? (int)shape[2] : 1, shape.Length == 4 ? (int)shape[3] : 1, images.Count);
                float[] values = x.contiguous().cpu().data<float>().ToArray();
                long[] classes = labels.cpu().data<long>().ToArray();
                int rowValues = values.Length / classes.Length;
                for (int i = 0; i < classes.Length; i++)
                    writer.Add(values.AsSpan(i * rowValues, rowValues), classes[i]);
            }
            var rows = writer!.Finish(images.SkippedRows);
            log($"Frozen backbone: computed its features once for {images.Count} images in {clock.Elapsed.TotalSeconds:F1} s; " +
                $"{rows.Describe().Replace("rows of", "feature rows of", StringComparison.Ordinal)}. The epochs train the head alone on them.");
            return rows;
        }
        finally
        {
            writer?.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var rows in features.Values) rows.Dispose();
        features.Clear();
    }
}
