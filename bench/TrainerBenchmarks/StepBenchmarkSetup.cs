using Microsoft.ML.Sharpness.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Benchmarks;

/// <summary>
/// What the step comparisons with PyTorch (<see cref="PyTorchComparison"/>, <see cref="LayerProfile"/>) run on, from the command
/// line: the network (<c>--architecture</c>, <c>--channels</c>, <c>--size</c>, 10 classes), the batch (<c>--batch</c>) and the thread
/// count (<c>--threads</c>), the weights and rows of an exchange directory (<c>--exchange</c>; made by
/// bench/python/make_random_exchange.py when missing), and the PyTorch peer (training_step_benchmark.py --serve) on the same.
/// Defaults by architecture: ConvNet 1×28×28, batch 128; ResNet18 3×64×64, batch 64; WideResNet (WRN-16-8) 3×32×32, batch 128.
/// </summary>
internal sealed class StepBenchmarkSetup : IDisposable
{
    private const int Classes = 10;

    private StepBenchmarkSetup(string[] args)
    {
        var architecture = Enum.Parse<ImageClassifierArchitecture>(Bench.Option(args, "--architecture") ?? "ConvNet", ignoreCase: true);
        bool rgb = architecture is ImageClassifierArchitecture.ResNet18 or ImageClassifierArchitecture.WideResNet;
        int channels = Bench.Option(args, "--channels", rgb ? 3 : 1);
        int size = Bench.Option(args, "--size", architecture switch
        {
            ImageClassifierArchitecture.ResNet18 => 64, ImageClassifierArchitecture.WideResNet => 32, _ => 28,
        });
        Batch = Bench.Option(args, "--batch", architecture == ImageClassifierArchitecture.ResNet18 ? 64 : 128);
        Threads = Bench.Option(args, "--threads", 2);
        BlasThreads = Bench.Option(args, "--blas-threads", 1); // PyTorch's OpenBLAS during the steps (make_random_exchange.set_blas_threads)
        Directory = Bench.Option(args, "--exchange")
            ?? Path.Combine(Path.GetTempPath(), $"sharpness-step-exchange-{architecture}-{channels}x{size}x{size}-{Batch}");
        set_num_threads(Threads);
        NativeMemoryTuning.Apply(); // as the trainer does; training_step_benchmark.py applies the same mallopt settings

        if (!File.Exists(Path.Combine(Directory, "manifest.json")))
        {
            PythonPeer.Run("make_random_exchange.py", new[]
            {
                Directory, "--arch", architecture.ToString(), "--rows", Batch.ToString(), "--channels", channels.ToString(),
                "--size", size.ToString(), "--classes", Classes.ToString(),
            }, Threads, json: false);
        }
        Exchange = new ExchangeImport(Directory);
        var shape = Exchange.Shape;
        if (shape.Architecture != architecture || shape.Channels != channels || shape.Height != size || shape.Width != size)
            throw new InvalidOperationException($"{Directory} holds a {shape.Describe()}, not the {architecture} for {channels}×{size}×{size} " +
                "images asked for; delete it or pass another --exchange.");
        if (Exchange.Rows < Batch) throw new InvalidOperationException($"{Directory} holds {Exchange.Rows} rows; the batch needs {Batch}.");
        using Tensor allImages = Exchange.Images(), allLabels = Exchange.Labels();
        X = allImages.narrow(0, 0, Batch).contiguous();
        Y = allLabels.narrow(0, 0, Batch).contiguous();
    }

    public static StepBenchmarkSetup FromArguments(string[] args) => new(args);

    public ExchangeImport Exchange { get; }

    public string Directory { get; }

    public int Batch { get; }

    public int Threads { get; }

    public int BlasThreads { get; }

    /// <summary>The first <see cref="Batch"/> exchanged images [B, C, H, W].</summary>
    public Tensor X { get; }

    /// <summary>Their labels [B].</summary>
    public Tensor Y { get; }

    /// <summary>Starts training_step_benchmark.py --serve on the same exchange directory, batch and threads.</summary>
    public PythonPeer.Server StartPeer() => PythonPeer.Serve("training_step_benchmark.py",
        new[] { Directory, "--threads", Threads.ToString(), "--batch", Batch.ToString(), "--blas-threads", BlasThreads.ToString() }, Threads);

    /// <summary>E.g. "ResNet18 for 3×64×64 images and 10 classes, batch 64, 2 threads, weights and rows from D".</summary>
    public string Describe() => $"{Exchange.Shape.Describe()}, batch {Batch}, {Threads} threads, weights and rows from {Directory}";

    public void Dispose()
    {
        X.Dispose();
        Y.Dispose();
    }
}
