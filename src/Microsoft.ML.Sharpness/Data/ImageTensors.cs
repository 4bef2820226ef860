using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>A data view's images and labels copied once into two tensors, so that training epochs do no per-row work.</summary>
internal sealed class ImageTensors : IDisposable
{
    internal ImageTensors(Tensor features, Tensor labels)
    {
        Features = features;
        Labels = labels;
    }

    /// <summary>Images, [N, C, H, W] float32.</summary>
    public Tensor Features { get; }

    /// <summary>0-based class indices, [N] int64.</summary>
    public Tensor Labels { get; }

    public long Count => Labels.shape[0];

    /// <summary>A copy of the rows <paramref name="rows"/>, in that order.</summary>
    public ImageTensors Select(long[] rows)
    {
        using Tensor index = tensor(rows, device: Labels.device);
        return new ImageTensors(Features.index_select(0, index), Labels.index_select(0, index));
    }

    /// <summary>Reads every row; rejects missing labels and NaN or infinite pixel values with the row number.</summary>
    public static ImageTensors Load(IDataView data, string featureColumnName, string labelColumnName, ImageColumns columns, Device device, string dataName)
    {
        int rowSize = columns.Channels * columns.Height * columns.Width;
        var featureColumn = data.Schema[featureColumnName];
        var labelColumn = data.Schema[labelColumnName];
        long capacity = Math.Max(1, data.GetRowCount() ?? 1024);
        float[] pixels = new float[checked(capacity * rowSize)];
        long[] labels = new long[capacity];
        long rows = 0;

        using (var cursor = data.GetRowCursor(new[] { featureColumn, labelColumn }))
        {
            var getFeatures = cursor.GetGetter<VBuffer<float>>(featureColumn);
            var getLabel = cursor.GetGetter<uint>(labelColumn);
            var buffer = new VBuffer<float>();
            uint key = 0;
            while (cursor.MoveNext())
            {
                if (rows == labels.Length)
                {
                    Array.Resize(ref labels, checked(labels.Length * 2));
                    Array.Resize(ref pixels, checked(labels.Length * rowSize));
                }
                getLabel(ref key);
                if (key == 0 || key > columns.Classes)
                    throw new InvalidOperationException(
                        $"Row {rows} of the {dataName} has a missing label in column '{labelColumnName}' (a value that is not among the {columns.Classes} key values). Filter such rows out or fix the label.");
                labels[rows] = key - 1;

                getFeatures(ref buffer);
                var target = pixels.AsSpan(checked((int)(rows * rowSize)), rowSize);
                buffer.CopyTo(target);
                if (!AllFinite(target))
                    throw new InvalidOperationException(
                        $"Row {rows} of the {dataName} has a NaN or infinite value in the feature column '{featureColumnName}'; every pixel value must be finite.");
                rows++;
            }
        }
        if (rows == 0)
            throw new InvalidOperationException($"The {dataName} has no rows; at least one row is needed.");

        Tensor featureTensor = tensor(pixels.AsSpan(0, checked((int)(rows * rowSize))).ToArray(), new long[] { rows, columns.Channels, columns.Height, columns.Width }, device: device);
        Tensor labelTensor = tensor(labels.AsSpan(0, (int)rows).ToArray(), new long[] { rows }, device: device);
        return new ImageTensors(featureTensor, labelTensor);
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float value in values)
            if (!float.IsFinite(value)) return false;
        return true;
    }

    public void Dispose()
    {
        Features.Dispose();
        Labels.Dispose();
    }
}
