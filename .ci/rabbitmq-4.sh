#!/usr/bin/env bash
# A lone RabbitMQ 4.3 node beside the machine's default 3.10 node, for the tests that need RabbitMQ 4
# behaviour. RabbitMQ 4.3 (Erlang/OTP 29) from Debian forky, run in a chroot as that root's rabbitmq user.
#
#   .ci/rabbitmq-4.sh up            build the root if it is not cached, stop any earlier node, start
#                                   rabbit4@localhost (AMQP 127.0.0.1:5690), await it; print its URI
#   .ci/rabbitmq-4.sh down          stop it, kill its stragglers and its epmd, unmount /proc, /sys and
#                                   /dev from the root, remove its data (idempotent)
#   .ci/rabbitmq-4.sh ctl ARGS...   rabbitmqctl ARGS on this node (run inside the chroot): its output
#                                   and its exit code (124 if it ran longer than 330 s)
#   .ci/rabbitmq-4.sh uri           print amqp://guest:guest@localhost:5690
#   .ci/rabbitmq-4.sh status        its state; exit 0 if the app is running, 3 if not
#   .ci/rabbitmq-4.sh version       the RabbitMQ version of the running node (else of the root's package)
#   .ci/rabbitmq-4.sh root          build the root if it is not cached; print its path
#
# It never touches the default node (rabbit@localhost on 5672, epmd on 4369): this node has its own
# epmd (ERL_EPMD_PORT 4380, so it never registers with the default epmd), its own Erlang distribution
# port (AMQP port + 20000: 25690) and CLI ports (35690-35700), its own config, cookie and data; every
# process of it (server, epmd, rabbitmqctl) runs inside the root and carries RABBIT_RPC_NODE=<node> in
# its environment, and only such processes are ever signalled. The default node's beam.smp never is.
#
# The root (debootstrap --variant=minbase --include=rabbitmq-server forky, about 400 MB, a minute or
# two to build) is cached in RPC_RABBITMQ4_ROOT (default /var/cache/rabbit-rpc/rabbitmq-4.3-root); a
# later `up` reuses it (rm -rf it, after `down`, to rebuild: forky moves, so a rebuild may bring a
# newer 4.x). The mirror is the first URIs: of /etc/apt/sources.list.d/debian.sources (or
# RPC_RABBITMQ4_MIRROR). The node's config, data and logs live in <root>/var/lib/rabbit-rpc/<name>
# (logs: .../log), wiped by `down`. Its rabbitmq.conf sets the listener and refuses the deprecated
# features transient_nonexcl_queues and global_qos; RPC_RABBITMQ4_CONF_EXTRA is appended to it (e.g.
# RPC_RABBITMQ4_CONF_EXTRA='consumer_timeout = 5000' .ci/rabbitmq-4.sh up). No plugin is enabled.
#
# Another node from the same root: give it its own RPC_RABBITMQ4_NAME (node name, default
# rabbit4@localhost), RPC_RABBITMQ4_PORT (AMQP port, default 5690) and RPC_RABBITMQ4_EPMD_PORT
# (default 4380). RPC_RABBITMQ4_STARTUP_SECONDS bounds the startup wait (default 120).
# .ci/rabbitmq-4-cluster.sh runs a 3-node cluster from the same root with this script's functions
# (it sources this script, which then defines them and runs no sub-command).
set -euo pipefail

ROOT="${RPC_RABBITMQ4_ROOT:-/var/cache/rabbit-rpc/rabbitmq-4.3-root}"
NODE="${RPC_RABBITMQ4_NAME:-rabbit4@localhost}"
PORT="${RPC_RABBITMQ4_PORT:-5690}"
EPMD_PORT="${RPC_RABBITMQ4_EPMD_PORT:-4380}"
STARTUP_SECONDS="${RPC_RABBITMQ4_STARTUP_SECONDS:-120}"
CONF_EXTRA="${RPC_RABBITMQ4_CONF_EXTRA:-}"
BUILD_SECONDS="${RPC_RABBITMQ4_BUILD_SECONDS:-1800}"
CTL_SECONDS=330 # rabbitmqctl's own await_startup default is 300 s: let it report first
SUITE=forky
PACKAGE=rabbitmq-server

