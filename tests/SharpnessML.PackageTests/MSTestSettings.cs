// The checks share one pack of both packages and one trained model; they run one after another.
[assembly: Parallelize(Scope = ExecutionScope.ClassLevel, Workers = 1)]
