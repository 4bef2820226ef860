using Microsoft.ML.Sharpness.Benchmarks;

// The trainer's image storage (issue 10, item 1), two goals:
//   memory: 30,000 RGB 96×96 images through the cache path, then training steps: peak RSS ≤ 1.5 GB (CachePathMemory.cs);
//   speed:  an epoch from rows stored in memory as bytes against today's float-tensor gather: ≤ 1.05× (InMemoryEpochSpeed.cs).
// Usage: dotnet run -c Release --project bench/DataBenchmarks -- memory [--rows 30000] [--side 96] [--batch 32] [--steps 5] [--limit-mb 256] [--threads 2]
//        dotnet run -c Release --project bench/DataBenchmarks -- speed [--rows 4000] [--side 28] [--channels 1] [--rounds 7] [--threads 2]
switch (args.FirstOrDefault())
{
    case "memory": CachePathMemory.Run(args[1..]); break;
    case "speed": InMemoryEpochSpeed.Run(args[1..]); break;
    default:
        Console.Error.WriteLine("Usage: dotnet run -c Release --project bench/DataBenchmarks -- memory|speed [options]; see Program.cs.");
        Environment.Exit(2);
        break;
}
