using Microsoft.ML.Sharpness.Lab.Charts;
using Microsoft.ML.Sharpness.Lab.Studies;

namespace Microsoft.ML.Sharpness.Tests.Pipelines;

[TestClass]
public sealed class StudyDefinitionTests
{
    [TestMethod]
    public void EveryPresetParsesAndResolvesItsRuns()
    {
        CollectionAssert.IsSubsetOf(new[] { "piggybacked-large-batch", "rho-sweep", "sgd-vs-sam", "small-vs-large-batch" }, StudyPresets.Names.ToArray());
        foreach (string name in StudyPresets.Names)
        {
            var study = StudyPresets.Load(name, "/data-root");
            Assert.IsTrue(study.ResolvedRuns().Count >= 2, name);
            StringAssert.StartsWith(study.DataFolder, "/data-root/data/", name);
        }
        var keskar = StudyPresets.Load("small-vs-large-batch", ".");
        var lb = keskar.ResolvedRuns().Single(r => r.Name == "LB (10%)");
        Assert.AreEqual(850, lb.ToOptions(8495, 1, null).BatchSize, "LB is 10 % of MNIST's 8,495 training images");
        Assert.AreEqual(ImageClassifierArchitecture.Mlp, lb.ToOptions(8495, 1, null).Architecture);
        Assert.AreEqual(256, keskar.ResolvedRuns().Single(r => r.Name == "SB (256)").ToOptions(8495, 1, null).BatchSize);
    }

    [TestMethod]
    [DataRow("""{ "data": "d", "runs": [] }""", "\"runs\" is empty")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A" }, { "name": "A" }] }""", "two runs are named \"A\"")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "warmStartFrom": "B" }, { "name": "B" }] }""", "not an earlier run")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A" }], "landscapes": { "surfaces": ["C"] } }""", "the run \"C\"")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "batchFraction": 2 }] }""", "\"batchFraction\" must be in (0, 1]")]
    [DataRow("""{ "data": "d", "runs": [{ "name": "A", "optimiser": "Sam" }] }""", "optimiser")]
    [DataRow("""{ "runs": [{ "name": "A" }] }""", "\"data\" must name a folder")]
    public void ImpossibleStudiesAreRejectedWithWhatIsWrong(string json, string expected)
    {
        var error = Assert.ThrowsExactly<StudyException>(() => StudyDefinition.Parse(json, "study.json"));
        StringAssert.StartsWith(error.Message, "study.json: ");
        StringAssert.Contains(error.Message, expected);
    }

    [TestMethod]
    public void MissingDataTellsHowToPrepareIt()
    {
        var error = Assert.ThrowsExactly<StudyException>(() => StudyData.ReadIndex("/no/such/folder", "train.tsv", null, 1));
        StringAssert.Contains(error.Message, "src/Pipelines -- data --dataset");
    }

    [TestMethod]
    public void TheSmoothedSpectralDensityIsAMixtureOfGaussiansWithTheQuadratureWeights()
    {
        double[] nodes = [0, 10], weights = [0.75, 0.25];
        var (sigma, from, to) = SpectralDensity.Range(nodes, widthFraction: 0.02);
        Assert.AreEqual(0.2, sigma, 1e-12, "σ = 2 % of the eigenvalue range");
        var (t, density) = SpectralDensity.Smooth(nodes, weights, sigma, from, to, points: 4001);
        double integral = 0;
        for (int k = 1; k < t.Length; k++) integral += 0.5 * (density[k] + density[k - 1]) * (t[k] - t[k - 1]);
        // The grid stops 3σ beyond the outer nodes, so each outer tail, Φ(−3) = 0.0013499 of its node's weight, is cut off.
        Assert.AreEqual(1.0 - 0.0013499, integral, 1e-5, "∫φ = Σw less the two cut tails");
        int atZero = Array.BinarySearch(t, t.OrderBy(x => Math.Abs(x)).First());
        Assert.AreEqual(0.75 / (sigma * Math.Sqrt(2 * Math.PI)), density[atZero], 1e-2 * density[atZero], "peak height w/(σ√2π) at the node");
        Assert.AreEqual(-0.6, t[0], 1e-12, "from min λ − 3σ");
        Assert.AreEqual(10.6, t[^1], 1e-12, "to max λ + 3σ");
    }
}
