#!/usr/bin/env bash
# Installs Debian's python3-pika for /usr/bin/python3 when it is missing: the interop tests
# (examples/.../PythonInteropIT) run the Python peers in interop/python with it, and fail in CI
# without it. Called from .ci/run; safe to run again.
set -euo pipefail
if /usr/bin/python3 -c 'import pika' >/dev/null 2>&1; then
  echo "python3-pika: present"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq python3-pika
/usr/bin/python3 -c 'import pika; print("python3-pika: installed", pika.__version__)'
