using System.Runtime.InteropServices;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>
/// glibc's malloc hands large freed blocks (libtorch's activations and gradients) back to the kernel and maps them again on
/// the next step; on 2 cores those page faults took up to half of a training epoch (docs/benchmarks.md). Before training or
/// evaluating, on Linux, this keeps such blocks in the heap: M_MMAP_THRESHOLD = 32 MiB (the most mallopt accepts) and
/// M_TRIM_THRESHOLD = 2 GiB, the same as MALLOC_MMAP_THRESHOLD_/MALLOC_TRIM_THRESHOLD_ in the environment. It is skipped
/// when either of those variables is set, or when SHARPNESS_MALLOC_TUNING=0.
/// </summary>
internal static class NativeMemoryTuning
{
    private const int TrimThreshold = -1, MmapThreshold = -3;
    private static int applied;

    public static void Apply()
    {
        if (Interlocked.Exchange(ref applied, 1) == 1 || !OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable("SHARPNESS_MALLOC_TUNING") == "0"
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null
            || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null) return;
        try
        {
            // Both or neither: a raised trim threshold alone, with mmap left dynamic, was 10× slower here.
            if (Mallopt(MmapThreshold, 32 * 1024 * 1024) == 1) Mallopt(TrimThreshold, int.MaxValue);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // not glibc (e.g. musl): nothing to tune
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
}
