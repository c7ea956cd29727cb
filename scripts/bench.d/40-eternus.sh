# ETERNUS: the tool's own overhead per swsrp command, swsrpmake -Xgroup over 256 pairs (one
# CLI session however many pairs), and swsrpstat over 10,000 registered pairs (target:
# under 200 ms of own time). Latency is per CLI session (the ssh connection).
# CLI commands (lines sent to the array) of the calls logged since the last clear.
eternus_commands() {
    "$ARRAYSIM" calls --json --prog eternus-cli | python3 -c '
import json, sys
print(sum(len(json.loads(l).get("commands") or []) for l in sys.stdin if l.strip()))'
}

# The `eternus` resource over a 1,000-pair group (pairs registered above in group BIG are
# reused: the first 1,000). Target: one CLI session, one query, the pairs started in one
# command (one point in time). The label gives the CLI commands of the run.
bench_eternus_resource() {
    local latency commands
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/data/DEFAULT/replication.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT OR IGNORE INTO groups (name) VALUES ('G1000')")
ids = [r[0] for r in db.execute("SELECT id FROM pairs ORDER BY id LIMIT 1000")]
db.executemany("UPDATE pairs SET group_name = 'G1000' WHERE id = ?", [(i,) for i in ids])
db.commit()
PY
    mkdir -p "$ARRAYSYNC_ROOT/etc/arraysync"
    printf '[sync#1]\ntype = eternus\narray = DX1\ngroup = G1000\nmode = quickopc\n' \
        >"$ARRAYSYNC_ROOT/etc/arraysync/g1000.conf"
    for latency in 0 500; do
        "$ARRAYSIM" latency --prog eternus-cli "$latency" >/dev/null
        "$ARRAYSIM" calls --clear >/dev/null
        "$SYNCRESYNC" -s g1000 --force >/dev/null 2>&1 || true
        commands=$(eternus_commands)
        measure "eternus resource resync (quickopc), 1000-pair group, $commands CLI commands" "$latency" "$SYNCRESYNC" -s g1000 --force
    done
}

bench_eternus() {
    local bin=$BIN latency i
    export ARRAYSYNC_ACM_WAITLOCK=30
    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes 4 --size-mb 64 --server SV1 >/dev/null
    for latency in 0 500; do
        "$ARRAYSIM" latency --prog eternus-cli "$latency" >/dev/null
        "$bin/swsrpdelvol" -e /dev/hdisk10 /dev/hdisk11 >/dev/null 2>&1 || true
        measure "swsrpsetvol, 1 pair" "$latency" "$bin/swsrpsetvol" /dev/hdisk10 /dev/hdisk11
        measure "swsrpvolinfo, 1 pair" "$latency" "$bin/swsrpvolinfo"
        measure "swsrpmake -T, 1 pair" "$latency" "$bin/swsrpmake" -T /dev/hdisk10 /dev/hdisk11
        measure "swsrpstat, 1 pair" "$latency" "$bin/swsrpstat" -L
        measure "swsrpcancel, 1 pair" "$latency" "$bin/swsrpcancel" /dev/hdisk10 /dev/hdisk11
    done

    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes 512 --size-mb 64 --server SV1 >/dev/null
    for i in $(seq 0 255); do
        "$bin/swsrpsetvol" -Xgroup G256 "/dev/hdisk$((10 + 2 * i))" "/dev/hdisk$((11 + 2 * i))" >/dev/null
    done
    for latency in 0 500; do
        "$ARRAYSIM" latency --prog eternus-cli "$latency" >/dev/null
        measure "swsrpmake -T -Xgroup, 256 pairs" "$latency" "$bin/swsrpmake" -T -Xgroup G256
        measure "swsrpmake -T -Xgroup -Xconcur-opc, 256 pairs" "$latency" "$bin/swsrpmake" -T -Xgroup G256 -Xconcur-opc
        measure "swsrpstat -Xgroup, 256 pairs" "$latency" "$bin/swsrpstat" -L -Xgroup G256
    done

    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes 20000 --size-mb 64 --server SV1 >/dev/null
    "$bin/swsrpsetvol" -Xgroup BIG /dev/hdisk10 /dev/hdisk11 >/dev/null
    # Bulk registration of the other 9,999 pairs straight into the repository (the
    # per-command cost of swsrpsetvol is measured above), from the collected devices.
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/data/DEFAULT/replication.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""INSERT INTO pairs (orig_server, orig_device, orig_array, orig_box, orig_volume, orig_size,
  rep_server, rep_device, rep_array, rep_box, rep_volume, rep_size, copy, op_server, group_name)
  SELECT o.server, o.device, o.array, o.box_id, o.volume, o.size, r.server, r.device, r.array, r.box_id, r.volume, r.size,
         'bi-direction', 'both', 'BIG'
  FROM devices o JOIN devices r ON r.volume = o.volume + 1
  WHERE o.volume % 2 = 0 AND o.volume > 0""")
db.commit()
PY
    "$ARRAYSIM" latency --prog eternus-cli 0 >/dev/null
    bench_eternus_resource
    "$ARRAYSIM" latency --prog eternus-cli 0 >/dev/null
    measure "swsrpmake -T -Xgroup -Xconcur-opc, 10000 pairs" 0 "$bin/swsrpmake" -T -Xgroup BIG -Xconcur-opc
    for latency in 0 500; do
        "$ARRAYSIM" latency --prog eternus-cli "$latency" >/dev/null
        measure "swsrpstat, 10000 pairs" "$latency" "$bin/swsrpstat"
        measure "swsrpvolinfo, 10000 pairs" "$latency" "$bin/swsrpvolinfo"
    done
}
