# ETERNUS: per swsrp command at 1 pair, a group of 64 and of 1024 pairs (one CLI session
# however many pairs: latency is per session), swsrpstat / swsrpvolinfo over 10,000
# registered pairs (target: under 200 ms wall at 0 ms, the emulator's answer included),
# the `eternus` resource over the 1,024-pair group and over a 1,000-pair group of the 10,000
# (target: one CLI session, one query, the pairs started in one command: one point in time).
ETERNUS_CHANGING='^(start|stop|set|create|delete) '
bench_eternus() {
    local i n
    export ARRAYSYNC_ACM_WAITLOCK=30
    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes 4 --size-mb 64 --server SV1 >/dev/null
    export BENCH_RESET="\"$BIN/swsrpdelvol\" -e /dev/hdisk10 /dev/hdisk11"
    measure "swsrpsetvol" 1 1 "$ETERNUS_CHANGING" "$BIN/swsrpsetvol" /dev/hdisk10 /dev/hdisk11
    unset BENCH_RESET
    measure "swsrpvolinfo" 1 1 "" "$BIN/swsrpvolinfo"
    export BENCH_RESET="\"$BIN/swsrpcancel\" /dev/hdisk10 /dev/hdisk11"
    measure "swsrpmake -T" 1 1 "$ETERNUS_CHANGING" "$BIN/swsrpmake" -T /dev/hdisk10 /dev/hdisk11
    unset BENCH_RESET
    measure "swsrpstat -L" 1 1 "" "$BIN/swsrpstat" -L

    for n in 64 1024; do
        new_root
        "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes $((2 * n)) --size-mb 1 --server SV1 >/dev/null
        register_pairs "G$n" $((n - 1))
        export BENCH_RESET="\"$BIN/swsrpcancel\" -Xgroup G$n"
        measure "swsrpmake -T -Xgroup" "$n" 1 "$ETERNUS_CHANGING" "$BIN/swsrpmake" -T -Xgroup "G$n"
        unset BENCH_RESET
        measure "swsrpstat -L -Xgroup" "$n" 1 "" "$BIN/swsrpstat" -L -Xgroup "G$n"
        measure "swsrpvolinfo" "$n" 1 "" "$BIN/swsrpvolinfo"
        if [ "$n" = 1024 ]; then
            # The `eternus` resource over the same group: every driver's resync and status
            # at 1,024 pairs (the box holds just these sessions; see the 1,000-pair row
            # below for a box holding 10,000).
            mkdir -p "$ARRAYSYNC_ROOT/etc/arraysync"
            printf '[sync#1]\ntype = eternus\narray = DX1\ngroup = G1024\nmode = quickopc\n' \
                >"$ARRAYSYNC_ROOT/etc/arraysync/g1024.conf"
            measure "eternus resource resync (quickopc)" 1024 1 "$ETERNUS_CHANGING" \
                "$SYNCRESYNC" -s g1024 --force
            measure "eternus resource status" 1024 1 "" "$ARRAYSYNC" -s g1024 print status
        fi
    done

    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes 20000 --size-mb 64 --server SV1 >/dev/null
    register_pairs BIG 9999
    "$ARRAYSIM" latency 0 >/dev/null
    "$BIN/swsrpmake" -T -Xgroup BIG -Xconcur-opc >/dev/null
    measure "swsrpstat" 10000 1 "" "$BIN/swsrpstat"
    measure "swsrpstat -L" 10000 1 "" "$BIN/swsrpstat" -L
    measure "swsrpvolinfo" 10000 1 "" "$BIN/swsrpvolinfo"
    # The first 1,000 of those pairs as group G1000 of an `eternus` resource.
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
    measure "eternus resource resync (quickopc), 1000-pair group" 1000 1 "$ETERNUS_CHANGING" \
        "$SYNCRESYNC" -s g1000 --force
}

# register_pairs GROUP N: /dev/hdisk10:/dev/hdisk11 with swsrpsetvol, then N more pairs of
# the collected devices straight into the repository (the per-command cost of swsrpsetvol
# is measured above).
register_pairs() {
    "$BIN/swsrpsetvol" -Xgroup "$1" /dev/hdisk10 /dev/hdisk11 >/dev/null
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/data/DEFAULT/replication.db" "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""INSERT INTO pairs (orig_server, orig_device, orig_array, orig_box, orig_volume, orig_size,
  rep_server, rep_device, rep_array, rep_box, rep_volume, rep_size, copy, op_server, group_name)
  SELECT o.server, o.device, o.array, o.box_id, o.volume, o.size, r.server, r.device, r.array, r.box_id, r.volume, r.size,
         'bi-direction', 'both', ?
  FROM devices o JOIN devices r ON r.volume = o.volume + 1
  WHERE o.volume % 2 = 0 AND o.volume > 0 ORDER BY o.volume LIMIT ?""", (sys.argv[2], int(sys.argv[3])))
db.commit()
PY
}
