using Microsoft.ML.Sharpness.Onnx;
using Microsoft.ML.Sharpness.Onnx.Proto;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Sharpness.Networks.Imported;

/// <summary>
/// The parameter-free ONNX operators an imported graph runs, each as its TorchSharp computation following the ONNX operator
/// specification (https://onnx.ai/onnx/operators, opset 13 forms; <see cref="OnnxImporter"/> rewrites older forms). Their
/// double backward is libtorch's own, so they serve the exact second-order forward too. Shape arithmetic (Shape, Gather,
/// Concat of int64 tensors, …) runs on every call, so a graph exported with a dynamic batch axis takes any batch size.
/// </summary>
internal static class OnnxOperators
{
    private delegate Tensor Operator(NodeProto node, IReadOnlyList<Tensor?> x, bool training);

    private static readonly Dictionary<string, Operator> Table = new(StringComparer.Ordinal)
    {
        // Activations.
        ["Relu"] = (_, x, _) => nn.functional.relu(x[0]!),
        ["Sigmoid"] = (_, x, _) => x[0]!.sigmoid(),
        ["Tanh"] = (_, x, _) => x[0]!.tanh(),
        ["LeakyRelu"] = (n, x, _) => nn.functional.leaky_relu(x[0]!, n.Float("alpha", 0.01f)),
        // y = clamp(x, min, max), each bound optional.
        ["Clip"] = (_, x, _) => Clip(x[0]!, Input(x, 1), Input(x, 2)),
        // y = max(0, min(1, αx + β)), α = 0.2 and β = 0.5 by default (PyTorch exports α = 1/6).
        ["HardSigmoid"] = (n, x, _) => x[0]!.mul(n.Float("alpha", 0.2f)).add(n.Float("beta", 0.5f)).clamp(0, 1),
        // y = x·max(0, min(1, x/6 + 1/2)) (Howard et al. 2019).
        ["HardSwish"] = (_, x, _) => x[0]!.mul(x[0]!.div(6).add(0.5).clamp(0, 1)),
        ["Softmax"] = (n, x, _) => nn.functional.softmax(x[0]!, n.Int("axis", -1)),
        ["LogSoftmax"] = (n, x, _) => nn.functional.log_softmax(x[0]!, n.Int("axis", -1)),
        ["Dropout"] = (_, x, training) => training ? nn.functional.dropout(x[0]!, Input(x, 1) is { } ratio ? ratio.item<float>() : 0.5, true) : x[0]!,
        ["Identity"] = (_, x, _) => x[0]!,
        // Elementwise arithmetic with NumPy broadcasting; integer division truncates.
        ["Add"] = (_, x, _) => x[0]!.add(x[1]!),
        ["Sub"] = (_, x, _) => x[0]!.sub(x[1]!),
        ["Mul"] = (_, x, _) => x[0]!.mul(x[1]!),
        ["Div"] = (_, x, _) => x[0]!.is_floating_point() ? x[0]!.div(x[1]!) : x[0]!.div(x[1]!, RoundingMode.trunc),
        ["MatMul"] = (_, x, _) => x[0]!.matmul(x[1]!),
        // Pooling.
        ["MaxPool"] = (n, x, _) => Pool(n, x[0]!, max: true),
        ["AveragePool"] = (n, x, _) => Pool(n, x[0]!, max: false),
        ["GlobalAveragePool"] = (_, x, _) => x[0]!.mean(SpatialAxes(x[0]!), keepdim: true),
        ["GlobalMaxPool"] = (_, x, _) => x[0]!.amax(SpatialAxes(x[0]!), keepdim: true),
        // Axes from the attribute (before opset 18) or the second input (opset 18); none: all axes.
        ["ReduceMean"] = (n, x, _) => x[0]!.mean(Axes(n.Ints("axes") ?? (Input(x, 1) is { } a ? Longs(a) : Enumerable.Range(0, (int)x[0]!.dim()).Select(i => (long)i).ToArray()), x[0]!.dim()),
            keepdim: n.Int("keepdims", 1) == 1),
        // Shapes.
        ["Flatten"] = (n, x, _) => Flatten(x[0]!, n.Int("axis", 1)),
        ["Reshape"] = (n, x, _) => Reshape(x[0]!, Longs(x[1]!), n.Int("allowzero", 0) == 1),
        ["Transpose"] = (n, x, _) => x[0]!.permute(n.Ints("perm") ?? Enumerable.Range(0, (int)x[0]!.dim()).Reverse().Select(i => (long)i).ToArray()),
        ["Concat"] = (n, x, _) => cat(x.Select(t => t!).ToArray(), n.Int("axis", 0)),
        ["Pad"] = (n, x, _) => Pad(x[0]!, Longs(x[1]!), Input(x, 2)?.item<float>() ?? 0f, n.Text("mode", "constant")),
        ["Unsqueeze"] = (_, x, _) => Unsqueeze(x[0]!, Longs(x[1]!)),
        ["Squeeze"] = (_, x, _) => Squeeze(x[0]!, Input(x, 1) is { } axes ? Longs(axes) : null),
        ["Shape"] = (_, x, _) => tensor(x[0]!.shape),
        ["Gather"] = (n, x, _) => Gather(x[0]!, x[1]!, n.Int("axis", 0)),
        ["Slice"] = (_, x, _) => Slice(x[0]!, Longs(x[1]!), Longs(x[2]!), Input(x, 3) is { } a ? Longs(a) : null, Input(x, 4) is { } s ? Longs(s) : null),
        ["Cast"] = (n, x, _) => x[0]!.to_type(OnnxTensors.ScalarTypeOf(n.Int("to", 1), n.Describe())),
        ["ConstantOfShape"] = (n, x, _) => ConstantOfShape(n, Longs(x[0]!)),
    };

