#!/usr/bin/env bash
# Builds and runs every benchmark: the end-to-end harness, then the JMH hot-path and interceptor-chain
# benchmarks with the allocation profiler. See docs/BENCHMARKS.md.
#
#   bash rpc-benchmarks/run.sh            # full run: 5x the calls of --quick, several minutes
#   bash rpc-benchmarks/run.sh --quick    # under 2 minutes end to end, plus a short JMH pass
#
# The broker is RPC_AMQP_URI, else amqp://guest:guest@localhost:5672. Reports are written to
# rpc-benchmarks/target/end-to-end.md and rpc-benchmarks/target/jmh.txt; the harness's PNG charts to
# docs/benchmarks/ for a full run (the images docs/BENCHMARKS.md and README.md show), to
# rpc-benchmarks/target/charts/ for --quick. Progress lines go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=(--charts docs/benchmarks)
jmh=(-prof gc)
if [ "${1:-}" = "--quick" ]; then
  mode=(--quick --charts rpc-benchmarks/target/charts)
  jmh+=(-wi 2 -w 1 -i 3 -r 1)
fi

mvn -B -q package -pl rpc-benchmarks -am -DskipTests
jar=rpc-benchmarks/target/rabbit-rpc-benchmarks.jar
echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
java -jar "$jar" "${mode[@]}" --out rpc-benchmarks/target/end-to-end.md
java -cp "$jar" org.openjdk.jmh.Main 'HotPathBenchmark|ChainBenchmark' "${jmh[@]}" | tee rpc-benchmarks/target/jmh.txt
