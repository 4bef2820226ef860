namespace Microsoft.ML.Sharpness.Tests.Persistence;

[TestClass]
public sealed class ModelDescriptionTests
{
    [TestMethod]
    public void TheDescriptionKeepsEveryTrainingSettingAndNoneOfTheFitsData()
    {
        var options = new SamImageClassifierOptions
        {
            Optimizer = SharpnessOptimizer.AdaptiveSam, Rho = 0.5f, LearningRateSchedule = LearningRateSchedule.Step, StepEpochs = 3, StepGamma = 0.5f,
            Seed = 7, LabelColumnName = "Target", NumberOfThreads = 1,
        };
        var info = new SamImageClassifierModelInfo { Training = options.CopySettings() };
        var read = SamImageClassifierModelInfo.FromJson(info.ToJson());

        Assert.AreEqual(typeof(TrainingSettings), read.Training.GetType(), "only the settings, not the options object");
        foreach (var property in typeof(TrainingSettings).GetProperties())
            Assert.AreEqual(property.GetValue(options), property.GetValue(read.Training), property.Name);
        StringAssert.DoesNotMatch(info.ToJson(), new System.Text.RegularExpressions.Regex("Target|NumberOfThreads"));
    }

    [TestMethod]
    public void TheNetworkShapeCarriesTheWideResNetSettingsAndOnlyWhatItsArchitectureReads()
    {
        var wide = new SamImageClassifierModelInfo
        {
            Channels = 3, Height = 32, Width = 32, ClassNames = new[] { "a", "b" },
            Training = new TrainingSettings { Architecture = ImageClassifierArchitecture.WideResNet, WideResNetDepth = 28, WideResNetWidth = 10, WideResNetDropout = 0.3f },
        };
        var read = SamImageClassifierModelInfo.FromJson(wide.ToJson()).NetworkShape;
        Assert.AreEqual((28, 10, 0.3f), (read.WideResNetDepth, read.WideResNetWidth, read.WideResNetDropout));
        StringAssert.Contains(read.Describe(), "WRN-28-10, dropout 0.3");

        // A ConvNet trained with other (unread) ResNet or wide-ResNet settings is the same network.
        var convNet = wide with { Training = new TrainingSettings { Architecture = ImageClassifierArchitecture.ConvNet, WideResNetDepth = 28, ResNetBlocksPerStage = 5 } };
        Assert.AreEqual(new Sharpness.Networks.NetworkShape(ImageClassifierArchitecture.ConvNet, 3, 32, 32, 2), convNet.NetworkShape);
    }

    [TestMethod]
    public void AVersionOneDescriptionWithTopLevelSettingsIsRead()
    {
        const string versionOne = """
            {"FormatVersion":1,"Architecture":"ResNet","ResNetBlocksPerStage":2,"Channels":1,"Height":8,"Width":8,"ClassNames":["a","b"],
             "Optimizer":"Sam","Rho":0.1,"LearningRate":0.02,"Epochs":4,"BatchSize":16,"Seed":3,"TrainingRows":64}
            """;
        var info = SamImageClassifierModelInfo.FromJson(versionOne);

        Assert.AreEqual(SamImageClassifierModelInfo.CurrentFormatVersion, info.FormatVersion);
        Assert.AreEqual((ImageClassifierArchitecture.ResNet, 2, 0.1f, 0.02f, 4, 16, 3),
            (info.Training.Architecture, info.Training.ResNetBlocksPerStage, info.Training.Rho, info.Training.LearningRate, info.Training.Epochs,
             info.Training.BatchSize, info.Training.Seed));
        Assert.AreEqual(new TrainingSettings().StepEpochs, info.Training.StepEpochs, "absent in version 1: the default");
        Assert.AreEqual(64, info.TrainingRows);
    }

    [TestMethod]
    public void AnUnknownFormatVersionIsRefusedNamingIt()
    {
        var error = Assert.ThrowsExactly<InvalidDataException>(() => SamImageClassifierModelInfo.FromJson("""{"FormatVersion":9}"""));
        StringAssert.Contains(error.Message, "format version 9");
    }
}
