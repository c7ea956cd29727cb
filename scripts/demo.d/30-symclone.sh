# EMC Symmetrix clones (seed 002), against the SYMCLI emulator.
demo_symclone() {
    local bin="$ARRAYSYNC_ROOT/usr/symcli/bin"
    local conf="$ARRAYSYNC_ROOT/etc/arraysync/aastmphpux.conf"
    local symid=000197800123

    step "EMC Symmetrix clones: an emulated array, SYMCLI in /usr/symcli/bin, and the seed 002 service"
    run arraysim setup symclone --root "$ARRAYSYNC_ROOT"
    run grep -Ev '^(#|$)' "$conf"

    step "Seed 002's configuration section, step by step (SYMCLI_NOPROMPT=1 answers SYMCLI's confirmations)"
    export SYMCLI_NOPROMPT=1
    run "$bin/symdg" create -type REGULAR DGCVI
    run "$bin/symld" -g DGCVI add dev 1234 DEV001
    run "$bin/symld" -g DGCVI add dev 4321 CLONE001
    run "$bin/symclone" -g DGCVI create -diff -precopy DEV001 sym ld CLONE001
    run "$bin/symclone" -g DGCVI query

    step "Status, from symld -g DGCVI list -v: created with precopy, not activated yet"
    run arraysync -s aastmphpux print status

    step "Start the service: activate the clone, then wait for the copied state (seed 002)"
    run arraysync -s aastmphpux start
    run "$bin/symclone" -g DGCVI query

    step "The background copy completes (the emulated clock moves 1 minute)"
    run arraysim clock advance 1m
    run arraysync -s aastmphpux print status

    step "Production writes 4096 tracks on DEV001; the service stops; resync (recreate -precopy) as seed 002 shows"
    run arraysim symclone write "$symid" 1234 4096
    run arraysync -s aastmphpux stop
    run arraysim calls --clear
    run arraysync -s aastmphpux sync resync

    step "Start again: one activate for the whole set, one poll"
    run arraysync -s aastmphpux start
    run arraysim calls

    step "The service log, in the seed 002 format"
    run tail -n 24 "$ARRAYSYNC_ROOT/var/lib/arraysync/log/aastmphpux.log"

    step "Restore: the clone's content goes back onto DEV001, the restore session is terminated"
    run arraysim clock advance 1m
    run arraysim symclone write "$symid" 4321 4096
    run arraysync -s aastmphpux sync restore
    run "$bin/symclone" -g DGCVI query

    step "A clone stuck before copied: the wait times out with a clear error (recreate_timeout = 6)"
    run arraysync -s aastmphpux sync resync --force
    run arraysim symclone set "$symid" 4321 --state Precopy
    run sed -i 's/^recreate_timeout = .*/recreate_timeout = 6/' "$conf"
    run_fails arraysync -s aastmphpux sync break
    run arraysim symclone set "$symid" 4321 --state auto

    step "A locked SYMAPI database (exit 2) is retried with backoff"
    run arraysim fault add --prog symld --kind locked --times 2
    run arraysync -s aastmphpux sync break

    step "A device in an unexpected state: status down, the monitoring check is critical"
    run arraysim symclone set "$symid" 4321 --state Failed
    run_fails arraysync -s aastmphpux check
    run arraysim symclone set "$symid" 4321 --state auto
    run arraysync -s aastmphpux check
}
