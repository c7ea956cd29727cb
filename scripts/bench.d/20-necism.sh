# NEC iStorage snapshots: resync and status at 8 and 64 pairs with the default settings
# (max_parallel 4, host-wide bound 4), then 64 pairs at bounds 1 and 8, and 1024 pairs for
# the tool's own time. iSM takes one pair per command: the floor is the three changing
# phases at 4 at a time. "first run" forgets the base volumes the runs before learned.
# 1024 pairs run at 0 ms only: the emulator's answer (it rewrites its whole array file on
# every call) then takes minutes, and only the tool's own time is of interest there.
NEC_CHANGING='^iSMsc_(unlink|create|link) '
bench_necism() {
    local n
    for n in 8 64; do
        new_root
        "$ARRAYSIM" setup necism --root "$ARRAYSYNC_ROOT" --pairs "$n" >/dev/null
        export BENCH_RESET="rm -f $ARRAYSYNC_ROOT/var/lib/arraysync/state/iiststnec02/sync_1.json"
        measure "necismsnap resync, first run (base volumes unknown)" "$n" 4 "$NEC_CHANGING" "$SYNCRESYNC" -s iiststnec02 --force
        unset BENCH_RESET
        measure "necismsnap resync" "$n" 4 "$NEC_CHANGING" "$SYNCRESYNC" -s iiststnec02 --force
        measure "necismsnap status" "$n" 4 "" "$ARRAYSYNC" -s iiststnec02 print status
    done
    for bound in 1 8; do
        printf '[concurrency]\ndefault = %s\n' "$bound" >"$ARRAYSYNC_ROOT/etc/arraysync/arraysync.toml"
        sed -i '/^max_parallel/d; s/^\[sync#1\]$/[sync#1]\nmax_parallel = 8/' "$ARRAYSYNC_ROOT/etc/arraysync/iiststnec02.conf"
        measure "necismsnap resync, host bound $bound" 64 "$bound" "$NEC_CHANGING" "$SYNCRESYNC" -s iiststnec02 --force
    done
    new_root
    "$ARRAYSIM" setup necism --root "$ARRAYSYNC_ROOT" --pairs 1024 >/dev/null
    "$SYNCRESYNC" -s iiststnec02 --force >/dev/null 2>&1
    "$ARRAYSIM" latency 0 >/dev/null
    "$ARRAYSIM" calls --clear >/dev/null
    CONCURRENCY=4 CHANGING=$NEC_CHANGING
    for action in resync status; do
        if [ "$action" = resync ]; then set -- "$SYNCRESYNC" -s iiststnec02 --force; else set -- "$ARRAYSYNC" -s iiststnec02 print status; fi
        run_once 0 "$@"
        printf '| necismsnap %s (0 ms only) | 1024 | %s | %.2f | %s | - | %.1f / - | %.1f | - | - |\n' "$action" "$RUN_CALLS" "$(awk -v c="$RUN_CALLS" 'BEGIN { printf "%.2f", c / 1024 }')" "$RUN_WALL" "${RUN_OWN:-0}" "${RUN_CPU:-0}"
    done
}
