#!/usr/bin/env bash
# Regenerates the committed *_pb2.py from every .proto file beside this script (event, summary, tensor,
# graph, plugins, and xplane.proto for TF/JAX profiles).
# Needs grpcio-tools==1.71.2 (protobuf 5.29 gencode, which runtimes 5.29 to 7.x import without complaint);
# run from anywhere, e.g. PYTHON=/path/to/venv/bin/python nbtb/proto/regenerate.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
"${PYTHON:-python}" -m grpc_tools.protoc -I. --python_out=. --pyi_out=. nbtb/proto/*.proto