    /// <summary>The operators with several outputs.</summary>
    private static readonly Dictionary<string, Func<NodeProto, IReadOnlyList<Tensor?>, Tensor[]>> MultiOutputTable = new(StringComparer.Ordinal)
    {
        ["Split"] = Split,
    };

    /// <summary>The operators this class runs.</summary>
    public static IEnumerable<string> Names => Table.Keys.Concat(MultiOutputTable.Keys);

    public static bool Supports(string opType) => Table.ContainsKey(opType) || MultiOutputTable.ContainsKey(opType);

    /// <summary>The node's outputs, in its output order, from its inputs (null for an omitted optional input).</summary>
    public static Tensor[] Apply(NodeProto node, IReadOnlyList<Tensor?> inputs, bool training) =>
        MultiOutputTable.TryGetValue(node.OpType, out var split) ? split(node, inputs) : new[] { Table[node.OpType](node, inputs, training) };

    private static Tensor? Input(IReadOnlyList<Tensor?> x, int index) => index < x.Count ? x[index] : null;

    private static long[] Longs(Tensor t) => t.to_type(ScalarType.Int64).cpu().data<long>().ToArray();

    private static long[] Axes(long[] axes, long rank) => axes.Select(a => a < 0 ? a + rank : a).ToArray();

    private static long[] SpatialAxes(Tensor x) => Enumerable.Range(2, (int)x.dim() - 2).Select(i => (long)i).ToArray();

    private static Tensor Clip(Tensor x, Tensor? min, Tensor? max)
    {
        Tensor y = min is null ? x : x.clamp_min(min.item<float>());
        return max is null ? y : y.clamp_max(max.item<float>());
    }

    /// <summary>[d₀, …] → [d₀·…·d_{axis−1}, d_axis·…].</summary>
    private static Tensor Flatten(Tensor x, long axis)
    {
        if (axis < 0) axis += x.dim();
        long outer = x.shape.Take((int)axis).Aggregate(1L, (a, b) => a * b);
        return x.reshape(outer, -1);
    }

