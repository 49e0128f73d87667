# scripts/lib.sh: what the scripts that run nginx (or wait for a server)
# share. Sourced by bash scripts, after `set -euo pipefail`:
#
#   . "$(dirname "$0")/lib.sh"
#   lib_init NAME NGINX MODULE
#
# Nothing here waits for a time that stands for "long enough": a wait is
# for a condition (a port that answers, a log line, a metric, renders held
# at the gate), bounded by $patience seconds (PATIENCE, default 20), and a
# wait that runs out says which premise did not hold; a command that fails
# unexpectedly (set -e) is named with its line. Whatever happens, the
# script's exit stops every nginx and process it registered; its folder
# is removed, or kept (and named) when the script failed.
#
# Globals: $name (the script's, for messages), $nginx, $module, $here (the
# repository), $dir (the script's folder; an nginx NAME lives in
# $dir/NAME), $patience, $failed (1 once a check failed), $checks (checks
# so far), $exit_status (in at_exit's commands: the script's).

patience=${PATIENCE:-20}
failed=0
checks=0
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
lib_nginx=()
lib_pids=()
lib_hooks=()


# --- set-up, reporting, exit

# lib_init NAME [NGINX MODULE]: the folder $dir (readable by nginx's workers,
# which run as nobody when started as root), the exit and signal traps.
lib_init() {
    name=$1
    nginx=${2:-}
    module=${3:+$(realpath "$3")}
    dir=$(mktemp -d)
    chmod 755 "$dir"
    set -E    # the ERR trap in functions too
    trap 'lib_error $? "$BASH_COMMAND" "$LINENO"' ERR
    trap lib_exit EXIT
    trap 'exit 130' INT TERM HUP
}

# lib_error STATUS COMMAND LINE: says which command stopped the script (in
# the script's own shell: a subshell's failure is its caller's too).
lib_error() {
    [ "$BASHPID" = "$$" ] || return 0
    echo "$name: FAILED: line $3: $2: exit status $1" >&2
}

# at_exit COMMAND: eval COMMAND at exit (latest first), before the servers
# stop and $dir goes: e.g. to show a log when the script failed.
at_exit() {
    lib_hooks=("$1" "${lib_hooks[@]}")
}

# background PID: a process of the script's own (a client, a listener, a
# server), stopped at exit if it still runs.
background() {
    lib_pids+=("$1")
}

# spawn VAR COMMAND...: runs COMMAND (a program: its pid is then the
# program's) in the background, its pid in VAR, stopped at exit.
spawn() {
    local var=$1
    shift
    "$@" &
    background $!
    printf -v "$var" %s "$!"
}

lib_exit() {
    exit_status=$?    # first: any command, even local, would change $?
    local hook pid n
    set +e
    for hook in "${lib_hooks[@]}"; do
        eval "$hook"
    done
    for pid in "${lib_pids[@]}"; do
        stop_pid "$pid"
    done
    for n in "${lib_nginx[@]}"; do
        nginx_stop "$n"
    done
    if [ "$exit_status" = 0 ]; then
        rm -rf "$dir"
    else
        echo "$name: its files (logs, configurations) are kept in $dir" >&2
    fi
    exit "$exit_status"
}

# step MESSAGE...: "NAME: MESSAGE" on stderr.
step() {
    echo "$name: $*" >&2
}

# die MESSAGE...: "NAME: FAILED: MESSAGE" on stderr, exit 1.
die() {
    failed=1
    echo "$name: FAILED: $*" >&2
    exit 1
}

# ok DESCRIPTION, fail DESCRIPTION: a check passed, or failed (the script
# goes on; $failed is 1 from then on).
ok() {
    checks=$((checks + 1))
    printf '  ok    %s\n' "$1"
}

fail() {
    checks=$((checks + 1))
    failed=1
    printf '  FAIL  %s\n' "$1"
}

# check CONDITION DESCRIPTION: ok or fail as CONDITION (eval'ed) is true.
check() {
    if eval "$1"; then ok "$2"; else fail "$2"; fi
}

# result: "NAME: N checks, all passed" (or FAILED); the exit status to give.
result() {
    echo "$name: $checks checks, $([ "$failed" = 0 ] && echo all passed || echo FAILED)"
    return "$failed"
}


# --- waiting for a condition

# wait_for SECONDS COMMAND...: runs COMMAND until it succeeds: 0; 1 if it
# has not after SECONDS.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ "$SECONDS" -le "$deadline" ] || return 1
        sleep 0.05    # the poll's period, not a wait for anything
    done
}

# premise WHY COMMAND...: waits ($patience) until COMMAND succeeds, or dies
# saying WHY ("the render was not in flight"): the script cannot go on.
premise() {
    local why=$1
    shift
    wait_for "$patience" "$@" ||
        die "$why (after $patience s: $*)"
}

# log_count REGEX FILE...: how many lines of the FILEs match REGEX (grep's).
log_count() {
    local re=$1
    shift
    cat "$@" 2>/dev/null | grep -c -e "$re" || true
}

# log_has N REGEX FILE...: the FILEs have N lines or more that match REGEX.
log_has() {
    local n=$1
    shift
    [ "$(log_count "$@")" -ge "$n" ]
}

