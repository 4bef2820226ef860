using System.Runtime.InteropServices;

namespace Microsoft.ML.Sharpness.Lab.Charts.Drawing;

/// <summary>
/// Skia's SVG canvas writes "Unsupported path effect in addPaint." to the process's stderr (file descriptor 2) for every dashed
/// line (the SVG draws it solid; the PNG is dashed). When charts were drawn in a child process that text was discarded; this
/// discards it here by pointing descriptor 2 at /dev/null while an SVG is written (Linux and macOS; elsewhere it runs as is).
/// </summary>
internal static class QuietNativeStderr
{
    private const int StandardError = 2;
    private const int WriteOnly = 1;
    private static readonly Lock Gate = new();

    /// <summary>Runs <paramref name="action"/> with native writes to stderr discarded.</summary>
    public static void Run(Action action)
    {
        if (OperatingSystem.IsWindows())
        {
            action();
            return;
        }
        lock (Gate)
        {
            Console.Error.Flush();
            int saved = -1;
            try
            {
                saved = dup(StandardError);
                int devNull = open("/dev/null", WriteOnly);
                if (saved < 0 || devNull < 0 || dup2(devNull, StandardError) < 0)
                {
                    if (devNull >= 0) close(devNull);
                    if (saved >= 0) close(saved);
                    saved = -1;
                }
                else
                    close(devNull);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                saved = -1;
            }
            try
            {
                action();
            }
            finally
            {
                if (saved >= 0)
                {
                    dup2(saved, StandardError);
                    close(saved);
                }
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int dup(int fd);

    [DllImport("libc", SetLastError = true)]
    private static extern int dup2(int fd, int target);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi)]
    private static extern int open(string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
