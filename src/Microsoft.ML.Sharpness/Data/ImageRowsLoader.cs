using System.Diagnostics;
using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>
/// The one pass over a data view that every consumer of images goes through (training, validation, the evaluator's rows): reads the
/// feature and label columns row by row into <see cref="ImageRows"/>, and stops at the first bad row with its number and what is wrong.
/// </summary>
internal static class ImageRowsLoader
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    /// <summary>Rows between two checks for cancellation during the pass.</summary>
    private const int CancellationCheckRows = 256;

    /// <summary>
    /// Reads <paramref name="data"/> once into rows stored within <paramref name="cache"/>; with <paramref name="skipUnreadableImages"/>, rows whose
    /// image cannot be read are left out and counted instead of stopping. <paramref name="log"/> gets the progress of long passes, each skipped
    /// row and the storage chosen; <paramref name="dataName"/> ("training data") names the data in messages; <paramref name="throwIfCanceled"/>
    /// runs every <see cref="CancellationCheckRows"/> rows.
    /// </summary>
    public static ImageRows Load(IDataView data, string featureColumnName, string labelColumnName, ImageColumns columns, DataCache cache,
        bool skipUnreadableImages, string dataName, Action<string> log, Action? throwIfCanceled = null)
    {
        int rowSize = columns.Channels * columns.Height * columns.Width;
        var featureColumn = data.Schema[featureColumnName];
        var labelColumn = data.Schema[labelColumnName];
        var textColumns = data.Schema.Where(c => !c.IsHidden && c.Type is TextDataViewType && c.Name != featureColumnName && c.Name != labelColumnName).ToArray();
        using var writer = new ImageRowsWriter(cache, dataName.Replace(' ', '-'), columns.Channels, columns.Height, columns.Width, data.GetRowCount());
        var values = new float[rowSize];
        long row = 0, skipped = 0;
        var clock = Stopwatch.StartNew();

        using (var cursor = SequentialCursor(data, textColumns.Append(featureColumn).Append(labelColumn)))
        {
            var getFeatures = cursor.GetGetter<VBuffer<float>>(featureColumn);
            var getLabel = cursor.GetGetter<uint>(labelColumn);
            var texts = textColumns.Select(c => (c.Name, Get: cursor.GetGetter<ReadOnlyMemory<char>>(c))).ToArray();
            var buffer = new VBuffer<float>();
            uint key = 0;
            for (; cursor.MoveNext(); row++)
            {
                if (row % CancellationCheckRows == 0) throwIfCanceled?.Invoke();
                if (clock.Elapsed > ProgressInterval)
                {
                    log($"Reading the {dataName}: {row} rows so far.");
                    clock.Restart();
                }
                try
                {
                    getFeatures(ref buffer);
                }
                catch (Exception e) when (IsUnreadableImage(e))
                {
                    string where = $"Row {row} of the {dataName}{TextValues(texts)}: its image could not be read ({e.GetType().Name}: {e.Message})";
                    if (!skipUnreadableImages)
                        throw new InvalidOperationException(
                            $"{where}. Fix or remove the file, or set {nameof(SamImageClassifierOptions.SkipUnreadableImages)} = true to leave such rows out (they are counted and logged).", e);
                    skipped++;
                    log($"{where}; skipped ({nameof(SamImageClassifierOptions.SkipUnreadableImages)}).");
                    continue;
                }
                if (buffer.Length != rowSize)
                    throw new InvalidOperationException(
                        $"Row {row} of the {dataName} has {buffer.Length} values{SquareShape(buffer.Length, columns.Channels)} in the feature column '{featureColumnName}', whose type says " +
                        $"{columns.Channels}×{columns.Height}×{columns.Width} = {rowSize}. All images must have one size: resize them with " +
                        $"mlContext.Transforms.ResizeImages(..., imageWidth: {columns.Width}, imageHeight: {columns.Height}) before ExtractPixels.");
                buffer.CopyTo(values);
                if (!AllFinite(values))
                    throw new InvalidOperationException(
                        $"Row {row} of the {dataName} has a NaN or infinite value in the feature column '{featureColumnName}'; every pixel value must be finite.");
                getLabel(ref key);
                if (key == 0 || key > columns.Classes)
                    throw new InvalidOperationException(
                        $"Row {row} of the {dataName} has a missing label in column '{labelColumnName}' (a value that is not among the {columns.Classes} key values). Filter such rows out or fix the label.");
                writer.Add(values, key - 1);
            }
        }
        if (writer.Count == 0)
            throw new InvalidOperationException($"The {dataName} has no rows{(skipped > 0 ? $" with a readable image ({skipped} skipped)" : "")}; at least one row is needed.");
        if (skipped > 0)
            log($"Skipped {skipped} of {row} rows of the {dataName} whose image could not be read ({nameof(SamImageClassifierOptions.SkipUnreadableImages)}).");
        var rows = writer.Finish(skipped);
        log($"The {dataName}: {rows.Describe()}; memory for images: {cache.MemoryLimitBytes >> 20} MiB ({nameof(SamImageClassifierOptions.DataCacheMemoryLimitMB)}).");
        return rows;
    }

    /// <summary>
    /// A cursor that reads rows one after another on this thread. ML.NET's plain <c>GetRowCursor</c> over LoadImages decodes on worker threads
    /// and reports a missing or corrupt file from <c>MoveNext</c>, wrapped, without the row, and cannot go on; a cursor of a one-cursor
    /// set reports it from the getter of that row and moves on to the next.
    /// </summary>
    private static DataViewRowCursor SequentialCursor(IDataView data, IEnumerable<DataViewSchema.Column> columns)
    {
        var needed = columns.ToArray();
        var set = data.GetRowCursorSet(needed, 1);
        if (set.Length == 1) return set[0];
        foreach (var cursor in set) cursor.Dispose();
        return data.GetRowCursor(needed);
    }

    /// <summary>What ImageAnalytics' getters throw for an image they cannot read: a missing file or folder (IOException), no permission,
    /// contents that do not decode (ArgumentException), an empty path (InvalidOperationException on the disposed image).</summary>
    private static bool IsUnreadableImage(Exception e) => e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException;

    private static string TextValues((string Name, ValueGetter<ReadOnlyMemory<char>> Get)[] texts)
    {
        if (texts.Length == 0) return "";
        var parts = texts.Select(t =>
        {
            var value = default(ReadOnlyMemory<char>);
            t.Get(ref value);
            return $"{t.Name} = '{value}'";
        });
        return $" ({string.Join(", ", parts)})";
    }

    /// <summary>" (3×16×16 if square)" when the values make C square images, for the mixed-sizes message.</summary>
    private static string SquareShape(int values, int channels)
    {
        if (values % channels != 0) return "";
        int side = (int)Math.Round(Math.Sqrt(values / channels));
        return side * side * channels == values ? $" ({channels}×{side}×{side} if square)" : "";
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float value in values)
            if (!float.IsFinite(value)) return false;
        return true;
    }
}
