#!/bin/sh
# Tests of the smallpt program: exact output (the 1024x768 spp 4 image at 1,
# 2 and 7 threads), formats and files, usage and argument errors; with a
# second argument (failalloc.so, see t/lib/failalloc.c), a render whose
# threads run out of memory.
#
#   cli/tests/cli.sh build/smallpt [build/failalloc.so]

set -u

smallpt=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# smallpt.cpp's own images and their SHA-256: the tracer's reference data
data=$(cd "$(dirname "$0")/../../tracer/tests/data" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
total=0

fail() {
    echo "cli.sh: FAIL: $*" >&2
    failed=$((failed + 1))
}

# expect STATUS PATTERN COMMAND...: the exit status, and stderr matching
expect() {
    status=$1 pattern=$2
    shift 2
    total=$((total + 1))
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" != "$status" ]; then
        fail "$* exited $got, expected $status: $(cat "$tmp/err")"
    elif ! grep -q -- "$pattern" "$tmp/err" "$tmp/out"; then
        fail "$* did not print '$pattern': $(cat "$tmp/err")"
    fi
}

sha() {
    sha256sum | cut -d' ' -f1
}

same() {
    total=$((total + 1))
    [ "$1" = "$2" ] || fail "$3: got $1, expected $2"
}

ref_sha=$(awk '$2 == "1024x768_spp4.ppm" { print $1 }' "$data/SHA256SUMS")

# every instruction set: a file tracer/trace_NAME.c each (tracer/isa.c)
isas=$(cd "$(dirname "$0")/../../tracer" && ls trace_*.c |
       sed 's/^trace_\(.*\)\.c$/\1/')

# like smallpt.cpp: "smallpt 4" writes image.ppm, 1024x768, in the cwd
(cd "$tmp" && "$smallpt" 4 2>"$tmp/err") || fail "smallpt 4: $(cat "$tmp/err")"
same "$(sha < "$tmp/image.ppm")" "$ref_sha" "image.ppm, all CPUs"
total=$((total + 1))
[ -s "$tmp/err" ] && fail "progress printed to a stderr that is no terminal"

for threads in 1 7; do
    same "$("$smallpt" -t "$threads" -o - 4 | sha)" "$ref_sha" \
        "1024x768 spp 4 at $threads threads"
done

# every instruction set this CPU runs gives that image
for isa in $isas; do
    if "$smallpt" --isa=$isa -W 1 -H 1 -o - 4 >/dev/null 2>&1; then
        same "$("$smallpt" --isa=$isa -o - 4 | sha)" "$ref_sha" \
            "1024x768 spp 4 with $isa"
    else
        echo "cli.sh: $isa not available here, not tested"
    fi
done

# each thread traces rows at once, a lane each (16, up to 64 for 768 rows
# and more), and a lane whose path ends takes the next sample, pixel or
# row: rows fewer than the lanes, a pixel wide, more than the lanes (16 and
# 64), samples per subpixel from 1 to 10, at 1 to 3 threads and with each
# instruction set, against the SHA-256 of smallpt.cpp's own images (its
# size set from the environment, nothing else changed)
for isa in $isas; do
    "$smallpt" --isa=$isa -W 1 -H 1 -o - 4 >/dev/null 2>&1 || continue
    for case in 1x1:4:1 7x3:5:2 333x17:12:3 31x29:40:2 1x130:8:1 \
                1x130:8:3 129x5:4:2 2x64:8:1 3x800:4:1 3x800:4:2; do
        size=${case%%:*} spp=${case#*:}
        threads=${spp#*:} spp=${spp%:*}
        want=$(awk -v f="${size}_spp$((spp / 4 * 4)).ppm" \
                   '$2 == f { print $1 }' "$data/SHA256SUMS")
        same "$("$smallpt" --isa=$isa -t "$threads" -W "${size%x*}" \
                -H "${size#*x}" -o - "$spp" | sha)" "$want" \
            "$size spp $spp at $threads threads with $isa"
    done
done

same "$("$smallpt" -W 64 -H 48 -o - 4 | sha)" \
    "$(sha < "$data/64x48_spp4.ppm")" "64x48 spp 4"
same "$("$smallpt" --width=160 --height 120 -t 2 -o - 11 | sha)" \
    "$(sha < "$data/160x120_spp8.ppm")" "160x120 spp 11 (renders 8)"

# a band of rows is those rows of the whole image, in every format
"$smallpt" -W 64 -H 48 -o "$tmp/whole.rgb" 4 || fail "writing whole.rgb"
"$smallpt" -W 64 -H 48 --rows=10-12 -o "$tmp/band.rgb" 4 || fail "band.rgb"
same "$(sha < "$tmp/band.rgb")" \
    "$(tail -c +$((10 * 64 * 3 + 1)) "$tmp/whole.rgb" | head -c $((3 * 64 * 3)) | sha)" \
    "rows 10-12 of 64x48 as raw RGB"
same "$(wc -c < "$tmp/whole.rgb")" "$((64 * 48 * 3))" "64x48 raw RGB size"
same "$("$smallpt" -W 64 -H 48 -r 0-47 -o - 4 | sha)" \
    "$(sha < "$data/64x48_spp4.ppm")" "rows 0-47 of 64x48 is the image"
same "$("$smallpt" -W 64 -H 48 -r 47-47 -o - 4 | head -c 12)" "$(printf 'P3\n64 1\n255\n')" \
    "a one-row band is a 64x1 PPM"

# PNG and PPM files by extension
"$smallpt" -W 64 -H 48 -o "$tmp/a.png" 4 || fail "writing a.png"
total=$((total + 1))
head -c 8 "$tmp/a.png" | od -An -c | grep -q 'P   N   G' || fail "a.png is no PNG"
"$smallpt" -W 64 -H 48 -o "$tmp/a.ppm" 4 || fail "writing a.ppm"
same "$(sha < "$tmp/a.ppm")" "$(sha < "$data/64x48_spp4.ppm")" "a.ppm"

# usage and version
expect 0 "Usage: smallpt" "$smallpt" -h
expect 0 "Usage: smallpt" "$smallpt" --help
expect 0 "smallpt 1\." "$smallpt" --version
expect 0 "^[1-9][0-9]*$" "$smallpt" --cpus

# bad arguments: a message and exit status 2
expect 2 "spp must be from 4" "$smallpt" -o - 3
expect 2 "spp must be from 4" "$smallpt" -o - 0
expect 2 "spp must be from 4" "$smallpt" -o - -- -8
expect 2 "unknown option -8" "$smallpt" -8
expect 2 "spp \"abc\" is not a whole number" "$smallpt" abc
expect 2 "spp \"4.5\" is not a whole number" "$smallpt" 4.5
expect 2 "spp \"\" is not a whole number" "$smallpt" ""
expect 2 "spp must be from 4 to 2147483647" "$smallpt" 99999999999999999999
expect 2 "width must be from 1 to 65535" "$smallpt" -W 0 4
expect 2 "width must be from 1 to 65535" "$smallpt" -W 65536 4
expect 2 "height \"x\" is not a whole number" "$smallpt" -H x 4
expect 2 "threads must be from 1 to 1024" "$smallpt" -t 0 4
expect 2 "unknown option -w (the width is -W, the height -H)" "$smallpt" -w 64 4
expect 2 "unknown option --size" "$smallpt" --size 4
expect 2 "option -o needs a value" "$smallpt" -o
expect 2 "one SPP argument expected, got 2" "$smallpt" 4 8
expect 2 "must end in .png, .ppm or .rgb" "$smallpt" -W 4 -H 4 -o "$tmp/x.jpg" 4
expect 2 "rows \"5\" is not FIRST-LAST" "$smallpt" --rows=5 4
expect 2 "last row must be from 9 to 65534, not 8" "$smallpt" -r 9-8 4
expect 2 "first row \"a\" is not a whole number" "$smallpt" -r a-8 4
expect 2 "rows 0-48 are not within the image: the last row is 47" \
    "$smallpt" -W 64 -H 48 -r 0-48 4
expect 2 "instruction set \"sse9\" is not available here" "$smallpt" --isa=sse9 4

# failures at run time: a message and exit status 1
expect 1 "cannot open $tmp/no/such/dir.ppm" \
    "$smallpt" -W 4 -H 4 -o "$tmp/no/such/dir.ppm" 4
if [ -w /dev/full ]; then
    total=$((total + 1))
    "$smallpt" -W 4 -H 4 -o - 4 >/dev/full 2>"$tmp/err"
    status=$?
    [ "$status" = 1 ] && grep -q "cannot write -" "$tmp/err" || \
        fail "writing to /dev/full: status $status, $(cat "$tmp/err")"
fi

# out of memory in two of three threads: all stop at once (the third alone
# would render for days at this spp), exit status 1 and why
if [ -n "${2:-}" ]; then
    total=$((total + 1))
    SMALLPT_FAIL_ALLOC_ABOVE=0 LD_PRELOAD=$(cd "$(dirname "$2")" && pwd)/$(basename "$2") \
        timeout 120 "$smallpt" -t 3 -q -o "$tmp/oom.ppm" 1000000 2>"$tmp/err"
    status=$?
    [ "$status" = 1 ] && grep -q "render failed: out of memory" "$tmp/err" || \
        fail "threads out of memory: status $status, $(cat "$tmp/err")"
fi

echo "cli.sh: $total checks, $failed failed"
[ "$failed" = 0 ]
