using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>What every entry point (Fit, EvaluateWithSharpness, the landscapes) sets up before it touches libtorch.</summary>
internal static class TorchRuntime
{
    /// <summary>
    /// Tunes glibc's allocator for libtorch (<see cref="NativeMemoryTuning"/>), sets TorchSharp's intra-op threads when
    /// <paramref name="threads"/> is given (a process-wide setting), and returns the device to run on.
    /// </summary>
    public static Device Prepare(int? threads, TrainingDevice device = TrainingDevice.Cpu, bool fallbackToCpu = true, Action<string>? log = null)
    {
        NativeMemoryTuning.Apply();
        if (threads is int count) set_num_threads(count);
        return DeviceSelection.Select(device, fallbackToCpu, log ?? (_ => { }));
    }
}
