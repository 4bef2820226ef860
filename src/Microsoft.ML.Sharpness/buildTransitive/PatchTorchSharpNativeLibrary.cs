#nullable enable
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Marks the GLIBCXX_3.4.32 version requirement of libLibTorchSharp.so weak (ELF SHT_GNU_verneed, VER_FLG_WEAK),
/// so that the library loads with GCC 12's libstdc++. Idempotent; skipped when the system libstdc++ has that version,
/// unless <see cref="Always"/> is set (for output that runs on other machines, such as a tool package).
/// </summary>
public class PatchTorchSharpNativeLibrary : Task
{
    private const string MissingVersion = "GLIBCXX_3.4.32";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>Patch even when this machine's libstdc++ has GLIBCXX_3.4.32 (the weak requirement is harmless there).</summary>
    public bool Always { get; set; }

    public override bool Execute()
    {
        if (!Always && !NeedsPatch())
            return true;
        foreach (ITaskItem item in Files)
        {
            string path = item.GetMetadata("FullPath");
            try
            {
                string outcome = Patch(path);
                Log.LogMessage(MessageImportance.High, $"SharpnessML: {path}: {outcome}");
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogWarning($"SharpnessML: could not patch {path} ({e.Message}); TorchSharp may fail to load on this system.");
            }
        }
        return !Log.HasLoggedErrors;
    }

    /// <summary>Whether this machine's libstdc++ lacks GLIBCXX_3.4.32 (false, logged, when none is found).</summary>
    private bool NeedsPatch()
    {
        string? libStdCxx = Array.Find(LibStdCxxCandidates, File.Exists);
        if (libStdCxx == null)
        {
            Log.LogMessage(MessageImportance.Low, "SharpnessML: no libstdc++.so.6 found in the usual places; libLibTorchSharp.so left as it is.");
            return false;
        }
        if (Contains(File.ReadAllBytes(libStdCxx), Encoding.ASCII.GetBytes(MissingVersion + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"SharpnessML: {libStdCxx} provides {MissingVersion}; no patch needed.");
            return false;
        }
        return true;
    }

    /// <summary>Sets VER_FLG_WEAK on the Vernaux entry named GLIBCXX_3.4.32; returns what was done.</summary>
    private static string Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        long sectionHeaders = (long)BitConverter.ToUInt64(elf, 0x28);
        int sectionHeaderSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < sectionCount; s++)
        {
            long header = sectionHeaders + (long)s * sectionHeaderSize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed)
                continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)header + 0x18);
            int linkedStrings = (int)BitConverter.ToUInt32(elf, (int)header + 0x28);
            int needCount = (int)BitConverter.ToUInt32(elf, (int)header + 0x2C);
            long strings = (long)BitConverter.ToUInt64(elf, (int)(sectionHeaders + (long)linkedStrings * sectionHeaderSize) + 0x18);

            long need = offset;
            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    string name = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)aux + 8));
                    if (name == MissingVersion)
                    {
                        int flagsAt = (int)aux + 4;
                        ushort flags = BitConverter.ToUInt16(elf, flagsAt);
                        if ((flags & VerFlgWeak) != 0)
                            return $"{MissingVersion} requirement already weak.";
                        BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, flagsAt);
                        File.WriteAllBytes(path, elf);
                        return $"marked the {MissingVersion} requirement weak so that it loads with this system's libstdc++.";
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
        }
        return $"no {MissingVersion} requirement found; left as it is.";
    }

    private static string ReadString(byte[] data, long start)
    {
        long end = start;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)start, (int)(end - start));
    }

    private static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int start = 0; start <= haystack.Length - needle.Length; start++)
        {
            int matched = 0;
            while (matched < needle.Length && haystack[start + matched] == needle[matched]) matched++;
            if (matched == needle.Length) return true;
        }
        return false;
    }
}
