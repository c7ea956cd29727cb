# NEC iStorage snapshots: resync and status at 1, 16 and 64 pairs, 0 and 500 ms per iSM
# command, max_parallel = 4 (the default). iSM takes one pair per command, so the commands
# of a phase run concurrently: compare wall ms with sequential ms (calls x latency).
bench_necism() {
    local n latency prog
    for n in 1 16 64; do
        new_root
        "$ARRAYSIM" setup necism --root "$ARRAYSYNC_ROOT" --pairs "$n" >/dev/null
        for latency in 0 500; do
            for prog in iSMsc_create iSMsc_link iSMsc_unlink iSMsc_query iSMsc_linkinfo iSMvollist; do
                "$ARRAYSIM" latency --prog "$prog" "$latency" >/dev/null
            done
            measure "necismsnap resync, $n pairs" "$latency" "$SYNCRESYNC" -s iiststnec02 --force
            measure "necismsnap status, $n pairs" "$latency" "$ARRAYSYNC" -s iiststnec02 print status
        done
    done
}
