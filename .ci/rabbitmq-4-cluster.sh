#!/usr/bin/env bash
# A 3-node RabbitMQ 4.3 cluster (Khepri metadata store) for the cluster fault suite (rpc-integration-tests
# ClusterFaultIT, ClusterShardsIT), with the sub-commands and output of .ci/rabbitmq-cluster.sh (3.10).
#
#   .ci/rabbitmq-4-cluster.sh up          start hare4n1..hare4n3@localhost (AMQP 5691..5693), cluster them
#   .ci/rabbitmq-4-cluster.sh down        stop them, kill their stragglers and epmd, remove their data (idempotent)
#   .ci/rabbitmq-4-cluster.sh stop N      rabbitmqctl stop_app on hare4nN (the Erlang VM stays up)
#   .ci/rabbitmq-4-cluster.sh start N     start_app if its VM runs, else start the VM; await startup
#   .ci/rabbitmq-4-cluster.sh kill N      kill -9 hare4nN's Erlang VM; return once it is gone
#   .ci/rabbitmq-4-cluster.sh pause N     kill -STOP hare4nN's Erlang VM; resume N sends -CONT
#   .ci/rabbitmq-4-cluster.sh pid N       print hare4nN's OS pid
#   .ci/rabbitmq-4-cluster.sh status      each node's state and the cluster_status of a running node
#   .ci/rabbitmq-4-cluster.sh heal        resume and start every node that is not running; await them all
#   .ci/rabbitmq-4-cluster.sh addresses   print localhost:5691,localhost:5692,localhost:5693
#   .ci/rabbitmq-4-cluster.sh leader Q    print N of the node of quorum queue Q's leader
#   .ci/rabbitmq-4-cluster.sh online Q    print how many of quorum queue Q's members are online
#   .ci/rabbitmq-4-cluster.sh connection NAME   print N of the node of each connection named NAME
#   .ci/rabbitmq-4-cluster.sh ctl N ARGS...     rabbitmqctl ARGS on hare4nN (its output and exit code)
#
# Each node is a node of .ci/rabbitmq-4.sh, whose functions this script sources: RabbitMQ 4.3 from the
# cached Debian forky root, run in a chroot as the root's rabbitmq user, its data in
# <root>/var/lib/rabbit-rpc/hare4nN (wiped by down), its Erlang distribution port AMQP port + 20000
# (25691..25693), every process of it tagged RABBIT_RPC_NODE=hare4nN@localhost. The three nodes share
# the root's Erlang cookie, one epmd of their own (port 4381, started by up, tagged with the cluster's
# name hare4n@localhost) and the CLI distribution ports 35731-35741. So the cluster runs beside the
# default node (5672, epmd 4369), the 3.10 cluster (5681-5683), the lone 4.3 node (5690, epmd 4380, CLI
# 35690-35700) and any other node from the root, and never signals their processes; down leaves the
# root's /proc, /sys and /dev mounted while another node from the root runs.
#
# Another cluster beside this one: give it its own RPC_CLUSTER4_NAME (node name prefix, default hare4n),
# RPC_CLUSTER4_PORT (default 5690: node N listens on PORT+N), RPC_CLUSTER4_EPMD_PORT (default 4381) and
# RPC_CLUSTER4_CTL_PORT (first CLI port, default 35731). RPC_CLUSTER4_SIZE: 1 to 9 nodes (default 3).
# RPC_CLUSTER4_CONF_EXTRA is appended to each node's rabbitmq.conf. RPC_RABBITMQ4_ROOT and
# RPC_RABBITMQ4_STARTUP_SECONDS are those of .ci/rabbitmq-4.sh.
set -euo pipefail

# shellcheck source=rabbitmq-4.sh
source "$(dirname "${BASH_SOURCE[0]}")/rabbitmq-4.sh"

