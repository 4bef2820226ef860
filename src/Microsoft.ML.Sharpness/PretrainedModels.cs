namespace Microsoft.ML.Sharpness;

/// <summary>
/// Pretrained networks to fine-tune by name (<see cref="TrainingSettings.PretrainedModelPath"/>). The files ship in other NuGet
/// packages, which copy them into the app's output folder; this library does not reference those packages, so add the one a
/// property names to the app.
/// </summary>
public static class PretrainedModels
{
    private const string ResNet18Package = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>
    /// ML.NET's ImageNet-pretrained ResNet-18 (He et al. 2016) without its classifier: 3×224×224 images, preprocessed by
    /// <see cref="ResNet18ImageNetPreprocessing"/>, → 512 pooled features. Needs the app to reference
    /// <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, which puts it at <c>DnnImageModels/ResNet18Onnx/ResNet18.onnx</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The app's output folder holds no such file: the package is not referenced.</exception>
    public static string ResNet18ImageNet => Find(Path.Combine("DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), ResNet18Package);

    /// <summary>
    /// The preprocessing <see cref="ResNet18ImageNet"/> was trained with, as an ONNX graph for
    /// <see cref="TrainingSettings.PretrainedPreprocessingPath"/>: <c>ExtractPixels</c>' default pixels (planar RGB, 0–255) of
    /// 224×224 images → BGR minus the ImageNet mean image. From the same package, at <c>DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">The app's output folder holds no such file: the package is not referenced.</exception>
    public static string ResNet18ImageNetPreprocessing => Find(Path.Combine("DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx"), ResNet18Package);

    /// <summary>Whether <paramref name="path"/> names the file <see cref="ResNet18ImageNet"/> names (by its place in a package's output: DnnImageModels/ResNet18Onnx/ResNet18.onnx).</summary>
    internal static bool IsResNet18ImageNet(string path) =>
        Path.GetFullPath(path).EndsWith(Path.Combine("DnnImageModels", "ResNet18Onnx", "ResNet18.onnx"), StringComparison.OrdinalIgnoreCase);

    /// <summary>The file at <paramref name="relativePath"/> in the app's folder (<see cref="AppContext.BaseDirectory"/>), which <paramref name="package"/> puts there.</summary>
    internal static string Find(string relativePath, string package)
    {
        string path = Path.Combine(AppContext.BaseDirectory, relativePath);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"The pretrained model file '{path}' is missing. It comes with the NuGet package {package}: add it to the app " +
                $"(dotnet add package {package}) and build again, which copies it into the output folder.", path);
        return path;
    }
}
