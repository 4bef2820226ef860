#!/usr/bin/env bash
# Restores Microsoft.ML.TorchSharp 0.24.0 in a scratch copy under /tmp, prints its public surface (Program.cs), then tries to
# derive a trainer/transformer pair from its base classes (Derive.cs, expected to fail to compile), and deletes the copy.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d /tmp/mlnet-torchsharp-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cp "$here"/*.cs "$here"/*.csproj "$work"/
cp "$here/../../global.json" "$work"/
cd "$work"
dotnet restore 2>&1 | grep -E "NU1603|error" || true
dotnet build -v q -nologo 2>&1 | grep -E " error " || true
dotnet bin/Debug/net10.0/MLNetTorchSharpCheck.dll
echo
for variant in DERIVE_CONSTRUCTOR DERIVE_MEMBERS; do
  echo "== deriving a transformer: $variant (expected compile errors)"
  dotnet build -v q -nologo -p:DefineConstants=$variant 2>&1 | grep -oE "Derive.cs\([0-9,]+\): error [A-Z0-9]+: [^[]*" | sort -u
done
