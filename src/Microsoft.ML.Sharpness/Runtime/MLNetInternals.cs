using System.IO.Compression;
using System.Reflection;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Onnx;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>
/// Every ML.NET internal SharpnessML relies on, named in one place and found by reflection when first used. A missing one
/// throws <see cref="MissingMemberException"/> naming it and the Microsoft.ML version loaded; <c>MLNetInternalsTests</c>
/// resolves them all, so an ML.NET release that moves one fails the suite.
/// </summary>
internal static class MLNetInternals
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private const string InternalEnvironment = "Microsoft.ML.Runtime.IHostEnvironmentInternal";
    private const string Cancelable = "Microsoft.ML.Runtime.ICancelable";
    private static readonly Assembly Core = typeof(IHostEnvironment).Assembly;
    private static readonly Assembly Data = typeof(MLContext).Assembly;

    /// <summary>The MLContext's host (<c>MLContext._env</c>), which its catalogs are made from.</summary>
    public static readonly InternalMember<FieldInfo> ContextHost = Field(typeof(MLContext), "_env");

    /// <summary>A catalog's environment (<c>IInternalCatalog.Environment</c>).</summary>
    public static readonly InternalMember<PropertyInfo> CatalogEnvironment = Property(Data, "Microsoft.ML.Data.IInternalCatalog", "Environment");

    /// <summary>The seed the MLContext was made with.</summary>
    public static readonly InternalMember<PropertyInfo> Seed = Property(Core, InternalEnvironment, "Seed");

    /// <summary>The context's GPU for ONNX scoring.</summary>
    public static readonly InternalMember<PropertyInfo> GpuDeviceId = Property(Core, InternalEnvironment, "GpuDeviceId");

    /// <summary>The context's CPU fallback for ONNX scoring.</summary>
    public static readonly InternalMember<PropertyInfo> FallbackToCpu = Property(Core, InternalEnvironment, "FallbackToCpu");

    /// <summary>The host's cancellation flag.</summary>
    public static readonly InternalMember<PropertyInfo> IsCanceled = Property(Core, Cancelable, "IsCanceled");

    /// <summary>Sets the host's cancellation flag.</summary>
    public static readonly InternalMember<MethodInfo> CancelExecution = new(Cancelable, "CancelExecution()",
        () => Core.GetType(Cancelable)?.GetMethod("CancelExecution", Type.EmptyTypes));

    /// <summary>The protected setter that clears the flag (ML.NET never clears it).</summary>
    public static readonly InternalMember<MethodInfo> IsCanceledSetter = new("Microsoft.ML.Runtime.HostEnvironmentBase`1", "IsCanceled.set",
        () => Core.GetType("Microsoft.ML.Runtime.HostEnvironmentBase`1")?.GetProperty("IsCanceled", Instance | BindingFlags.DeclaredOnly)?.GetSetMethod(nonPublic: true));

    /// <summary><c>new TransformsCatalog(IHostEnvironment)</c>.</summary>
    public static readonly InternalMember<ConstructorInfo> TransformsCatalog = Constructor(typeof(TransformsCatalog), typeof(IHostEnvironment));

    /// <summary><c>new DataOperationsCatalog(IHostEnvironment)</c>.</summary>
    public static readonly InternalMember<ConstructorInfo> DataOperationsCatalog = Constructor(typeof(DataOperationsCatalog), typeof(IHostEnvironment));

    /// <summary><c>new MulticlassClassificationCatalog(IHostEnvironment)</c>.</summary>
    public static readonly InternalMember<ConstructorInfo> MulticlassCatalog = Constructor(typeof(MulticlassClassificationCatalog), typeof(IHostEnvironment));

    /// <summary>The linear multiclass model from weights and biases.</summary>
    public static readonly InternalMember<ConstructorInfo> MaximumEntropyModel = Constructor(typeof(MaximumEntropyModelParameters),
        typeof(IHostEnvironment), typeof(VBuffer<float>[]), typeof(float[]), typeof(int), typeof(int), typeof(string[]), typeof(ModelStatisticsBase));

    /// <summary>The multiclass prediction transformer from a model and column names.</summary>
    public static readonly InternalMember<ConstructorInfo> MulticlassPredictionTransformer = Constructor(typeof(MulticlassPredictionTransformer<MaximumEntropyModelParameters>),
        typeof(IHostEnvironment), typeof(MaximumEntropyModelParameters), typeof(DataViewSchema), typeof(string), typeof(string), typeof(string), typeof(string));

    /// <summary>Every member above.</summary>
    public static IReadOnlyList<InternalMember> All { get; } =
    [
        ContextHost, CatalogEnvironment, Seed, GpuDeviceId, FallbackToCpu, IsCanceled, CancelExecution, IsCanceledSetter,
        TransformsCatalog, DataOperationsCatalog, MulticlassCatalog, MaximumEntropyModel, MulticlassPredictionTransformer,
    ];

    /// <summary>The zip entry (its name's ending) in which ML.NET saves an OnnxTransformer's model, as an int32-prefixed byte array.</summary>
    public const string OnnxModelEntry = "OnnxModel";

    /// <summary>The Microsoft.ML version loaded (its informational version without the commit).</summary>
    public static string Version { get; } =
        (Data.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? Data.GetName().Version?.ToString() ?? "?").Split('+')[0];

    /// <summary>The Microsoft.ML version this library was built against.</summary>
    public static string BuiltAgainst { get; } = typeof(MLNetInternals).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "MicrosoftMLVersion")?.Value ?? "?";

    /// <summary>The ONNX model bytes inside an OnnxTransformer, read back from the model file ML.NET writes for it.</summary>
    public static byte[] OnnxModelBytes(OnnxTransformer onnx)
    {
        using var stream = new MemoryStream();
        new MLContext().Model.Save(onnx, null, stream);
        stream.Position = 0;
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
        var entry = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith(OnnxModelEntry, StringComparison.Ordinal))
            ?? throw new InvalidDataException($"Microsoft.ML {Version} saved an OnnxTransformer without the entry '{OnnxModelEntry}' that " +
                $"Microsoft.ML.Sharpness reads its ONNX model from (built against Microsoft.ML {BuiltAgainst}).");
        using var reader = new BinaryReader(entry.Open());
        int length = reader.ReadInt32();
        return reader.ReadBytes(length);
    }

    /// <summary>The error for a member this ML.NET does not have.</summary>
    public static MissingMemberException Missing(InternalMember member) => new(
        $"Microsoft.ML {Version} has no {member}, which Microsoft.ML.Sharpness uses (built against Microsoft.ML {BuiltAgainst}; " +
        "the list is in Runtime/MLNetInternals.cs).");

    /// <summary>An instance property of the named type of <paramref name="assembly"/>, public or not.</summary>
    internal static InternalMember<PropertyInfo> Property(Assembly assembly, string typeName, string name) =>
        new(typeName, name, () => assembly.GetType(typeName)?.GetProperty(name, Instance));

    /// <summary>An instance field of <paramref name="type"/>, public or not.</summary>
    internal static InternalMember<FieldInfo> Field(Type type, string name) =>
        new(Display(type), name, () => type.GetField(name, Instance));

    /// <summary>A constructor of <paramref name="type"/>, public or not, with these parameter types.</summary>
    internal static InternalMember<ConstructorInfo> Constructor(Type type, params Type[] parameters) =>
        new(Display(type), $".ctor({string.Join(", ", parameters.Select(Display))})", () => type.GetConstructor(Instance, parameters));

    private static string Display(Type type) => type.IsGenericType
        ? $"{type.Namespace}.{type.Name.Split('`')[0]}<{string.Join(", ", type.GetGenericArguments().Select(t => t.Name))}>"
        : type.IsArray || type.IsPrimitive || type == typeof(string) ? type.Name : type.FullName ?? type.Name;
}