    /// <summary>Reshape with 0 meaning "this input dimension" (unless allowzero) and −1 inferred.</summary>
    private static Tensor Reshape(Tensor x, long[] shape, bool allowZero)
    {
        var target = shape.Select((d, i) => d == 0 && !allowZero ? x.shape[i] : d).ToArray();
        return x.reshape(target);
    }

    /// <summary>ONNX pads [b₀, b₁, …, e₀, e₁, …] (begin then end, first axis first) as PyTorch's last-axis-first pairs.</summary>
    private static Tensor Pad(Tensor x, long[] pads, float value, string mode)
    {
        int rank = (int)x.dim();
        var torchPads = new List<long>();
        for (int axis = rank - 1; axis >= 0; axis--) { torchPads.Add(pads[axis]); torchPads.Add(pads[axis + rank]); }
        while (torchPads.Count > 2 && torchPads[^1] == 0 && torchPads[^2] == 0) torchPads.RemoveRange(torchPads.Count - 2, 2);
        var paddingMode = mode switch
        {
            "constant" => PaddingModes.Constant,
            "reflect" => PaddingModes.Reflect,
            "edge" => PaddingModes.Replicate,
            _ => throw new NotSupportedException($"Pad mode '{mode}' is not supported (constant, reflect and edge are)."),
        };
        return nn.functional.pad(x, torchPads.ToArray(), paddingMode, value);
    }

    /// <summary>MaxPool / AveragePool over the two spatial axes; unequal begin and end pads are applied as an explicit pad first.</summary>
    private static Tensor Pool(NodeProto node, Tensor x, bool max)
    {
        long[] kernel = node.Ints("kernel_shape")!;
        if (kernel.Length != 2) throw new NotSupportedException($"{node.Describe()}: only 2-D pooling is supported; the kernel is {kernel.Length}-D.");
        long[] strides = node.Ints("strides") ?? new long[] { 1, 1 };
        long[] pads = ResolvePads(node, x, kernel, strides, node.Ints("dilations") ?? new long[] { 1, 1 });
        bool ceil = node.Int("ceil_mode", 0) == 1;
        bool symmetric = pads[0] == pads[2] && pads[1] == pads[3] && pads[0] <= kernel[0] / 2 && pads[1] <= kernel[1] / 2;
        if (!symmetric)
        {
            if (!max && node.Int("count_include_pad", 0) == 0 && pads.Any(p => p != 0))
                throw new NotSupportedException($"{node.Describe()}: average pooling with unequal pads that are not counted is not supported.");
            x = nn.functional.pad(x, new[] { pads[1], pads[3], pads[0], pads[2] }, PaddingModes.Constant, max ? double.NegativeInfinity : 0);
        }
        long[] padding = symmetric ? new[] { pads[0], pads[1] } : new long[] { 0, 0 };
        return max
            ? nn.functional.max_pool2d(x, kernel, strides, padding, node.Ints("dilations") ?? new long[] { 1, 1 }, ceil)
            : nn.functional.avg_pool2d(x, kernel, strides, padding, ceil, count_include_pad: node.Int("count_include_pad", 0) == 1);
    }

