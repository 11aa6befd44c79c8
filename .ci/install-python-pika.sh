#!/usr/bin/env bash
# Installs Debian's python3-pika and python3-cbor2 for /usr/bin/python3 when they are missing: the
# interop tests (examples/.../PythonInteropIT) run the Python peers in interop/python with them
# (cbor2 for the CBOR protocol and vectors), and fail in CI without them. Called from .ci/run; safe
# to run again.
set -euo pipefail
if /usr/bin/python3 -c 'import pika, cbor2' >/dev/null 2>&1; then
  echo "python3-pika, python3-cbor2: present"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3-pika python3-cbor2
/usr/bin/python3 -c 'import pika, cbor2; print("python3-pika: installed", pika.__version__, "; python3-cbor2: installed", cbor2.__version__ if hasattr(cbor2, "__version__") else "")'