# metric URL SERIES: the value of the sample SERIES, written as the
# exposition at URL writes it ('smallpt_tasks_queued{location="x"}').
metric() {
    curl -s --max-time 10 "$1" | awk -v s="$2" '$1 == s { print $2 }'
}

# metric_is URL SERIES VALUE: the sample SERIES is VALUE now.
metric_is() {
    [ "$(metric "$1" "$2")" = "$3" ]
}

# gone PID: no process PID runs (a zombie has stopped running too).
gone() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
    [[ $state == Z* ]]
}

# stop_pid PID: TERM, then KILL if it still runs after $patience seconds;
# reaped if it is the script's child.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || true
    wait_for "$patience" gone "$1" || kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}


# --- nginx: NAME is its folder in $dir, its master's pid in logs/nginx.pid

# nginx_conf NAME [gate]: writes $dir/NAME/nginx.conf: the module loaded,
# the pid file, then stdin. With "gate", renders can be held at the gate
# (t/lib/gate.c; see gate_close): nginx_start preloads it.
nginx_conf() {
    mkdir -p "$dir/$1/logs"
    {
        echo "load_module $module;"
        echo "pid logs/nginx.pid;"
        if [ "${2:-}" = gate ]; then
            # the workers (nobody, when started as root) write held there
            mkdir -p -m 777 "$dir/$1/gate"
            echo "env SMALLPT_GATE=$dir/$1/gate;"
        fi
        cat
    } > "$dir/$1/nginx.conf"
}

# listens PORT: something accepts connections on 127.0.0.1:PORT.
listens() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# answers PORT: an HTTP server answers on 127.0.0.1:PORT. It asks TRACE,
# which nginx refuses (405) before any location: no render, no metric.
answers() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X TRACE \
             "http://127.0.0.1:$1/" || true)" != 000 ]
}

# nginx_start NAME PORT: starts nginx with $dir/NAME/nginx.conf (as a
# daemon: a master and its workers, a process group of their own), stopped
# at exit; returns once it answers on PORT.
nginx_start() {
    local gate_so=${GATE_SO:-$here/build/gate.so}
    [[ " ${lib_nginx[*]} " == *" $1 "* ]] || lib_nginx+=("$1")
    if [ -d "$dir/$1/gate" ]; then
        [ -f "$gate_so" ] || die "no $gate_so (make build/gate.so)"
        LD_PRELOAD=$(realpath "$gate_so") \
            "$nginx" -p "$dir/$1/" -c "$dir/$1/nginx.conf"
    else
        "$nginx" -p "$dir/$1/" -c "$dir/$1/nginx.conf"
    fi || die "nginx $1 did not start"
    premise "nginx $1 does not answer on port $2" answers "$2"
}

# nginx_pid NAME: the pid of its master.
nginx_pid() {
    cat "$dir/$1/logs/nginx.pid"
}

# group_gone PGID: no process of the group runs.
group_gone() {
    ps -e -o pgid=,stat= |
        awk -v g="$1" '$1 == g && $2 !~ /^Z/ { alive = 1 } END { exit alive }'
}

# nginx_stop NAME: TERM to its master; once $patience seconds have passed,
# KILL to the master and every worker (its process group, old workers of a
# reload too). Returns when none of them runs: nothing left listening.
nginx_stop() {
    local pid
    pid=$(cat "$dir/$1/logs/nginx.pid" 2>/dev/null) || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for "$patience" group_gone "$pid"; then
        echo "$name: nginx $1 did not stop in $patience s: KILL" >&2
        kill -KILL -- "-$pid" 2>/dev/null || true
        wait_for "$patience" group_gone "$pid" ||
            echo "$name: nginx $1 (process group $pid) still runs" >&2
    fi
    rm -f "$dir/$1/logs/nginx.pid"
}

# workers NAME: the pids of its worker processes, old ones of a reload too.
workers() {
    pgrep -P "$(nginx_pid "$1")" || true
}


# --- the gate (t/lib/gate.c): with `nginx_conf NAME gate`, while the gate
# is closed every render that begins is held at its start (or its end),
# neither finished nor answered, however fast the CPU: in flight, as a fact

# gate_close NAME: renders that begin from now on are held.
gate_close() {
    rm -f "$dir/$1/gate/held"
    : > "$dir/$1/gate/closed"
}

# gate_open NAME: the held renders go on.
gate_open() {
    rm -f "$dir/$1/gate/closed"
}

# gate_held NAME N: N renders (pool threads) or more are held at the gate.
gate_held() {
    [ "$(cat "$dir/$1/gate/held" 2>/dev/null | wc -l)" -ge "$2" ]
}


# --- images, figures

# median: the median of the numbers on stdin (any white space between
# them), as awk prints it.
median() {
    tr -s ' \t' '\n' | awk NF | sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# png_start FILE, png_end FILE: FILE begins with the PNG signature, or
# ends with the image end (IEND chunk)
png_start() {
    [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]
}

png_end() {
    [ "$(tail -c 12 "$1" | od -An -tx1 | tr -d ' \n')" = 0000000049454e44ae426082 ]
}

# cpu_model: the CPU's model name, as /proc/cpuinfo gives it.
cpu_model() {
    awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo
}
