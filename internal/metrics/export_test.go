package metrics

// DerivedTableNames lets the benchmarks (package metrics_test, which may
// import the demo loader that imports this package) empty what a refresh
// writes.
var DerivedTableNames = derivedTableNames
