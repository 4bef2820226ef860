using System.Reflection;

namespace Microsoft.ML.Sharpness.Runtime;

/// <summary>One ML.NET member reached by reflection (see <see cref="MLNetInternals"/>): its name, and how to find it.</summary>
internal abstract class InternalMember(string typeName, string memberName)
{
    /// <summary>The declaring type's full name.</summary>
    public string TypeName { get; } = typeName;

    /// <summary>The member's name (".ctor(…)" for a constructor).</summary>
    public string MemberName { get; } = memberName;

    /// <summary>The member; throws <see cref="MissingMemberException"/> naming it when this ML.NET has none.</summary>
    public abstract MemberInfo Resolve();

    /// <summary>"Type.Member".</summary>
    public override string ToString() => $"{TypeName}.{MemberName}";
}

/// <summary>An <see cref="InternalMember"/> of a known kind, found once.</summary>
internal sealed class InternalMember<TMember>(string typeName, string memberName, Func<TMember?> find)
    : InternalMember(typeName, memberName) where TMember : MemberInfo
{
    private readonly Lazy<TMember?> member = new(find);

    /// <summary>The member; throws <see cref="MissingMemberException"/> naming it when this ML.NET has none.</summary>
    public TMember Value => member.Value ?? throw MLNetInternals.Missing(this);

    /// <inheritdoc/>
    public override MemberInfo Resolve() => Value;
}
