#!/usr/bin/env bash
# Regenerates the library's public-API listing (src/Microsoft.ML.Sharpness/PublicAPI.Unshipped.txt) from the code:
# runs the PublicApiAnalyzers code fix for RS0016 (a public member missing from the listing) and RS0017 (a listed member
# that no longer exists), then sorts both files the way the code fix does (ordinal, ignoring case), "#nullable enable" first.
# After a merge: take either side's listing, run this script, review `git diff`. See docs/packaging.md.
set -euo pipefail
cd "$(dirname "$0")/.."
project=src/Microsoft.ML.Sharpness/Microsoft.ML.Sharpness.csproj
dotnet format analyzers "$project" --diagnostics RS0016 RS0017 --severity warn
for file in src/Microsoft.ML.Sharpness/PublicAPI.Shipped.txt src/Microsoft.ML.Sharpness/PublicAPI.Unshipped.txt; do
  { echo '#nullable enable'; { grep -v -e '^#nullable enable$' -e '^$' "$file" || true; } | LC_ALL=C sort -f | uniq; } > "$file.sorted"
  mv "$file.sorted" "$file"
done
dotnet build "$project" --no-restore -v quiet -nologo
echo "Public API listing is up to date; review: git diff -- src/Microsoft.ML.Sharpness/PublicAPI.*.txt"