NAME="${RPC_CLUSTER4_NAME:-hare4n}"
PORT_BASE="${RPC_CLUSTER4_PORT:-5690}"
SIZE="${RPC_CLUSTER4_SIZE:-3}"
EPMD_PORT="${RPC_CLUSTER4_EPMD_PORT:-4381}" # the library's, for every node of the cluster
CTL_PORT="${RPC_CLUSTER4_CTL_PORT:-35731}"
CONF_EXTRA="${RPC_CLUSTER4_CONF_EXTRA:-}"   # the library's (not the lone node's RPC_RABBITMQ4_CONF_EXTRA)
[[ "$NAME" =~ ^[a-z][a-z0-9]*$ ]] || { echo "RPC_CLUSTER4_NAME must be lower-case letters and digits" >&2; exit 2; }
[[ "$SIZE" =~ ^[1-9]$ ]] || { echo "RPC_CLUSTER4_SIZE must be 1 to 9" >&2; exit 2; }
for v in PORT_BASE EPMD_PORT CTL_PORT; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "RPC_CLUSTER4_${v%_BASE} must be a positive number" >&2; exit 2; }
done
[ "$PORT_BASE" -le 45526 ] || { echo "RPC_CLUSTER4_PORT must be at most 45526" >&2; exit 2; }
[ "$CTL_PORT" -le 65525 ] || { echo "RPC_CLUSTER4_CTL_PORT must be at most 65525" >&2; exit 2; }
NODES=($(seq 1 "$SIZE"))

node() { echo "$NAME$1@localhost"; }
amqp_port() { echo $((PORT_BASE + $1)); }

check_n() {
  if ! [[ "${1:-}" =~ ^[1-9]$ ]] || [ "$1" -gt "$SIZE" ]; then
    echo "usage: $0 $2 N (1 to $SIZE)" >&2
    exit 2
  fi
}

# at N: the library's functions work on node N from now on. SERVER_PID is node N's rabbitmq-server
# process if this run started it, else its VM (await_node gives up early once that has exited).
declare -a STARTED=()
at() {
  use_node "$(node "$1")" "$(amqp_port "$1")" "$CTL_PORT"
  SERVER_PID="${STARTED[$1]:-$(server_pids | head -n 1 || true)}"
}

ctl_n() { # ctl_n N ARGS...: rabbitmqctl -q on node N, bounded
  local n=$1; shift
  at "$n"
  ctl_q 60 "$@"
}

# The cluster's epmd: started before the nodes, so that it belongs to the cluster (tagged with its name),
# not to the node that happens to need it first, and outlives the nodes while down stops them in turn.
at_epmd() { use_node "$NAME@localhost" "$PORT_BASE" "$CTL_PORT"; }

start_epmd() {
  at_epmd
  common_env
  chroot --userspec="$(rabbitmq_ids)" "$ROOT" /usr/bin/env -i "${ENV[@]}" epmd -daemon
  local end=$((SECONDS + 10))
  until chroot --userspec="$(rabbitmq_ids)" "$ROOT" /usr/bin/env -i "${ENV[@]}" epmd -names >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || { echo "the cluster's epmd (port $EPMD_PORT) did not start" >&2; return 1; }
    sleep 0.1
  done
}

# The root's Erlang cookie, shared by all its nodes: written once, before nodes that start together
# would each write their own.
ensure_cookie() {
  local cookie="$ROOT$RABBIT_HOME/.erlang.cookie"
  [ -s "$cookie" ] && return 0
  (umask 077 && tr -dc 'A-Z' </dev/urandom | head -c 20 >"$cookie")
  chown "$(rabbitmq_ids)" "$cookie"
  chmod 400 "$cookie"
}

cluster_up() {
  local n running khepri start=$SECONDS
  ensure_root
  cluster_down keep-mounts
  ensure_cookie
  for n in "${NODES[@]}"; do
    at "$n"
    write_files
  done
  mount_all
  start_epmd
  for n in "${NODES[@]}"; do
    at "$n"
    start_server
    STARTED[n]=$SERVER_PID
  done
  for n in "${NODES[@]}"; do
    at "$n"
    await_node
  done
  for n in "${NODES[@]:1}"; do
    ctl_n "$n" stop_app >/dev/null
    ctl_n "$n" join_cluster "$(node 1)" >/dev/null
    ctl_n "$n" start_app >/dev/null
    await_node
  done
  running=$(ctl_n 1 eval 'length(rabbit_nodes:list_running()).' | tr -dc '0-9')
  khepri=$(ctl_n 1 eval 'rabbit_khepri:is_enabled().')
  if [ "$running" != "$SIZE" ] || [ "$khepri" != true ]; then
    echo "cluster has $running running nodes (expected $SIZE), Khepri enabled: $khepri (expected true)" >&2
    ctl_n 1 cluster_status >&2 || true
    return 1
  fi
  echo "RabbitMQ $(version) cluster of $SIZE on Khepri up in $((SECONDS - start)) s; logs in $ROOT/var/lib/rabbit-rpc/$NAME*/log" >&2
  echo "cluster up: $(addresses)"
}

