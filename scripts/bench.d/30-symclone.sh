# EMC Symmetrix clones: resync (recreate), start (activate + wait) and status at 1, 64 and
# 1024 pairs in the pairs file form (one -f call whatever the number of pairs), 0 and 500 ms
# per SYMCLI call; then the polls of a 10 s restore wait (backoff 2 s, doubling, 30 s cap).
bench_symclone() {
    local n latency pairs devs symid=000197800123 conf
    for n in 1 64 1024; do
        new_root
        pairs=$(seq 0 $((n - 1)) | awk '{ printf "%04X:%04X ", 4096 + $1, 8192 + $1 }')
        devs=$(echo "$pairs" | tr ' :' ',,' | sed 's/,$//')
        "$ARRAYSIM" setup symclone --root "$ARRAYSYNC_ROOT" --devices "$devs" --no-service >/dev/null
        echo "$pairs" | tr ' ' '\n' | tr ':' ' ' | grep . >"$ROOT/pairs"
        SYMCLI_NOPROMPT=1 "$ARRAYSYNC_ROOT/usr/symcli/bin/symclone" -sid "$symid" -f "$ROOT/pairs" create -diff -precopy 2>/dev/null
        SYMCLI_NOPROMPT=1 "$ARRAYSYNC_ROOT/usr/symcli/bin/symclone" -sid "$symid" -f "$ROOT/pairs" activate 2>/dev/null
        "$ARRAYSIM" clock advance 1h >/dev/null
        conf="$ARRAYSYNC_ROOT/etc/arraysync/bench.conf"
        mkdir -p "$(dirname "$conf")"
        printf '[sync#1]\ntype = symclone\nsymid = %s\npairs = %s\nsync_min_delay = 0\n' "$symid" "$pairs" >"$conf"
        for latency in 0 500; do
            "$ARRAYSIM" latency --prog symclone "$latency" >/dev/null
            "$ARRAYSIM" latency --prog symdev "$latency" >/dev/null
            measure "symclone resync (recreate), $n pairs" "$latency" "$SYNCRESYNC" -s bench --force
            measure "symclone start (activate + wait), $n pairs" "$latency" "$ARRAYSYNC" -s bench start
            measure "symclone status, $n pairs" "$latency" "$ARRAYSYNC" -s bench print status
            "$ARRAYSIM" clock advance 1h >/dev/null
        done
    done
    # A restore of 10240 tracks at 1024 tracks/s: the polls of the wait.
    "$ARRAYSIM" latency --prog symclone 0 >/dev/null
    "$ARRAYSIM" latency --prog symdev 0 >/dev/null
    "$ARRAYSIM" symclone write "$symid" 2000 10240 >/dev/null
    sed -i 's/^pairs = .*/pairs = 1000:2000/' "$conf"
    measure "symclone sync restore, 10 s restore: query, restore, polls, terminate (own ms = poll sleeps)" 0 "$ARRAYSYNC" -s bench sync restore
}
