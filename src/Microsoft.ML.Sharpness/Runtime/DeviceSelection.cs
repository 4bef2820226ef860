using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>Turns <see cref="TrainingDevice"/> into a TorchSharp device, falling back to the CPU where asked.</summary>
internal static class DeviceSelection
{
    public static Device Select(TrainingDevice requested, bool fallbackToCpu, Action<string> log)
    {
        switch (requested)
        {
            case TrainingDevice.Cpu:
                return CPU;
            case TrainingDevice.Auto:
                return cuda.is_available() ? CUDA : CPU;
            case TrainingDevice.Cuda when cuda.is_available():
                return CUDA;
            case TrainingDevice.Cuda when fallbackToCpu:
                log("CUDA was requested but TorchSharp sees no CUDA device (is the TorchSharp-cuda backend referenced?); training on the CPU.");
                return CPU;
            case TrainingDevice.Cuda:
                throw new InvalidOperationException(
                    $"{nameof(SamImageClassifierOptions.Device)} is {TrainingDevice.Cuda} but TorchSharp sees no CUDA device, and {nameof(SamImageClassifierOptions.FallbackToCpu)} is false. " +
                    "Reference the TorchSharp-cuda backend (build with -p:SharpnessTorchBackend=cuda) on a machine with a GPU, or set FallbackToCpu = true.");
            default:
                throw new ArgumentOutOfRangeException(nameof(requested), requested, "Unknown device.");
        }
    }
}
