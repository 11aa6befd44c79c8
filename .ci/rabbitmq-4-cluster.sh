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

usage() { # usage COMMAND ARG: the usage of that sub-command, exit 2
  echo "usage: $0 $1 $2" >&2
  exit 2
}

check_n() { # check_n N COMMAND: N is a node of the cluster, else the usage of COMMAND
  [[ "${1:-}" =~ ^[1-9]$ ]] && [ "$1" -le "$SIZE" ] || usage "$2" "N (1 to $SIZE)"
}

# at N: the library's functions work on node N from now on. SERVER_PID is node N's rabbitmq-server
# process if this run started it (await_node gives up early once that has exited), else empty.
declare -a STARTED=()
at() {
  use_node "$(node "$1")" "$(amqp_port "$1")" "$CTL_PORT"
  SERVER_PID="${STARTED[$1]:-}"
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
  local epmd=(chroot --userspec="$(rabbitmq_ids)" "$ROOT" /usr/bin/env -i "${ENV[@]}" epmd) end=$((SECONDS + 10))
  "${epmd[@]}" -daemon
  until "${epmd[@]}" -names >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$end" ] || { echo "the cluster's epmd (port $EPMD_PORT) did not start" >&2; return 1; }
    sleep 0.1
  done
}

# The root's Erlang cookie, shared by all its nodes: written once, before nodes that start together
# would each write their own.
ensure_cookie() {
  local cookie="$ROOT$RABBIT_HOME/.erlang.cookie"
  [ -s "$cookie" ] && return 0
  (umask 077 && head -c 15 /dev/urandom | base32 >"$cookie")
  chown "$(rabbitmq_ids)" "$cookie"
  chmod 400 "$cookie"
}

cluster_up() {
  local n running khepri version start=$SECONDS
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
  for n in "${NODES[@]:1}"; do # start_app returns once the node runs again, in the cluster
    ctl_n "$n" stop_app >/dev/null
    ctl_n "$n" join_cluster "$(node 1)" >/dev/null
    ctl_n "$n" start_app >/dev/null
  done
  # Nodes running, Khepri the metadata store, version: one CLI call (each takes a second).
  IFS=' ' read -r running khepri version < <(ctl_n 1 eval \
    'io:format("~b ~s ~s~n", [length(rabbit_nodes:list_running()), rabbit_khepri:is_enabled(), rabbit_misc:version()]).' \
    | sed -n 1p) || true # the line printed, not eval's value (ok); sed reads on: no EPIPE for the CLI
  if [ "${running:-}" != "$SIZE" ] || [ "${khepri:-}" != true ]; then
    echo "cluster has ${running:-no} running nodes (expected $SIZE), Khepri enabled: ${khepri:-?} (expected true)" >&2
    ctl_n 1 cluster_status >&2 || true
    return 1
  fi
  echo "RabbitMQ $version cluster of $SIZE nodes (metadata store Khepri) up in $((SECONDS - start)) s;" \
    "logs in $ROOT/var/lib/rabbit-rpc/$NAME*/log" >&2
  echo "cluster up: $(addresses)"
}

# resume N...: SIGCONT to every process of those nodes (none: nothing to do). down and heal resume
# them all first: a paused node would hold up the others' stop or start.
resume() {
  local n pids
  for n in "$@"; do
    at "$n"
    pids=$(node_pids)
    [ -z "$pids" ] || kill -CONT $pids 2>/dev/null || true
  done
}

cluster_down() { # cluster_down [keep-mounts]
  local n
  resume "${NODES[@]}"
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
  ask cluster_status || true
}

# ask ARGS...: rabbitmqctl -q ARGS (a cluster-wide question) on the first node that answers: a node
# whose app is stopped refuses at once; one that is paused or has no VM is not asked.
ask() {
  local n pids out
  for n in "${NODES[@]}"; do
    at "$n"
    pids=$(server_pids)
    if [ -n "$pids" ] && ! paused "${pids%%$'\n'*}" && out=$(ctl_q 60 "$@" 2>/dev/null); then
      printf '%s\n' "$out"
      return 0
    fi
  done
  echo "no $NAME node answers rabbitmqctl $*" >&2
  return 1
}

# launch N: start node N without waiting for it: its app if its VM runs (start_app, in the background:
# it returns once the node runs, and a node of a cluster that lost its majority waits for the others),
# else its VM. Never a second VM beside a running one: it could not bind the node's distribution port
# ("in use by another node") and would exit. A VM slow to answer on a loaded machine (a CI run once saw
# a stopped node take over 10 s to answer rabbitmqctl) is waited for: start_app is bounded by 120 s.
declare -a LAUNCHED=()
launch() {
  at "$1"
  if [ -n "$(server_pids)" ]; then
    ctl_q 120 start_app >/dev/null &
    LAUNCHED+=($!)
  else
    start_server
    STARTED[$1]=$SERVER_PID
  fi
}

await_launched() { # the start_app calls of launch
  local pid
  for pid in "${LAUNCHED[@]}"; do wait "$pid"; done
  LAUNCHED=()
}

start_node() {
  launch "$1"
  await_node
  await_launched
}

# Every node that is not running started at once (one alone may wait for the others), then awaited.
heal() {
  local n
  resume "${NODES[@]}"
  for n in "${NODES[@]}"; do
    at "$n"
    if [ -z "$(server_pids)" ] || ! app_running; then
      launch "$n"
    fi
  done
  for n in "${NODES[@]}"; do
    at "$n"
    await_node
  done
  await_launched
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

# The answers, as numbers on lines of their own (ClusterControl reads those). list_queues shows a
# quorum queue's leader as a node name (hare4n2@localhost) and its online members as a list of them.
queue_column() { # queue_column QUEUE COLUMN: that list_queues column of QUEUE
  ask list_queues --no-table-headers name "$2" | awk -F '\t' -v q="$1" '$1 == q { print $2 }'
}

leader() { queue_column "$1" leader | sed -n "s/^$NAME\([0-9]\)@localhost\$/\1/p"; }

online() { queue_column "$1" online | grep -o "@localhost" | wc -l; }

# connection NAME: the node of each connection whose client-provided name is NAME (from its port)
connection() {
  ask list_connections --no-table-headers port client_properties \
    | awk -F '\t' -v name="{\"connection_name\",\"$1\"}" -v base="$PORT_BASE" 'index($2, name) { print $1 - base }'
}

addresses() {
  local n all=()
  for n in "${NODES[@]}"; do all+=("localhost:$(amqp_port "$n")"); done
  (IFS=,; echo "${all[*]}")
}

case "${1:-}" in
  up) cluster_up ;;
  down) cluster_down ;;
  stop) check_n "${2:-}" stop; ctl_n "$2" stop_app ;;
  start) check_n "${2:-}" start; start_node "$2" ;;
  kill) check_n "${2:-}" kill; kill_node "$2" ;;
  pause) check_n "${2:-}" pause; signal_node STOP "$2" ;;
  resume) check_n "${2:-}" resume; resume "$2" ;;
  pid) check_n "${2:-}" pid; signal_node 0 "$2"; server_pids ;;
  status) cluster_status ;;
  heal) heal ;;
  leader | online) [ -n "${2:-}" ] || usage "$1" QUEUE; "$1" "$2" ;;
  connection) [ -n "${2:-}" ] || usage "$1" NAME; connection "$2" ;;
  addresses) addresses ;;
  ctl) check_n "${2:-}" ctl; at "$2"; ctl "${@:3}" ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