    /// <summary>Explicit pads [top, left, bottom, right], or the ones auto_pad SAME_UPPER/SAME_LOWER/VALID implies for this input.</summary>
    public static long[] ResolvePads(NodeProto node, Tensor x, long[] kernel, long[] strides, long[] dilations)
    {
        string autoPad = node.Text("auto_pad", "NOTSET");
        if (autoPad is "NOTSET") return node.Ints("pads") ?? new long[4];
        if (autoPad is "VALID") return new long[4];
        var pads = new long[4];
        for (int i = 0; i < 2; i++)
        {
            long size = x.shape[2 + i], output = (size + strides[i] - 1) / strides[i];
            long total = Math.Max(0, (output - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
            long small = total / 2, large = total - small;
            (pads[i], pads[i + 2]) = autoPad == "SAME_LOWER" ? (large, small) : (small, large);
        }
        return pads;
    }

    private static Tensor Unsqueeze(Tensor x, long[] axes)
    {
        long rank = x.dim() + axes.Length;
        foreach (long axis in Axes(axes, rank).OrderBy(a => a)) x = x.unsqueeze(axis);
        return x;
    }

    private static Tensor Squeeze(Tensor x, long[]? axes)
    {
        if (axes is null) return x.squeeze();
        foreach (long axis in Axes(axes, x.dim()).OrderByDescending(a => a)) x = x.squeeze(axis);
        return x;
    }

    /// <summary>data taken along <paramref name="axis"/> at <paramref name="indices"/> (negative counting from the end): shape data[:axis] + indices + data[axis+1:].</summary>
    private static Tensor Gather(Tensor data, Tensor indices, long axis)
    {
        if (axis < 0) axis += data.dim();
        Tensor index = indices.to_type(ScalarType.Int64);
        index = index.add(index.lt(0).to_type(ScalarType.Int64).mul(data.shape[axis])).to(data.device);
        Tensor taken = data.index_select(axis, index.flatten());
        var shape = data.shape.Take((int)axis).Concat(indices.shape).Concat(data.shape.Skip((int)axis + 1)).ToArray();
        return taken.reshape(shape);
    }

    /// <summary>ONNX Slice: per axis, start and end clamped to the dimension (negative from the end), any non-zero step (negative ones reverse).</summary>
    private static Tensor Slice(Tensor x, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        axes = Axes(axes ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray(), x.dim());
        for (int i = 0; i < axes.Length; i++)
        {
            long size = x.shape[axes[i]], step = steps?[i] ?? 1;
            long start = starts[i] < 0 ? starts[i] + size : starts[i], end = ends[i] < 0 ? ends[i] + size : ends[i];
            if (step > 0) { start = Math.Clamp(start, 0, size); end = Math.Clamp(end, 0, size); }
            else { start = Math.Clamp(start, -1, size - 1); end = Math.Clamp(end, -1, size - 1); }
            var positions = new List<long>();
            for (long p = start; step > 0 ? p < end : p > end; p += step) positions.Add(p);
            x = x.index_select(axes[i], tensor(positions.ToArray(), device: x.device));
        }
        return x;
    }

    /// <summary>
    /// ONNX Split: x cut along <c>axis</c> into the sizes of the second input (opset 13 form), or else into as many equal parts as
    /// the node has outputs, the last one smaller when they do not divide the axis (opset 18's <c>num_outputs</c>).
    /// </summary>
    private static Tensor[] Split(NodeProto node, IReadOnlyList<Tensor?> x)
    {
        Tensor input = x[0]!;
        long axis = node.Int("axis", 0);
        if (axis < 0) axis += input.dim();
        if (Input(x, 1) is { } sizes)
        {
            long[] parts = Longs(sizes);
            if (parts.Length != node.Output.Count || parts.Sum() != input.shape[axis])
                throw new ArgumentException($"{node.Describe()} splits an axis of {input.shape[axis]} into [{string.Join(", ", parts)}] for {node.Output.Count} outputs.");
            return input.split(parts, axis);
        }
        long count = node.Output.Count, size = input.shape[axis];
        var chunks = input.split((size + count - 1) / count, axis);
        if (chunks.Length != count)
            throw new ArgumentException($"{node.Describe()} cannot split an axis of {size} into {count} parts.");
        return chunks;
    }

    private static Tensor ConstantOfShape(NodeProto node, long[] shape)
    {
        if (node.Find("value")?.T is not { } value) return zeros(shape);
        using Tensor scalar = OnnxTensors.ToTensor(value, node.Describe());
        return full(shape, scalar.flatten()[0].to_type(ScalarType.Float64).item<double>(), dtype: scalar.dtype);
    }
}
