using System.Reflection;
using Microsoft.ML.TorchSharp;

// Prints what Microsoft.ML.TorchSharp offers a trainer outside it: its TorchSharp reference, its public trainers, the
// accessibility of the base classes' constructors and abstract members, and what its saved models call in TorchSharp on load.
const BindingFlags All = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
var asm = typeof(TorchSharpCatalog).Assembly;
Console.WriteLine($"{asm.GetName().Name} {asm.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion}");
Console.WriteLine($"compiled against TorchSharp {asm.GetReferencedAssemblies().Single(r => r.Name == "TorchSharp").Version}; " +
    $"loaded: {typeof(TorchSharp.torch).Assembly.GetName().Version}");
Console.WriteLine($"public types: {asm.GetExportedTypes().Length}");

Console.WriteLine("\n== catalog methods (the public trainers)");
foreach (var m in typeof(TorchSharpCatalog).GetMethods(BindingFlags.Public | BindingFlags.Static).OrderBy(m => m.Name))
    Console.WriteLine($"  {m.GetParameters()[0].ParameterType.Name}.{m.Name}({string.Join(", ", m.GetParameters().Skip(1).Select(p => p.ParameterType.Name))}) -> {m.ReturnType.Name}");

Console.WriteLine("\n== base classes: constructors and abstract members");
foreach (var type in new[] { typeof(TorchSharpBaseTrainer), typeof(TorchSharpBaseTransformer), typeof(TorchSharpBaseTrainer<,>), typeof(TorchSharpBaseTransformer<,>) })
{
    Console.WriteLine($"  {Name(type)} : {Name(type.BaseType!)}");
    foreach (var c in type.GetConstructors(All))
        Console.WriteLine($"    ctor {Access(c)} ({string.Join(", ", c.GetParameters().Select(p => Name(p.ParameterType)))})");
    for (var t = type; t != null && t != typeof(object); t = t.BaseType)
        foreach (var m in t.GetMethods(All).Where(m => m.IsAbstract))
            Console.WriteLine($"    {Access(m)} abstract {Name(m.ReturnType)} {Name(t)}.{m.Name}");
}

Console.WriteLine("\n== saving and loading: does SaveModel reach TorchSharp's Module.save, and Create(…, ModelLoadContext …) Module.load (five calls deep)?");
foreach (var t in asm.GetTypes().Where(t => t.Name.EndsWith("Transformer", StringComparison.Ordinal) && !t.IsAbstract).OrderBy(t => t.Name))
{
    bool Reaches(string method, Func<MethodInfo, bool> which) => t.GetMethods(All).Where(which)
        .Any(m => Reach(m, 5).Any(c => c.DeclaringType?.Name == "Module" && c.Name == method && c.DeclaringType.Assembly.GetName().Name == "TorchSharp"));
    Console.WriteLine($"  {t.Name}: save {Reaches("save", m => m.Name == "SaveModel")}, load {Reaches("load", m => m.Name == "Create" && m.GetParameters().Any(p => p.ParameterType.Name == "ModelLoadContext"))}");
}

Console.WriteLine("\n== optimizers and schedulers the training loops create");
foreach (var hit in asm.GetTypes().SelectMany(t => t.GetMethods(All).Cast<MethodBase>().Concat(t.GetConstructors(All)).SelectMany(Il.Calls)
        .Where(c => c.DeclaringType?.Name is "optim" or "lr_scheduler").Select(c => $"{c.DeclaringType!.Name}.{c.Name}")).Distinct().Order())
    Console.WriteLine($"  {hit}");

static IEnumerable<MethodBase> Reach(MethodBase m, int depth)
{
    foreach (var c in Il.Calls(m))
    {
        yield return c;
        if (depth > 0 && c.DeclaringType?.Assembly == m.DeclaringType?.Assembly)
            foreach (var d in Reach(c, depth - 1)) yield return d;
    }
}
static string Access(MethodBase m) => m.IsPublic ? "public" : m.IsFamily ? "protected" : m.IsFamilyAndAssembly ? "private protected"
    : m.IsFamilyOrAssembly ? "protected internal" : m.IsAssembly ? "internal" : "private";
static string Name(Type t) => t.IsGenericType ? $"{t.Name.Split('`')[0]}<{string.Join(",", t.GetGenericArguments().Select(Name))}>" : t.Name;
