using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>The checked image and label columns of a data view: image shape C×H×W, class count K and the label's key values.</summary>
internal sealed class ImageColumns
{
    private ImageColumns(int channels, int height, int width, int classes, string[] classNames, DataViewSchema.Column label)
    {
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
        ClassNames = classNames;
        Label = label;
    }

    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int Classes { get; }
    public string[] ClassNames { get; }
    public DataViewSchema.Column Label { get; }

    /// <summary>Checks that the feature column is a Vector&lt;Single, C, H, W&gt; and the label a key with ≥ 2 values; throws a message naming what is wrong.</summary>
    public static ImageColumns Inspect(DataViewSchema schema, string featureColumnName, string labelColumnName)
    {
        var (channels, height, width) = InspectFeatures(schema, featureColumnName);
        var label = FindColumn(schema, labelColumnName, "label", nameof(SamImageClassifierOptions.LabelColumnName));
        if (label.Type is not KeyDataViewType key)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"The label column '{labelColumnName}' is of type {label.Type}; a key type is expected. Convert it with mlContext.Transforms.Conversion.MapValueToKey(\"{labelColumnName}\").");
        if (key.Count < 2 || key.Count > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"The label column '{labelColumnName}' has {key.Count} class(es); at least 2 are needed to train a classifier.");
        int classes = (int)key.Count;
        return new ImageColumns(channels, height, width, classes, ClassNamesOf(label, classes), label);
    }

    /// <summary>Checks the feature column alone: a known-size Vector&lt;Single&gt; with three dimensions C, H, W.</summary>
    public static (int Channels, int Height, int Width) InspectFeatures(DataViewSchema schema, string featureColumnName)
    {
        var features = FindColumn(schema, featureColumnName, "feature", nameof(SamImageClassifierOptions.FeatureColumnName));
        if (features.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"The feature column '{featureColumnName}' is of type {features.Type}; Vector<Single, C, H, W> is expected, as produced by " +
                "mlContext.Transforms.ExtractPixels(..., interleavePixelColors: false) after LoadImages and ResizeImages.");
        if (vector.Dimensions.Length != 3 || vector.Dimensions.Any(d => d <= 0))
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"The feature column '{featureColumnName}' has dimensions [{string.Join(", ", vector.Dimensions)}]; three known dimensions (channels, height, width) are expected, " +
                "as produced by ExtractPixels(..., interleavePixelColors: false).");
        return (vector.Dimensions[0], vector.Dimensions[1], vector.Dimensions[2]);
    }

    private static DataViewSchema.Column FindColumn(DataViewSchema schema, string name, string role, string option)
    {
        if (string.IsNullOrEmpty(name))
            throw new ArgumentException($"{option} is empty; name the {role} column.");
        return schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(schema),
            $"The {role} column '{name}' ({option}) is not in the data. Columns present: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => $"'{c.Name}'"))}.");
    }

    private static string[] ClassNamesOf(DataViewSchema.Column label, int classes)
    {
        var keyValues = label.Annotations.Schema.GetColumnOrNull("KeyValues");
        if (keyValues?.Type is VectorDataViewType { Size: var size } valuesType && size == classes)
            return KeyValueText(label, valuesType.ItemType.RawType, classes);
        return Enumerable.Range(1, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    private static string[] KeyValueText(DataViewSchema.Column label, Type itemType, int classes)
    {
        var method = new Func<DataViewSchema.Column, int, string[]>(KeyValueTextOf<object>).Method.GetGenericMethodDefinition();
        return (string[])method.MakeGenericMethod(itemType).Invoke(null, new object[] { label, classes })!;
    }

    private static string[] KeyValueTextOf<T>(DataViewSchema.Column label, int classes)
    {
        var values = new VBuffer<T>();
        label.GetKeyValues(ref values);
        return values.DenseValues().Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) ?? "").Take(classes).ToArray();
    }
}
