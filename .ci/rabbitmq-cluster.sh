#!/usr/bin/env bash
# A 3-node RabbitMQ cluster beside the machine's default node, for the cluster fault suite
# (rpc-integration-tests ClusterFaultIT). RabbitMQ 3.10 from Debian, run as root.
#
#   .ci/rabbitmq-cluster.sh up          start hare1..hare3@localhost (AMQP 5681..5683), cluster them
#   .ci/rabbitmq-cluster.sh down        stop them, kill stragglers, remove their data (idempotent)
#   .ci/rabbitmq-cluster.sh stop N      rabbitmqctl stop_app on hareN (the Erlang VM stays up)
#   .ci/rabbitmq-cluster.sh start N     start_app if its VM runs, else start the VM; await startup
#   .ci/rabbitmq-cluster.sh kill N      kill -9 hareN's Erlang VM (its OS pid from os:getpid())
#   .ci/rabbitmq-cluster.sh pause N     kill -STOP hareN's Erlang VM; resume N sends -CONT
#   .ci/rabbitmq-cluster.sh pid N       print hareN's OS pid
#   .ci/rabbitmq-cluster.sh status      each node's state and hare1's cluster_status
#   .ci/rabbitmq-cluster.sh heal        resume and start every node that is not running; await them all
#   .ci/rabbitmq-cluster.sh addresses   print localhost:5681,localhost:5682,localhost:5683
#   .ci/rabbitmq-cluster.sh leader Q    print N of the node of quorum queue Q's leader
#   .ci/rabbitmq-cluster.sh online Q    print how many of quorum queue Q's members are online
#   .ci/rabbitmq-cluster.sh connection NAME   print N of the node of each connection named NAME
#
# It never touches the default node (rabbit@localhost on 5672): every rabbitmqctl call names its
# hare node with -n, and each node has its own config, env file, ports and directories, so
# /etc/rabbitmq (which binds 5672) is not read. Data lives in RPC_CLUSTER_DIR (default
# /tmp/rabbit-rpc-cluster), owned by the rabbitmq user because the server runs as that user.
# The nodes share the default node's Erlang cookie (HOME=/var/lib/rabbitmq), so rabbitmqctl works.
#
# A developer (or a second checkout) can run a cluster of its own beside CI's: RPC_CLUSTER_NAME
# (node name prefix, default hare), RPC_CLUSTER_PORT (AMQP port of node 0, default 5680: node N
# listens on PORT+N, its Erlang distribution on PORT+20000+N), RPC_CLUSTER_SIZE (1 to 9 nodes,
# default 3; 1 is a lone node) and RPC_CLUSTER_DIR (default /tmp/rabbit-rpc-cluster, or
# /tmp/rabbit-rpc-NAME for another name). Give each cluster its own values of all four.
set -euo pipefail

NAME="${RPC_CLUSTER_NAME:-hare}"
PORT_BASE="${RPC_CLUSTER_PORT:-5680}"
SIZE="${RPC_CLUSTER_SIZE:-3}"
[[ "$NAME" =~ ^[a-z][a-z0-9]*$ ]] || { echo "RPC_CLUSTER_NAME must be lower-case letters and digits" >&2; exit 2; }
[[ "$SIZE" =~ ^[1-9]$ ]] || { echo "RPC_CLUSTER_SIZE must be 1 to 9" >&2; exit 2; }
NODES=($(seq 1 "$SIZE"))
if [ "$NAME" = hare ]; then
  BASE="${RPC_CLUSTER_DIR:-/tmp/rabbit-rpc-cluster}"
else
  BASE="${RPC_CLUSTER_DIR:-/tmp/rabbit-rpc-$NAME}"
fi
RABBIT_HOME=/var/lib/rabbitmq
SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
STARTUP_SECONDS="${RPC_CLUSTER_STARTUP_SECONDS:-120}"

node() { echo "$NAME$1@localhost"; }
amqp_port() { echo $((PORT_BASE + $1)); }
dist_port() { echo $((PORT_BASE + 20000 + $1)); }
dir() { echo "$BASE/hare$1"; }

check_n() {
  if ! [[ "${1:-}" =~ ^[1-9]$ ]] || [ "$1" -gt "$SIZE" ]; then
    echo "usage: $0 $2 N (1 to $SIZE)" >&2
    exit 2
  fi
}

