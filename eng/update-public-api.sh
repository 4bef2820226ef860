#!/usr/bin/env bash
# Regenerates the library's public-API listing (src/Microsoft.ML.Sharpness/PublicAPI.Unshipped.txt) from the code: builds the
# library, adds every symbol the PublicApiAnalyzers report as missing (RS0016), drops every listed symbol they report as gone
# (RS0017), then sorts the listing the way the analyzers' code fix does (ordinal, ignoring case), "#nullable enable" first.
# After a merge: take either side's listing, run this script, review `git diff`. See docs/packaging.md.
set -euo pipefail
cd "$(dirname "$0")/.."
project=src/Microsoft.ML.Sharpness/Microsoft.ML.Sharpness.csproj
listing=src/Microsoft.ML.Sharpness/PublicAPI.Unshipped.txt
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build "$project" -c Release --no-incremental -nologo -p:WarningsAsErrors= -p:TreatWarningsAsErrors=false >"$log" 2>&1 || true
symbols() { grep -o "$1: Symbol '.*' is" "$log" | sed -e "s/^$1: Symbol '//" -e "s/' is\$//" | sort -u || true; }
missing=$(symbols RS0016)
gone=$(symbols RS0017)
{
  echo '#nullable enable'
  { grep -v -e '^#nullable enable$' -e '^$' "$listing" | grep -vxF -f <(printf '%s\n' "$gone" | sed '/^$/d') || true
    printf '%s\n' "$missing" | sed '/^$/d'; } | LC_ALL=C sort -f | uniq
} > "$listing.sorted"
mv "$listing.sorted" "$listing"
dotnet build "$project" -c Release -nologo -v quiet
echo "Public API listing is up to date; review: git diff -- $listing"
