using Microsoft.ML.Data;

namespace Microsoft.ML.Sharpness.Persistence;

/// <summary>A data view with a schema and no rows: what ML.NET's Fit needs to build a transformer for a schema.</summary>
internal sealed class EmptyDataView : IDataView
{
    public EmptyDataView(DataViewSchema schema) => Schema = schema;

    public bool CanShuffle => true;
    public DataViewSchema Schema { get; }
    public long? GetRowCount() => 0;
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(Schema);
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => new DataViewRowCursor[] { new Cursor(Schema) };

    private sealed class Cursor : DataViewRowCursor
    {
        public Cursor(DataViewSchema schema) => Schema = schema;
        public override DataViewSchema Schema { get; }
        public override long Position => -1;
        public override long Batch => 0;
        public override bool MoveNext() => false;
        public override bool IsColumnActive(DataViewSchema.Column column) => true;
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => throw new InvalidOperationException("The data view is empty.");
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => (ref TValue value) => throw new InvalidOperationException("The data view is empty.");
    }
}