[[ "$ROOT" = /* ]] || { echo "RPC_RABBITMQ4_ROOT must be an absolute path" >&2; exit 2; }
ROOT=$(realpath -m "$ROOT") # as /proc/PID/root shows it
[ "$ROOT" != / ] || { echo "RPC_RABBITMQ4_ROOT must not be /" >&2; exit 2; }
[[ "$NODE" = *@* ]] || NODE="$NODE@localhost"
[[ "$NODE" =~ ^[a-z][a-z0-9_-]*@localhost$ ]] \
  || { echo "RPC_RABBITMQ4_NAME must be NAME or NAME@localhost (lower-case letters, digits, - and _)" >&2; exit 2; }
for v in PORT EPMD_PORT STARTUP_SECONDS BUILD_SECONDS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "RPC_RABBITMQ4_$v must be a positive number" >&2; exit 2; }
done
[ "$PORT" -le 45535 ] || { echo "RPC_RABBITMQ4_PORT must be at most 45535 (its distribution port is PORT+20000)" >&2; exit 2; }

# use_node NODE PORT [CTL_PORT]: the node the functions below work on: NODE (NAME@localhost) with AMQP
# PORT, Erlang distribution port PORT+20000, its CLI's own distribution ports CTL_PORT..CTL_PORT+10
# (default: distribution port + 10000), its data and its tag. This script works on one node;
# .ci/rabbitmq-4-cluster.sh sources it and calls use_node for each of its nodes in turn.
use_node() {
  NODE=$1
  PORT=$2
  DIST_PORT=$((PORT + 20000))
  CTL_DIST_PORT_MIN=${3:-$((DIST_PORT + 10000))} # the CLI's own distribution ports, MIN..MIN+10
  [ "$CTL_DIST_PORT_MIN" -le 65525 ] || CTL_DIST_PORT_MIN=$((DIST_PORT - 10000))
  SHORT="${NODE%@*}"
  DATA="/var/lib/rabbit-rpc/$SHORT" # inside the root
  DIR="$ROOT$DATA"                  # the same, seen from outside
  TAG="RABBIT_RPC_NODE=$NODE"       # in the environment of every process of this node
}
use_node "$NODE" "$PORT"

TMP="$ROOT.tmp"
BUILD_LOG="$ROOT.debootstrap.log"
RABBIT_HOME=/var/lib/rabbitmq      # the root's rabbitmq user's home: its .erlang.cookie
BIN=/usr/lib/rabbitmq/bin

uri() { echo "amqp://guest:guest@localhost:$PORT"; }

# --- the root -------------------------------------------------------------------------------------

# A root is complete when debootstrap has finished with it (it removes <target>/debootstrap last)
# and the server package is installed.
root_complete() {
  local r=$1
  [ -d "$r" ] && [ ! -e "$r/debootstrap" ] && [ -x "$r$BIN/rabbitmq-server" ] \
    && grep -q '^rabbitmq:' "$r/etc/passwd" 2>/dev/null \
    && awk -v p="Package: $PACKAGE" '$0 == p { f = 1; next } f && /^Status:/ { print; exit }' \
      "$r/var/lib/dpkg/status" 2>/dev/null | grep -q 'install ok installed'
}

require_root() {
  root_complete "$ROOT" || { echo "no RabbitMQ 4 root in $ROOT: run $0 up (or $0 root)" >&2; exit 1; }
}

# The mirror debootstrap fetches from: RPC_RABBITMQ4_MIRROR, else the machine's own Debian mirror.
mirror() {
  local m="${RPC_RABBITMQ4_MIRROR:-}"
  if [ -z "$m" ] && [ -r /etc/apt/sources.list.d/debian.sources ]; then
    m=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources | tr -s ' \t' '\n' \
      | grep -v -e '-security' -e '^$' | head -n 1 || true)
  fi
  if [ -z "$m" ] && [ -r /etc/apt/sources.list ]; then
    m=$(awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /-security/ { print $2; exit }' /etc/apt/sources.list || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

# Unmount whatever is mounted under $1 (debootstrap mounts /proc and /sys in its target, and leaves
# them there if it fails), deepest first; fail if anything stays mounted, so that rm -rf never
# reaches into the host's /proc, /sys or /dev.
unmount_under() {
  local dir=$1 m
  for m in $(awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
  if awk -v d="$dir/" 'index($5, d) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    echo "still mounted under $dir:" >&2
    awk -v d="$dir/" 'index($5, d) == 1 { print "  " $5 }' /proc/self/mountinfo >&2
    return 1
  fi
}

# debootstrap processes building $TMP that this script did not start (e.g. a build by hand).
foreign_builds() {
  local pid
  for pid in $(pgrep -x debootstrap || true); do
    if grep -qxF "$TMP" < <(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline"); then
      echo "$pid"
    fi
  done
}

build_root() {
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "installing debootstrap" >&2
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq >&2
    timeout 600 apt-get install -y -qq debootstrap >&2
  fi
  local script=/usr/share/debootstrap/scripts/$SUITE m start=$SECONDS
  [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid # an older debootstrap: forky is a sid alike
  m=$(mirror)
  if [ -e "$TMP" ]; then
    echo "removing the unfinished build in $TMP" >&2
    unmount_under "$TMP"
    rm -rf "$TMP"
  fi
  echo "building the RabbitMQ 4 root: debootstrap $SUITE from $m into $TMP (log: $BUILD_LOG)" >&2
  if ! timeout "$BUILD_SECONDS" debootstrap --variant=minbase --include="$PACKAGE" \
    "$SUITE" "$TMP" "$m" "$script" >"$BUILD_LOG" 2>&1; then
    echo "debootstrap failed (or ran longer than $BUILD_SECONDS s); the end of $BUILD_LOG:" >&2
    tail -n 30 "$BUILD_LOG" >&2 || true
    unmount_under "$TMP" || true
    return 1
  fi
  root_complete "$TMP" || { echo "debootstrap finished but $TMP has no installed $PACKAGE" >&2; return 1; }
  echo "built in $((SECONDS - start)) s" >&2
}

# The root's rabbitmq user gets the host's rabbitmq uid and gid (debootstrap gives it the first free
# system ids of the root, e.g. 101, which on the host may be another user, such as postgres), so that
# the node's processes and files show as rabbitmq and share no uid with an unrelated service. Left as
# it is if the host has no rabbitmq user or its ids are taken in the root. Done once, on a new root
# (nothing mounted in it, nothing running from it), before it is moved into place.
align_ids() { # align_ids ROOT
  local r=$1 host_uid host_gid uid gid
  host_uid=$(id -u rabbitmq 2>/dev/null) && host_gid=$(id -g rabbitmq 2>/dev/null) || return 0
  IFS=: read -r uid gid <<<"$(rabbitmq_ids "$r")"
  [ "$uid:$gid" != "$host_uid:$host_gid" ] || return 0
  if awk -F: -v u="$host_uid" '$3 == u && $1 != "rabbitmq" { f = 1 } END { exit !f }' "$r/etc/passwd" \
    || awk -F: -v g="$host_gid" '$3 == g && $1 != "rabbitmq" { f = 1 } END { exit !f }' "$r/etc/group"; then
    return 0
  fi
  echo "giving the root's rabbitmq user the host's rabbitmq ids ($uid:$gid -> $host_uid:$host_gid)" >&2
  chroot "$r" groupmod -g "$host_gid" rabbitmq
  chroot "$r" usermod -u "$host_uid" -g "$host_gid" rabbitmq
  find "$r" -xdev -uid "$uid" -exec chown -h "$host_uid" {} +
  find "$r" -xdev -gid "$gid" -exec chgrp -h "$host_gid" {} +
}

# The root, cached: reuse it, else adopt a finished build in $TMP, else build one. One build at a
# time (a lock beside the root; a build started by hand is waited for, never duplicated).
ensure_root() {
  root_complete "$ROOT" && return 0
  mkdir -p "$(dirname "$ROOT")"
  exec 9>"$ROOT.lock"
  if ! flock -w "$BUILD_SECONDS" 9; then
    echo "another build of $ROOT still holds $ROOT.lock after $BUILD_SECONDS s" >&2
    return 1
  fi
  if ! root_complete "$ROOT"; then
    if [ -e "$ROOT" ]; then
      echo "$ROOT exists but is not a complete RabbitMQ 4 root: run $0 down, rm -rf it and retry" >&2
      return 1
    fi
    local end=$((SECONDS + BUILD_SECONDS)) waited=
    while [ -n "$(foreign_builds)" ]; do
      [ -n "$waited" ] || { echo "waiting for the debootstrap already building $TMP" >&2; waited=1; }
      if [ "$SECONDS" -ge "$end" ]; then
        echo "debootstrap $(foreign_builds | tr '\n' ' ')is still building $TMP after $BUILD_SECONDS s" >&2
        return 1
      fi
      sleep 2
    done
    root_complete "$TMP" || build_root
    unmount_under "$TMP"
    align_ids "$TMP"
    mv "$TMP" "$ROOT"
    echo "RabbitMQ 4 root ready in $ROOT" >&2
  fi
  exec 9>&- # the node started next must not inherit the lock
}

# --- the node's processes ---------------------------------------------------------------------------

rabbitmq_ids() { # rabbitmq_ids [ROOT]: uid:gid of the root's rabbitmq user (the host's may differ)
  awk -F: '$1 == "rabbitmq" { print $3 ":" $4; exit }' "${1:-$ROOT}/etc/passwd"
}

# The environment of every process of this node, server and CLI alike. Same HOME, so same cookie.
common_env() {
  ENV=(
    PATH=/usr/sbin:/usr/bin:/sbin:/bin
    HOME="$RABBIT_HOME"
    LANG=C.UTF-8
    LC_ALL=C.UTF-8
    "$TAG"
    RABBITMQ_NODENAME="$NODE"
    RABBITMQ_CONF_ENV_FILE="$DATA/rabbitmq-env.conf" # not /etc/rabbitmq/rabbitmq-env.conf
    RABBITMQ_CONFIG_FILE="$DATA/rabbitmq.conf"
    RABBITMQ_ADVANCED_CONFIG_FILE="$DATA/advanced.config"
    RABBITMQ_ENABLED_PLUGINS_FILE="$DATA/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$DATA/data"
    RABBITMQ_LOG_BASE="$DATA/log"
    RABBITMQ_PID_FILE="$DATA/$SHORT.pid"
    RABBITMQ_CTL_DIST_PORT_MIN="$CTL_DIST_PORT_MIN"
    RABBITMQ_CTL_DIST_PORT_MAX="$((CTL_DIST_PORT_MIN + 10))"
    ERL_EPMD_PORT="$EPMD_PORT"
    ERL_EPMD_ADDRESS=127.0.0.1
  )
}

# Every process whose root directory is $ROOT, this node's or not.
root_pids() {
  find /proc -mindepth 2 -maxdepth 2 -name root -lname "$(printf '%s' "$ROOT" | sed 's/[][*?\\]/\\&/g')" \
    -printf '%h\n' 2>/dev/null | sed 's,^/proc/,,' | grep -x '[0-9]*' || true
}

# pids_with PIDS FILE PATTERN [GREP OPTION...]: those PIDS whose /proc/PID/FILE has a line (a
# NUL-separated item with -z) that is PATTERN. One grep for them all (a fork per process is slow), and
# quiet about processes that have exited meanwhile.
pids_with() {
  local pids=$1 file=$2 pattern=$3
  shift 3
  [ -n "$pids" ] || return 0
  (cd /proc && grep -lx "$@" -e "$pattern" $(printf "%s/$file " $pids) 2>/dev/null) | cut -d/ -f1 || true
}

# This node's processes: inside the root and started by this script for this node (the tag).
node_pids() { pids_with "$(root_pids)" environ "$TAG" -zF; }

server_pids() { # this node's server VM (rabbitmqctl runs in a beam.smp too: it has no -s rabbit boot)
  pids_with "$(pids_with "$(node_pids)" comm beam.smp -F)" cmdline rabbit -zF
}

ctl_q() { # ctl_q SECONDS ARGS...: rabbitmqctl -q on this node, bounded, for this script's own use
  local s=$1; shift
  common_env
  timeout "$s" chroot --userspec="$(rabbitmq_ids)" "$ROOT" /usr/bin/env -i "${ENV[@]}" \
    "$BIN/rabbitmqctl" -q -n "$NODE" "$@"
}

# --- mounts ---------------------------------------------------------------------------------------

mount_all() {
  local m
  for m in proc sys dev; do
    mountpoint -q "$ROOT/$m" && continue
    if ! mount --bind "/$m" "$ROOT/$m"; then
      echo "cannot bind-mount /$m on $ROOT/$m (this needs root and CAP_SYS_ADMIN)" >&2
      return 1
    fi
  done
}

unmount_all() {
  local others m
  others=$(root_pids | tr '\n' ' ')
  if [ -n "$others" ]; then # another node from this root (RPC_RABBITMQ4_NAME) still needs them
    echo "left /proc, /sys, /dev mounted in $ROOT: processes still run there: $others" >&2
    return 0
  fi
  for m in dev sys proc; do
    local tries=0
    while mountpoint -q "$ROOT/$m"; do
      umount "$ROOT/$m" 2>/dev/null || umount -l "$ROOT/$m"
      tries=$((tries + 1))
      [ "$tries" -lt 5 ] || { echo "cannot unmount $ROOT/$m" >&2; return 1; }
    done
  done
}

# --- up, down, status -------------------------------------------------------------------------------

write_files() {
  mkdir -p "$DIR/data" "$DIR/log"
  echo "[]." >"$DIR/enabled_plugins" # no plugin: no management, a fast start
  {
    echo "listeners.tcp.1 = 127.0.0.1:$PORT"
    echo "deprecated_features.permit.transient_nonexcl_queues = false"
    echo "deprecated_features.permit.global_qos = false"
    if [ -n "$CONF_EXTRA" ]; then printf '%s\n' "$CONF_EXTRA"; fi
  } >"$DIR/rabbitmq.conf"
  : >"$DIR/rabbitmq-env.conf"
  chown -R "$(rabbitmq_ids)" "$DIR"
  # Erlang resolves the node's host, localhost, through the root's /etc/hosts (debootstrap writes none).
  printf '127.0.0.1\tlocalhost\n::1\tip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
}

SERVER_PID=
start_server() {
  common_env
  ENV+=(
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$PORT"
    RABBITMQ_DIST_PORT="$DIST_PORT"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    ERL_CRASH_DUMP="$DATA/log/erl_crash.dump" # its working directory, /, is not writable
  )
  # In the foreground of a session of its own (the rabbitmq-server script stays as the VM's parent,
  # stops it on SIGTERM, and prints boot errors to startup.log), detached from this script's streams.
  setsid chroot --userspec="$(rabbitmq_ids)" "$ROOT" /usr/bin/env -i "${ENV[@]}" "$BIN/rabbitmq-server" \
    </dev/null >>"$DIR/log/startup.log" 2>&1 &
  SERVER_PID=$!
}

alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

show_logs() {
  local f
  for f in "$DIR"/log/*.log; do
    [ -s "$f" ] || continue
    echo "--- $f" >&2
    tail -n 30 "$f" >&2
  done
  echo "(left as it is for a look: $0 down stops what remains and removes it)" >&2
}

# await_startup fails until the node has registered with its epmd: retry it, bounded.
await_node() {
  local end=$((SECONDS + STARTUP_SECONDS))
  until ctl_q 30 await_startup --timeout 20 >/dev/null 2>&1; do
    if ! alive "$SERVER_PID"; then
      echo "$NODE exited while starting; its logs:" >&2
      show_logs
      return 1
    fi
    if [ "$SECONDS" -ge "$end" ]; then
      echo "$NODE did not start within $STARTUP_SECONDS s; its logs:" >&2
      show_logs
      return 1
    fi
    sleep 1 # retry interval while the VM boots
  done
}

up() {
  ensure_root
  down keep-mounts # they are needed again at once
  write_files
  mount_all
  local start=$SECONDS
  start_server
  await_node
  echo "$NODE ($(version)) up in $((SECONDS - start)) s on 127.0.0.1:$PORT; logs in $DIR/log" >&2
  uri
}

down() { # down [keep-mounts]
  [ -d "$ROOT" ] || return 0
  local pids pid
  pids=$(node_pids)
  if [ -n "$pids" ]; then
    kill -CONT $pids 2>/dev/null || true # a paused VM cannot stop itself
    if [ -n "$(server_pids)" ]; then
      ctl_q 30 stop >/dev/null 2>&1 || true
    fi
    # Stragglers (its epmd, a VM that did not stop, a hung rabbitmqctl): TERM, then KILL.
    for pid in $(node_pids); do kill -TERM "$pid" 2>/dev/null || true; done
    local end=$((SECONDS + 10))
    while [ -n "$(node_pids)" ] && [ "$SECONDS" -lt "$end" ]; do sleep 0.2; done
    for pid in $(node_pids); do kill -KILL "$pid" 2>/dev/null || true; done
    end=$((SECONDS + 30))
    while [ -n "$(node_pids)" ]; do
      if [ "$SECONDS" -ge "$end" ]; then
        echo "$NODE: processes still running: $(node_pids | tr '\n' ' ')" >&2
        return 1
      fi
      sleep 0.2
    done
  fi
  rm -rf "$DIR"
  [ "${1:-}" = keep-mounts ] || unmount_all
}

paused() { grep -q '^T' <(ps -o stat= -p "$1" 2>/dev/null); } # paused PID: stopped by SIGSTOP

app_running() { [ "$(ctl_q 10 eval 'rabbit:is_running().' 2>/dev/null || true)" = true ]; }

status() {
  local pids state rc=3
  pids=$(server_pids | xargs)
  if [ -z "$pids" ]; then
    state="not running"
  elif paused "${pids%% *}"; then
    state="paused (pid $pids)"
  elif app_running; then
    state="running (pid $pids)"
    rc=0
  else
    state="VM up, app stopped (pid $pids)"
  fi
  echo "$NODE amqp 127.0.0.1:$PORT: $state"
  return "$rc"
}

version() {
  require_root
  local v=
  if [ -n "$(server_pids)" ]; then
    v=$(ctl_q 30 eval 'rabbit_misc:version().' 2>/dev/null | tr -d '"' || true)
  fi
  if [ -z "$v" ]; then # not running: the version of the server package in the root
    v=$(cd "$ROOT/usr/lib/rabbitmq/lib" && ls -d rabbitmq_server-* | sed 's/^rabbitmq_server-//' | sort -V | tail -n 1)
  fi
  echo "$v"
}

ctl() { # ctl ARGS...: rabbitmqctl ARGS on this node, in place of this script (its output, its exit code)
  require_root
  common_env
  exec timeout "$CTL_SECONDS" chroot --userspec="$(rabbitmq_ids)" "$ROOT" /usr/bin/env -i "${ENV[@]}" \
    "$BIN/rabbitmqctl" -n "$NODE" "$@"
}

# Sourced (by .ci/rabbitmq-4-cluster.sh): the functions above only.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

case "${1:-}" in
  up) up ;;
  down) down ;;
  ctl) shift; ctl "$@" ;;
  uri) uri ;;
  status) status ;;
  version) version ;;
  root) ensure_root; echo "$ROOT" ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
