#!/usr/bin/env bash
# Refreshes assets/swagger-ui/, the API explorer served at /docs, from the npm
# package swagger-ui-dist (Apache-2.0). The build never downloads anything:
# the two files are compiled into the binary gzipped (src/startup/explorer.rs)
# and this script is run by hand when moving to another Swagger UI release.
# `npm pack` fetches the package without running its install scripts.
# Usage: scripts/vendor-swagger-ui.sh [VERSION]   (default: the one in VERSION)
set -euo pipefail

cd "$(dirname "$0")/.."
out=assets/swagger-ui
version="${1:-$(cat "$out/VERSION")}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "swagger-ui-dist@${version}" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
pkg="$work/package"
mkdir -p "$out"
# The one-file bundle (React and every plugin) and its stylesheet; nothing
# else is needed. The stylesheet's source-map comment names a file not shipped.
gzip -9 -n -c "$pkg/swagger-ui-bundle.js" >"$out/swagger-ui-bundle.js.gz"
sed '/sourceMappingURL=/d' "$pkg/swagger-ui.css" | gzip -9 -n -c >"$out/swagger-ui.css.gz"
cp "$pkg/LICENSE" "$pkg/NOTICE" "$pkg/swagger-ui-bundle.js.LICENSE.txt" "$out/"
echo "$version" >"$out/VERSION"
ls -l "$out"
