namespace Microsoft.ML.Sharpness.Lab.Studies;

/// <summary>
/// Writes files of a study folder that other processes may read or write at the same time (shards on other machines, a
/// report): each file is written under a temporary name of its own, unique to this process and call, in the same folder,
/// then renamed into place, so a reader sees the old file or the whole new one, never a half-written one, and two writers
/// never write into the same temporary file.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> by calling <paramref name="write"/> with a temporary path, then moving that file over it.</summary>
    public static void Write(string path, Action<string> write)
    {
        string temporary = TemporaryPath(path);
        try
        {
            write(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary); // only left when writing or moving failed
        }
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/>, replacing it whole.</summary>
    public static void WriteAllText(string path, string text) => Write(path, temporary => File.WriteAllText(temporary, text));

    /// <summary>
    /// Writes <paramref name="text"/> to <paramref name="path"/> if no file is there yet; returns false, writing nothing, when one
    /// is (written earlier, or by another process a moment ago).
    /// </summary>
    public static bool TryCreate(string path, string text)
    {
        string temporary = TemporaryPath(path);
        try
        {
            File.WriteAllText(temporary, text);
            File.Move(temporary, path, overwrite: false); // a hard link then unlink on Unix: fails, atomically, when the file exists
            return true;
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string TemporaryPath(string path) => $"{path}.{Environment.ProcessId}-{Guid.NewGuid():N}.partial";
}
