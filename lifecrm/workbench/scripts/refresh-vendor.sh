#!/usr/bin/env bash
# Refresh the workbench's vendored front-end assets (Bootstrap, Chart.js) from the npm registry.
#
# The pins live in lifecrm/workbench/vendor/package.json (exact versions) and package-lock.json.
# To upgrade: edit the version in package.json, run this script with --update-lock, review and
# commit the changed files. Runtime and CI never need npm: the minified files are committed.
# htmx is not vendored here: django-htmx ships it ({% htmx_script %}).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"   # lifecrm/workbench
vendor_src="$here/vendor"
static_dst="$here/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cp "$vendor_src/package.json" "$work/"
if [[ "${1:-}" == "--update-lock" ]]; then
  (cd "$work" && npm install --ignore-scripts --no-audit --no-fund)
  cp "$work/package-lock.json" "$vendor_src/package-lock.json"
else
  cp "$vendor_src/package-lock.json" "$work/"
  (cd "$work" && npm ci --ignore-scripts --no-audit --no-fund)
fi

# Drop the sourceMappingURL comments: we do not ship the .map files, and whitenoise's manifest
# storage would refuse a reference to a missing file at collectstatic.
copy_min() {
  local from="$1" to="$2"
  mkdir -p "$(dirname "$to")"
  sed -e '/sourceMappingURL=/d' "$from" > "$to"
}

bs="$work/node_modules/bootstrap"
rm -rf "$static_dst/bootstrap"
copy_min "$bs/dist/css/bootstrap.min.css" "$static_dst/bootstrap/bootstrap.min.css"
copy_min "$bs/dist/js/bootstrap.bundle.min.js" "$static_dst/bootstrap/bootstrap.bundle.min.js"
cp "$bs/LICENSE" "$static_dst/bootstrap/LICENSE"
node -e 'console.log("bootstrap " + require(process.argv[1]).version)' "$bs/package.json" \
  > "$static_dst/bootstrap/VERSION"

# Chart.js (the billing dashboard's and persistency page's charts): the UMD build, one file, no CDN.
cj="$work/node_modules/chart.js"
rm -rf "$static_dst/chartjs"
copy_min "$cj/dist/chart.umd.min.js" "$static_dst/chartjs/chart.umd.min.js"
cp "$cj/LICENSE.md" "$static_dst/chartjs/LICENSE.md"
node -e 'console.log("chart.js " + require(process.argv[1]).version)' "$cj/package.json" \
  > "$static_dst/chartjs/VERSION"

echo "vendored: $(cat "$static_dst/bootstrap/VERSION"), $(cat "$static_dst/chartjs/VERSION") into $static_dst"
