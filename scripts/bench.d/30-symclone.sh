# EMC Symmetrix clones: resync (recreate), start (activate + wait) and status at 1, 64 and
# 1024 pairs in the pairs file form (one -f call whatever the number of pairs).
SYM_CHANGING='^(create|recreate|activate|terminate|restore|split|establish) '
bench_symclone() {
    local n pairs devs symid=000197800123 conf
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
        # Each run leaves the clones recreated, not activated: activate them again first.
        export BENCH_RESET="\"$ARRAYSIM\" clock advance 1h"
        measure "symclone resync (recreate)" "$n" 1 "$SYM_CHANGING" "$SYNCRESYNC" -s bench --force
        measure "symclone start (activate + wait)" "$n" 1 "$SYM_CHANGING" "$ARRAYSYNC" -s bench start
        measure "symclone status" "$n" 1 "" "$ARRAYSYNC" -s bench print status
    done
}
