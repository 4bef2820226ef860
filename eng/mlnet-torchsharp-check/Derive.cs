// Outside trainer/transformer pairs on Microsoft.ML.TorchSharp's public base classes; run.sh builds each variant and expects
// compile errors. (The compiler reports member errors before constructor errors, so each variant is built on its own.)
#if DERIVE_CONSTRUCTOR || DERIVE_MEMBERS
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.TorchSharp;

// Compiles: the trainer's constructor is protected. But its Fit must return a TorchSharpBaseTransformer.
sealed class OutsideTrainer : TorchSharpBaseTrainer
{
    public override TorchSharpBaseTransformer Fit(IDataView input) => throw new NotSupportedException();
    public override SchemaShape GetOutputSchema(SchemaShape inputSchema) => inputSchema;
}

abstract class OutsideTransformer : TorchSharpBaseTransformer
{
#if DERIVE_CONSTRUCTOR
    protected OutsideTransformer(IHost host) : base(host) { }
#else
    private protected override IRowMapper MakeRowMapper(DataViewSchema schema) => null!;
    private protected override void SaveModel(ModelSaveContext ctx) { }
#endif
}
#endif
