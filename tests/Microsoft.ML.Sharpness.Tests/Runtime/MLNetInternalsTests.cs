using System.Reflection;
using Microsoft.ML.Sharpness.Runtime;
using Microsoft.ML.Transforms.Onnx;

namespace Microsoft.ML.Sharpness.Tests.Runtime;

[TestClass]
public sealed class MLNetInternalsTests
{
    [TestMethod]
    public void EveryDeclaredInternalResolvesInTheLoadedMLNet()
    {
        var missing = new List<string>();
        foreach (var member in MLNetInternals.All)
        {
            try
            {
                Assert.IsNotNull(member.Resolve());
            }
            catch (MissingMemberException e)
            {
                missing.Add(e.Message);
            }
        }
        Assert.IsEmpty(missing, string.Join(Environment.NewLine, missing));
    }

    [TestMethod]
    public void AllListsEveryDeclaredInternal()
    {
        var declared = typeof(MLNetInternals).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => typeof(InternalMember).IsAssignableFrom(f.FieldType)).Select(f => (InternalMember)f.GetValue(null)!).ToList();
        Assert.HasCount(declared.Count, MLNetInternals.All);
        CollectionAssert.AreEquivalent(declared, MLNetInternals.All.ToList());
    }

    [TestMethod]
    public void AMissingMemberIsNamedWithTheMLNetVersion()
    {
        var member = MLNetInternals.Property(typeof(MLContext).Assembly, "Microsoft.ML.Runtime.IHostEnvironmentInternal", "NoSuchProperty");
        var error = Assert.ThrowsExactly<MissingMemberException>(() => member.Resolve());
        StringAssert.Contains(error.Message, "Microsoft.ML.Runtime.IHostEnvironmentInternal.NoSuchProperty");
        StringAssert.Contains(error.Message, $"Microsoft.ML {MLNetInternals.Version} has no");
        Assert.AreEqual(typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0], MLNetInternals.Version);
        Assert.AreEqual("6.0.0", MLNetInternals.BuiltAgainst);

        var constructor = MLNetInternals.Constructor(typeof(TransformsCatalog), typeof(string));
        StringAssert.Contains(Assert.ThrowsExactly<MissingMemberException>(() => constructor.Resolve()).Message, "Microsoft.ML.TransformsCatalog..ctor(String)");
        var field = MLNetInternals.Field(typeof(MLContext), "_noSuchField");
        StringAssert.Contains(Assert.ThrowsExactly<MissingMemberException>(() => field.Resolve()).Message, "Microsoft.ML.MLContext._noSuchField");
    }

    [TestMethod]
    public void TheCancellationFlagIsSetReadAndCleared()
    {
        var ml = new MLContext(seed: 3);
        var host = MLHost.Of(ml);
        Assert.AreEqual(3, host.Seed);
        Assert.IsFalse(host.IsCanceled);
        ml.CancelExecution();
        Assert.IsTrue(host.IsCanceled);
        Assert.ThrowsExactly<OperationCanceledException>(() => host.ThrowIfCanceled("test"));
        Assert.IsFalse(host.IsCanceled, "served: the flag is cleared");
        Assert.AreSame(host.Environment, CatalogEnvironment.From(ml.MulticlassClassification));
        Assert.AreSame(host.Environment, CatalogEnvironment.From(ml.MulticlassClassification.Trainers));
    }

    [TestMethod]
    public void TheOnnxModelInsideALoadedModelIsTheTrainedOne()
    {
        var ml = new MLContext(seed: 1);
        var data = SyntheticImages.Keyed(ml, SyntheticImages.Rows(32, 3, seed: 4));
        var trained = ml.MulticlassClassification.Trainers.SamImageClassifier(new SamImageClassifierOptions
        {
            Architecture = ImageClassifierArchitecture.Mlp, Epochs = 1, BatchSize = 16, NumberOfThreads = 1,
        }).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(trained, data.Schema, stream);
        stream.Position = 0;
        var loaded = new MLContext().Model.Load(stream, out _);
        var onnx = Flatten(loaded).OfType<OnnxTransformer>().Single();
        CollectionAssert.AreEqual(SamImageClassifierModel.FromTransformer(trained).OnnxModel, MLNetInternals.OnnxModelBytes(onnx));
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];
}