ctl() { # ctl N args...: rabbitmqctl on hareN, bounded
  local n=$1; shift
  timeout 60 rabbitmqctl -q -n "$(node "$n")" "$@"
}

# The OS pids of hareN's Erlang VM: the beam.smp processes started with RABBITMQ_NODENAME=hareN@localhost
# (3.10 passes the node name in the environment, not on the command line), whether or not its pid
# file is still there. The default node's VM never matches.
vm_pids() {
  local n=$1 pid
  for pid in $(pgrep -x beam.smp || true); do
    if { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qx "RABBITMQ_NODENAME=$(node "$n")"; then
      echo "$pid"
    fi
  done
}

write_node_files() {
  local n=$1 d
  d=$(dir "$n")
  mkdir -p "$d/mnesia" "$d/log"
  echo "[]." >"$d/enabled_plugins"
  cat >"$d/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$(amqp_port "$n")
EOF
  : >"$d/rabbitmq-env.conf" # instead of /etc/rabbitmq/rabbitmq-env.conf, which names rabbit@localhost
  chown -R rabbitmq:rabbitmq "$BASE"
}

start_vm() {
  local n=$1 d
  d=$(dir "$n")
  runuser -u rabbitmq -- env -i PATH="$PATH" HOME="$RABBIT_HOME" LANG=C.UTF-8 \
    RABBITMQ_NODENAME="$(node "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(amqp_port "$n")" \
    RABBITMQ_DIST_PORT="$(dist_port "$n")" \
    RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
    RABBITMQ_CONF_ENV_FILE="$d/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$d/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$d/mnesia" \
    RABBITMQ_LOG_BASE="$d/log" \
    RABBITMQ_PID_FILE="$d/$NAME$n.pid" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    ERL_FLAGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$SERVER" -detached >>"$d/log/startup.log" 2>&1
}

# await_startup fails until the node has registered with epmd: retry it, bounded.
await_node() {
  local n=$1 end=$((SECONDS + STARTUP_SECONDS))
  until timeout 30 rabbitmqctl -q -n "$(node "$n")" await_startup --timeout 20 >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$end" ]; then
      echo "$(node "$n") did not start within ${STARTUP_SECONDS} s; its log:" >&2
      tail -n 30 "$(dir "$n")"/log/*.log >&2 || true
      return 1
    fi
    sleep 1 # retry interval while the VM boots
  done
}

start_node() {
  local n=$1
  if [ -n "$(vm_pids "$n")" ] && timeout 10 rabbitmqctl -q -n "$(node "$n")" eval 'ok.' >/dev/null 2>&1; then
    ctl "$n" start_app
  else
    start_vm "$n"
  fi
  await_node "$n"
}

os_pid() {
  local n=$1 pid
  pid=$(ctl "$n" eval 'list_to_integer(os:getpid()).' | tr -dc '0-9')
  [ -n "$pid" ] || { echo "no OS pid for $(node "$n")" >&2; return 1; }
  echo "$pid"
}

up() {
  down
  for n in "${NODES[@]}"; do
    write_node_files "$n"
  done
  for n in "${NODES[@]}"; do
    start_vm "$n"
  done
  for n in "${NODES[@]}"; do
    await_node "$n"
  done
  for n in "${NODES[@]:1}"; do
    ctl "$n" stop_app
    ctl "$n" join_cluster "$(node 1)"
    ctl "$n" start_app
    await_node "$n"
  done
  local running
  running=$(ctl 1 eval 'length(rabbit_nodes:all_running()).' | tr -dc '0-9')
  if [ "$running" != "$SIZE" ]; then
    echo "cluster has $running running nodes, expected $SIZE" >&2
    ctl 1 cluster_status >&2 || true
    return 1
  fi
  echo "cluster up: $(addresses)"
}

down() {
  for n in "${NODES[@]}"; do
    local pids
    pids=$(vm_pids "$n")
    [ -n "$pids" ] || continue
    kill -CONT $pids 2>/dev/null || true # a paused VM cannot stop itself
    timeout 30 rabbitmqctl -q -n "$(node "$n")" stop >/dev/null 2>&1 || true
    for pid in $(vm_pids "$n"); do
      kill -9 "$pid" 2>/dev/null || true
    done
  done
  # Wait (bounded) until every VM is gone, so that the ports and epmd names are free again.
  local end=$((SECONDS + 30))
  for n in "${NODES[@]}"; do
    while [ -n "$(vm_pids "$n")" ]; do
      if [ "$SECONDS" -ge "$end" ]; then
        echo "$(node "$n") is still running: $(vm_pids "$n")" >&2
        return 1
      fi
      sleep 0.2
    done
  done
  rm -rf "$BASE"
}

status() {
  for n in "${NODES[@]}"; do
    local pids state
    pids=$(vm_pids "$n" | tr '\n' ' ')
    if [ -z "$pids" ]; then
      state="not running"
    elif grep -q '^T' <(ps -o stat= -p "${pids%% *}" 2>/dev/null); then
      state="paused (pid $pids)"
    elif timeout 10 rabbitmqctl -q -n "$(node "$n")" eval 'rabbit:is_running().' 2>/dev/null | grep -q true; then
      state="running (pid $pids)"
    else
      state="VM up, app stopped (pid $pids)"
    fi
    echo "$(node "$n") amqp $(amqp_port "$n"): $state"
  done
  ctl 1 cluster_status 2>/dev/null || true
}

# The first node that answers, to ask cluster-wide questions.
any_running() {
  for n in "${NODES[@]}"; do
    if timeout 10 rabbitmqctl -q -n "$(node "$n")" eval 'rabbit:is_running().' 2>/dev/null | grep -q true; then
      echo "$n"
      return 0
    fi
  done
  echo "no $NAME node is running" >&2
  return 1
}

queue_column() { # queue_column QUEUE COLUMN: the column of list_queues for QUEUE
  local n
  n=$(any_running)
  ctl "$n" list_queues --no-table-headers name "$2" | awk -F '\t' -v q="$1" '$1 == q { print $2 }'
}

heal() {
  for n in "${NODES[@]}"; do
    for pid in $(vm_pids "$n"); do kill -CONT "$pid" 2>/dev/null || true; done
    if ! timeout 10 rabbitmqctl -q -n "$(node "$n")" eval 'rabbit:is_running().' 2>/dev/null | grep -q true; then
      start_node "$n"
    fi
  done
  for n in "${NODES[@]}"; do
    await_node "$n"
  done
}

addresses() {
  local out=""
  for n in "${NODES[@]}"; do
    out="$out${out:+,}localhost:$(amqp_port "$n")"
  done
  echo "$out"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  stop) check_n "${2:-}" stop; ctl "$2" stop_app ;;
  start) check_n "${2:-}" start; start_node "$2" ;;
  kill) check_n "${2:-}" kill; pid=$(os_pid "$2"); kill -9 "$pid"
    end=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null; do
      [ "$SECONDS" -lt "$end" ] || { echo "pid $pid survived kill -9" >&2; exit 1; }
      sleep 0.1
    done ;;
  pause) check_n "${2:-}" pause; kill -STOP "$(os_pid "$2")" ;;
  resume) check_n "${2:-}" resume; for pid in $(vm_pids "$2"); do kill -CONT "$pid"; done ;;
  pid) check_n "${2:-}" pid; os_pid "$2" ;;
  status) status ;;
  heal) heal ;;
  leader) [ -n "${2:-}" ] || { echo "usage: $0 leader QUEUE" >&2; exit 2; }
    queue_column "$2" leader | sed -n "s/^$NAME\\([0-9]\\)@localhost\$/\\1/p" ;;
  online) [ -n "${2:-}" ] || { echo "usage: $0 online QUEUE" >&2; exit 2; }
    queue_column "$2" online | grep -o '@localhost' | wc -l ;;
  connection) [ -n "${2:-}" ] || { echo "usage: $0 connection NAME" >&2; exit 2; }
    n=$(any_running)
    ctl "$n" list_connections --no-table-headers port client_properties \
      | { grep -F "{\"connection_name\",\"$2\"}" || true; } | awk -F '\t' -v base="$PORT_BASE" '{ print $1 - base }' ;;
  addresses) addresses ;;
  *) sed -n '2,24p' "$0" >&2; exit 2 ;;
esac
