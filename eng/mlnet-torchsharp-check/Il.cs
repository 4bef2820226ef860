using System.Reflection;
using System.Reflection.Emit;

/// <summary>The methods a method calls (call, callvirt, newobj), read from its IL.</summary>
static class Il
{
    static readonly Dictionary<short, OpCode> Codes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);
    // Methods called (call/callvirt/newobj) by m, resolved.
    public static IEnumerable<MethodBase> Calls(MethodBase m)
    {
        var body = m.GetMethodBody(); if (body is null) yield break;
        var il = body.GetILAsByteArray()!; int i = 0;
        while (i < il.Length)
        {
            short v = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = Codes[v]; i += op.Size;
            int operand = op.OperandType switch
            {
                OperandType.InlineNone => 0, OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2, OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i), _ => 4,
            };
            if (op.OperandType == OperandType.InlineMethod)
            {
                MethodBase? target = null;
                try { target = m.Module.ResolveMethod(BitConverter.ToInt32(il, i), m.DeclaringType?.GetGenericArguments(), m.IsGenericMethod ? m.GetGenericArguments() : null); } catch { }
                if (target != null) yield return target;
            }
            i += operand;
        }
    }
}
