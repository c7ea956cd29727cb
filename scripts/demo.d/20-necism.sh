# NEC iStorage snapshots (seed 001), against the iSM emulator.
demo_necism() {
    local conf="$ARRAYSYNC_ROOT/etc/arraysync/iiststnec02.conf"
    local bin="$ARRAYSYNC_ROOT/usr/bin"

    step "NEC iStorage snapshots: an emulated array with seed 001's volumes, initial snapshots and links, the iSM commands in \$ARRAYSYNC_ROOT/usr/bin, and the seed 001 service"
    run arraysim setup necism --root "$ARRAYSYNC_ROOT"
    run grep -v -e '^#' -e '^$' "$conf"

    step "The iSM commands answer as on a host with the iSMccs package (the driver parses these)"
    run "$bin/iSMsc_query" -sv SOURCE_0001_SV006D -svflg ld
    run "$bin/iSMsc_linkinfo" -vol SOURCE_0001_SV006D -volflg ld -lcl

    step "Status: the oldest SV snapshot time against sync_max_delay, every LV linked to its SV"
    run arraysync -s iiststnec02 print status

    step "syncresync: unlink every LV, re-create every snapshot from its base volume, relink every LV"
    run arraysim latency --prog iSMsc_create 300 # a real create takes seconds
    run arraysim calls --clear
    run syncresync -s iiststnec02
    run arraysim calls

    step "The service log reads as seed 001's (the queries and each command's start are at DEBUG)"
    run grep -v ' - DEBUG - ' "$ARRAYSYNC_ROOT/var/lib/arraysync/log/iiststnec02.log"

    step "A snapshot stuck in a transitional state: the resync waits state_wait_timeout, then fails; no LV was unlinked"
    run arraysim necism state SOURCE_0001_SV006D snap/deleting
    run sed -i 's/^;state_wait_timeout = 20$/state_wait_timeout = 5s/' "$conf"
    run_fails syncresync -s iiststnec02 --force
    run arraysync -s iiststnec02 print status

    step "The snapshot settles a few seconds later: the same resync waits for it and goes through"
    run arraysim necism state SOURCE_0001_SV006D snap/deleting --for 3s
    run syncresync -s iiststnec02 --force

    step "Killed in the middle: a link hangs and the job is SIGKILLed; the rerun finishes and says what it skipped"
    run arraysim fault add --prog iSMsc_link --pair SOURCE_0001_LV00A6 --hang --times 1
    printf '\033[36m$ %s\033[0m\n' "syncresync -s iiststnec02 --force &   # then kill -9 once iSMsc_link hangs"
    syncresync -s iiststnec02 --force 2>/dev/null &
    local job=$! tries=0
    until [[ "$(arraysim calls --json --prog iSMsc_link)" == *'"exit":null'* ]]; do
        tries=$((tries + 1)); [ "$tries" -lt 200 ] || { echo "demo: iSMsc_link never hung" >&2; exit 1; }
        sleep 0.1
    done
    kill -9 "$job"; wait "$job" 2>/dev/null || true
    necism_end_hung iSMsc_link
    run syncresync -s iiststnec02 --force
    run arraysync -s iiststnec02 print status

    step "A busy array (iSM31005) is retried with backoff"
    run arraysim fault add --prog iSMsc_unlink --kind busy --times 1
    run syncresync -s iiststnec02 --force

    step "Bad input is refused before any iSM command runs (exit 2): an empty item in devs"
    cp "$conf" "$conf.orig"
    run sed -i 's/^devs = \(.*\) /devs = \1 ,, /' "$conf"
    run_fails syncresync -s iiststnec02 --force
    mv "$conf.orig" "$conf"

    step "Prerequisites: with the host agent down, a clear message (exit 1)"
    run arraysim necism host --registered no
    run_fails syncresync -s iiststnec02 --force
    run arraysim necism host --registered yes
    run arraysync -s iiststnec02 check
}

# The killed job's hung emulator runs in its own process group: end it by pid (only this
# sandbox's, found by its path under $ARRAYSYNC_ROOT).
necism_end_hung() {
    local proc argv0
    for proc in /proc/[0-9]*; do
        argv0=$(tr '\0' '\n' <"$proc/cmdline" 2>/dev/null | head -n 1) || continue
        if [ "$argv0" = "$ARRAYSYNC_ROOT/usr/bin/$1" ]; then
            kill -9 "${proc#/proc/}" 2>/dev/null || true
        fi
    done
}
