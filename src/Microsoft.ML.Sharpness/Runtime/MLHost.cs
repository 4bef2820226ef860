using System.Reflection;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>
/// The user's MLContext as a component outside ML.NET can reach it. A catalog's environment is the context's internal host, not the
/// MLContext itself, and ML.NET keeps its seed, GPU settings, cancellation flag and the catalogs' constructors internal; this reads
/// them through <see cref="MLNetInternals"/> so that every component SharpnessML builds works in the user's context: its log, its seed, its
/// <c>GpuDeviceId</c>/<c>FallbackToCpu</c> and <see cref="MLContextExtensions.CancelExecution"/>.
/// </summary>
internal sealed class MLHost
{
    private TransformsCatalog? transforms;
    private DataOperationsCatalog? data;
    private MulticlassClassificationCatalog? multiclass;

    private MLHost(IHostEnvironment environment)
    {
        // An MLContext forwards to its host (its catalogs' environment), which alone carries the cancellation flag.
        Environment = environment is MLContext context ? (IHostEnvironment)MLNetInternals.ContextHost.Value.GetValue(context)! : environment;
    }

    /// <summary>The host the catalogs were made from.</summary>
    public IHostEnvironment Environment { get; }

    /// <summary>The context's transforms, on its host (made when first asked for, as are the other catalogs).</summary>
    public TransformsCatalog Transforms => transforms ??= Catalog<TransformsCatalog>(MLNetInternals.TransformsCatalog);

    /// <summary>The context's data operations, on its host.</summary>
    public DataOperationsCatalog Data => data ??= Catalog<DataOperationsCatalog>(MLNetInternals.DataOperationsCatalog);

    /// <summary>The context's multiclass catalog (its evaluator), on its host.</summary>
    public MulticlassClassificationCatalog MulticlassClassification => multiclass ??= Catalog<MulticlassClassificationCatalog>(MLNetInternals.MulticlassCatalog);

    /// <summary>The seed the MLContext was created with (<c>new MLContext(seed)</c>), or null.</summary>
    public int? Seed => (int?)Read(MLNetInternals.Seed);

    /// <summary>The context's <c>GpuDeviceId</c>, which ONNX scoring uses.</summary>
    public int? GpuDeviceId => (int?)Read(MLNetInternals.GpuDeviceId);

    /// <summary>The context's <c>FallbackToCpu</c> for ONNX scoring.</summary>
    public bool FallbackToCpu => (bool)Read(MLNetInternals.FallbackToCpu)!;

    /// <summary>Whether <see cref="MLContextExtensions.CancelExecution"/> was called and not yet served.</summary>
    public bool IsCanceled => (bool)Read(MLNetInternals.IsCanceled)!;

    /// <summary>The host of <paramref name="environment"/>: an MLContext or a catalog's environment.</summary>
    public static MLHost Of(IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new MLHost(environment);
    }

    /// <summary>Asks every component running in the context to stop (ML.NET's internal <c>ICancelable.CancelExecution</c>).</summary>
    public void CancelExecution()
    {
        var method = MLNetInternals.CancelExecution.Value;
        if (!method.DeclaringType!.IsInstanceOfType(Environment))
            throw Unsupported(MLNetInternals.CancelExecution);
        method.Invoke(Environment, null);
    }

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

    /// <summary>ML.NET never clears its flag; the host's protected setter does (on the host's own closed type).</summary>
    private void ClearCancellation()
    {
        var setter = MLNetInternals.IsCanceledSetter.Value;
        for (Type? type = Environment.GetType(); type != null; type = type.BaseType)
        {
            if (type.IsGenericType && type.GetGenericTypeDefinition() == setter.DeclaringType)
            {
                ((MethodInfo)MethodBase.GetMethodFromHandle(setter.MethodHandle, type.TypeHandle)!).Invoke(Environment, new object[] { false });
                return;
            }
        }
        throw Unsupported(MLNetInternals.IsCanceledSetter);
    }

    private object? Read(InternalMember<PropertyInfo> member)
    {
        var property = member.Value;
        if (!property.DeclaringType!.IsInstanceOfType(Environment))
            throw Unsupported(member);
        return property.GetValue(Environment);
    }

    private T Catalog<T>(InternalMember<ConstructorInfo> constructor) => (T)constructor.Value.Invoke(new object[] { Environment });

    private Exception Unsupported(InternalMember member) =>
        new InvalidOperationException($"The environment {Environment.GetType().Name} has no {member} (Microsoft.ML {MLNetInternals.Version}).");
}
