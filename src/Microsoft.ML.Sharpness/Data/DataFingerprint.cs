using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Data;

/// <summary>A SHA-256 over the shapes, labels and pixels of the training and validation rows: checkpoints compare it to refuse other data.</summary>
internal static class DataFingerprint
{
    public static string Of(ImageTensors train, ImageTensors? validation)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var rows in validation is null ? new[] { train } : new[] { train, validation })
        {
            hash.AppendData(MemoryMarshal.AsBytes<long>(rows.Features.shape));
            hash.AppendData(MemoryMarshal.AsBytes<long>(rows.Labels.cpu().data<long>().ToArray()));
            hash.AppendData(MemoryMarshal.AsBytes<float>(rows.Features.cpu().contiguous().data<float>().ToArray()));
        }
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