cluster_down() { # cluster_down [keep-mounts]
  local n
  for n in "${NODES[@]}"; do
    at "$n"
    down keep-mounts
  done
  at_epmd
  down keep-mounts
  [ "${1:-}" = keep-mounts ] || unmount_all
}

cluster_status() {
  local n
  for n in "${NODES[@]}"; do
    at "$n"
    status || true
  done
  n=$(any_running 2>/dev/null) && ctl_n "$n" cluster_status 2>/dev/null || true
}

any_running() { # the first node that answers, to ask cluster-wide questions
  local n
  for n in "${NODES[@]}"; do
    at "$n"
    if [ -n "$(server_pids)" ] && app_running; then
      echo "$n"
      return 0
    fi
  done
  echo "no $NAME node is running" >&2
  return 1
}

start_node() {
  at "$1"
  if [ -n "$(server_pids)" ] && ctl_q 10 eval 'ok.' >/dev/null 2>&1; then
    ctl_q 60 start_app >/dev/null
  else
    start_server
  fi
  await_node
}

heal() {
  local n pids
  for n in "${NODES[@]}"; do
    at "$n"
    pids=$(server_pids)
    [ -z "$pids" ] || kill -CONT $pids
    app_running || start_node "$n"
  done
  for n in "${NODES[@]}"; do
    at "$n"
    await_node
  done
}

signal_node() { # signal_node SIGNAL N: send SIGNAL to node N's server VM, or fail if it has none
  at "$2"
  local pids
  pids=$(server_pids)
  [ -n "$pids" ] || { echo "$NODE is not running" >&2; return 1; }
  kill "-$1" $pids
}

kill_node() {
  local end=$((SECONDS + 30))
  signal_node KILL "$1"
  while [ -n "$(server_pids)" ]; do
    [ "$SECONDS" -lt "$end" ] || { echo "$NODE survived kill -9: $(server_pids | xargs)" >&2; return 1; }
    sleep 0.1
  done
}

# queue_column QUEUE COLUMN: that list_queues column of QUEUE (cluster-wide), on any running node
queue_column() {
  local n
  n=$(any_running)
  ctl_n "$n" list_queues --no-table-headers name "$2" | awk -F '\t' -v q="$1" '$1 == q { print $2 }'
}

# connections NAME: the node number of each connection whose client-provided name is NAME
connections() {
  local n
  n=$(any_running)
  ctl_n "$n" list_connections --no-table-headers port client_properties \
    | { grep -F "{\"connection_name\",\"$1\"}" || true; } | awk -F '\t' -v base="$PORT_BASE" '{ print $1 - base }'
}

addresses() {
  local n out=""
  for n in "${NODES[@]}"; do
    out="$out${out:+,}localhost:$(amqp_port "$n")"
  done
  echo "$out"
}

case "${1:-}" in
  up) cluster_up ;;
  down) cluster_down ;;
  stop) check_n "${2:-}" stop; ctl_n "$2" stop_app ;;
  start) check_n "${2:-}" start; start_node "$2" ;;
  kill) check_n "${2:-}" kill; kill_node "$2" ;;
  pause) check_n "${2:-}" pause; signal_node STOP "$2" ;;
  resume) check_n "${2:-}" resume; signal_node CONT "$2" ;;
  pid) check_n "${2:-}" pid; signal_node 0 "$2"; server_pids ;;
  status) cluster_status ;;
  heal) heal ;;
  leader) [ -n "${2:-}" ] || { echo "usage: $0 leader QUEUE" >&2; exit 2; }
    queue_column "$2" leader | sed -n "s/^$NAME\\([0-9]\\)@localhost\$/\\1/p" ;;
  online) [ -n "${2:-}" ] || { echo "usage: $0 online QUEUE" >&2; exit 2; }
    queue_column "$2" online | grep -o '@localhost' | wc -l ;;
  connection) [ -n "${2:-}" ] || { echo "usage: $0 connection NAME" >&2; exit 2; }
    connections "$2" ;;
  addresses) addresses ;;
  ctl) check_n "${2:-}" ctl; at "$2"; ctl "${@:3}" ;;
  *) sed -n '2,19p' "$0" >&2; exit 2 ;;
esac
