# Operating it (docs/operating.md): a quiet cron run, node settings, metrics, the
# monitoring check with performance data, -Xjson; on the IBM service of 10-ibmds.sh
# (set up here when run alone: scripts/demo observe).
demo_observe() {
    local bin=${ETERNUS_BIN:-$PWD/target/debug}
    if [ ! -e "$ARRAYSYNC_ROOT/etc/arraysync/iiststibmds.conf" ]; then
        step "Observe: the IBM service of seed 000, with its relationships"
        run arraysim setup ibmds --root "$ARRAYSYNC_ROOT"
        run "$ARRAYSYNC_ROOT/opt/ibm/dscli/dscli" -hmc1 10.10.10.10 -user opensvc \
            -pwfile "$ARRAYSYNC_ROOT/var/lib/arraysync/IBM.XXXX-XXXXXXX.pwfile" \
            mkflash -dev IBM.XXXX-XXXXXXX -record -persist -cp 0001:0002 0101:0102 0003:0004
    fi

    step "A cron run: nothing on stderr when it succeeds (the action log has the lines)"
    run syncresync -s iiststibmds --force 2>"$ARRAYSYNC_ROOT/cron.err"
    run wc -c "$ARRAYSYNC_ROOT/cron.err"
    run tail -n 3 "$ARRAYSYNC_ROOT/var/lib/arraysync/log/iiststibmds.log"

    step "When it fails, stderr says why (sync_min_delay protects the fresh copy)"
    run_fails syncresync -s iiststibmds

    step "--debug: vendor queries and timings of each vendor command, resource and service"
    run syncresync -s iiststibmds --force --debug

    step "Node settings: every key with its default; an unknown key names file and line"
    run arraysync print settings
    printf '[timeouts]\nwait_lock = "2m"\n' >"$ARRAYSYNC_ROOT/etc/arraysync/arraysync.toml"
    run_fails arraysync print settings
    rm "$ARRAYSYNC_ROOT/etc/arraysync/arraysync.toml"

    step "Prometheus metrics, on stdout and as a textfile for node_exporter"
    run arraysync --all print metrics
    mkdir -p "$ARRAYSYNC_ROOT/var/lib/node_exporter"
    run arraysync -s iiststibmds print metrics --textfile "$ARRAYSYNC_ROOT/var/lib/node_exporter"
    run ls "$ARRAYSYNC_ROOT/var/lib/node_exporter"

    step "The monitoring check: Nagios performance data, or JSON"
    run arraysync --all check
    run arraysync --all check --format json

    step "The first errors: did you mean, the configured services, --json"
    run_fails arraysync -s iiststibmd print status
    run_fails arraysync -s iiststibmds sync resyn
    run_fails arraysync -s iiststibmds print status --json

    if [ -e "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/data/DEFAULT/replication.db" ]; then
        step "ACM status as JSON (-Xjson): the same rows as the text"
        run "$bin/swsrpstat" -Xjson
    fi
}
