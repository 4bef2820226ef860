using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>
/// The user's MLContext as a component outside ML.NET can reach it. A catalog's environment is the context's internal host, not the
/// MLContext itself, and ML.NET keeps its seed, GPU settings, cancellation flag and the catalogs' constructors internal; this reads
/// them by reflection so that every component SharpnessML builds works in the user's context: its log, its seed, its
/// <c>GpuDeviceId</c>/<c>FallbackToCpu</c> and <see cref="MLContextExtensions.CancelExecution"/>.
/// </summary>
internal sealed class MLHost
{
    private const BindingFlags Members = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
    private static readonly Assembly Core = typeof(IHostEnvironment).Assembly;
    private static readonly Type InternalEnvironment = Core.GetType("Microsoft.ML.Runtime.IHostEnvironmentInternal", throwOnError: true)!;
    private static readonly Type Cancelable = Core.GetType("Microsoft.ML.Runtime.ICancelable", throwOnError: true)!;
    private static readonly PropertyInfo CanceledFlag = Cancelable.GetProperty("IsCanceled")!;
    private TransformsCatalog? transforms;
    private DataOperationsCatalog? data;
    private MulticlassClassificationCatalog? multiclass;

    private MLHost(IHostEnvironment environment)
    {
        // An MLContext forwards to its host (its catalogs' environment), which alone carries the cancellation flag.
        Environment = environment is MLContext context ? (IHostEnvironment)typeof(MLContext).GetField("_env", Members)!.GetValue(context)! : environment;
    }

    /// <summary>The host the catalogs were made from.</summary>
    public IHostEnvironment Environment { get; }

    /// <summary>The context's transforms, on its host (made when first asked for, as are the other catalogs).</summary>
    public TransformsCatalog Transforms => transforms ??= Catalog<TransformsCatalog>();

    /// <summary>The context's data operations, on its host.</summary>
    public DataOperationsCatalog Data => data ??= Catalog<DataOperationsCatalog>();

    /// <summary>The context's multiclass catalog (its evaluator), on its host.</summary>
    public MulticlassClassificationCatalog MulticlassClassification => multiclass ??= Catalog<MulticlassClassificationCatalog>();

    /// <summary>The seed the MLContext was created with (<c>new MLContext(seed)</c>), or null.</summary>
    public int? Seed => (int?)Read(InternalEnvironment, "Seed");

    /// <summary>The context's <c>GpuDeviceId</c>, which ONNX scoring uses.</summary>
    public int? GpuDeviceId => (int?)Read(InternalEnvironment, "GpuDeviceId");

    /// <summary>The context's <c>FallbackToCpu</c> for ONNX scoring.</summary>
    public bool FallbackToCpu => (bool)Read(InternalEnvironment, "FallbackToCpu")!;

    /// <summary>Whether <see cref="MLContextExtensions.CancelExecution"/> was called and not yet served.</summary>
    public bool IsCanceled => Cancelable.IsInstanceOfType(Environment) ? (bool)CanceledFlag.GetValue(Environment)! : throw Unsupported("ICancelable.IsCanceled");

    /// <summary>The host of <paramref name="environment"/>: an MLContext or a catalog's environment.</summary>
    public static MLHost Of(IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new MLHost(environment);
    }

    /// <summary>Asks every component running in the context to stop (ML.NET's internal <c>ICancelable.CancelExecution</c>).</summary>
    public void CancelExecution() => Cancelable.GetMethod("CancelExecution")!.Invoke(Environment, null);

    /// <summary>
    /// Throws <see cref="OperationCanceledException"/> when the context was canceled, and serves the request: the flag is cleared, so
    /// one <c>CancelExecution</c> stops the operation that is running (or the next one to start), and the context trains again afterwards.
    /// </summary>
    public void ThrowIfCanceled(string operation)
    {
        if (!IsCanceled)
            return;
        ClearCancellation();
        throw new OperationCanceledException($"{operation} was canceled (MLContext.CancelExecution).");
    }

    /// <summary>ML.NET never clears its flag; the host's protected setter does.</summary>
    private void ClearCancellation()
    {
        for (Type? type = Environment.GetType(); type != null; type = type.BaseType)
        {
            if (type.GetProperty("IsCanceled", Members | BindingFlags.DeclaredOnly) is { } property && property.GetSetMethod(nonPublic: true) is { } setter)
            {
                setter.Invoke(Environment, new object[] { false });
                return;
            }
        }
        throw Unsupported("the cancellation flag");
    }

    private object? Read(Type contract, string property)
    {
        if (!contract.IsInstanceOfType(Environment))
            throw Unsupported($"{contract.Name}.{property}");
        return contract.GetProperty(property)!.GetValue(Environment);
    }

    private T Catalog<T>()
    {
        var constructor = typeof(T).GetConstructor(Members, new[] { typeof(IHostEnvironment) }) ?? throw Unsupported(typeof(T).Name);
        return (T)constructor.Invoke(new object[] { Environment });
    }

    private static Exception Unsupported(string what) =>
        new InvalidOperationException($"Could not reach {what} of the MLContext; this version of Microsoft.ML.Sharpness supports Microsoft.ML 5.0.");
}
