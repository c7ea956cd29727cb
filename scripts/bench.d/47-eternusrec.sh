# ETERNUS REC: a group of 256 REC pairs between two boxes DX1 and DX2 of one server (the
# inter-box half of issue 14): start, status, suspend (one command: one point in time),
# mode change, resume, cancel. Target: one CLI session per box and command, whatever the
# number of pairs.
REC_CHANGING='^(start|stop|set|suspend|resume|reverse) '
bench_eternusrec() {
    export ARRAYSYNC_ACM_WAITLOCK=30
    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --array DX1 --volumes 256 --size-mb 1 --server SV1 >/dev/null
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --array DX2 --volumes 256 --size-mb 1 --first-disk 1000 >/dev/null
    "$ARRAYSIM" eternus path DX1 DX2 up >/dev/null
    # hdisk10 → hdisk1000 with swsrpsetvol, then the other 255 pairs (DX1 volume N → DX2
    # volume N) straight into the repository (swsrpsetvol's own cost is measured in 40-).
    "$BIN/swsrpsetvol" -Xgroup R256 /dev/hdisk10 /dev/hdisk1000 >/dev/null
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/data/DEFAULT/replication.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""INSERT INTO pairs (orig_server, orig_device, orig_array, orig_box, orig_volume, orig_size,
  rep_server, rep_device, rep_array, rep_box, rep_volume, rep_size, copy, op_server, group_name)
  SELECT o.server, o.device, o.array, o.box_id, o.volume, o.size, r.server, r.device, r.array, r.box_id, r.volume, r.size,
         'bi-direction', 'both', 'R256'
  FROM devices o JOIN devices r ON r.volume = o.volume AND r.array = 'DX2'
  WHERE o.array = 'DX1' AND o.volume > 0 ORDER BY o.volume""")
db.commit()
PY
    export BENCH_RESET="\"$BIN/swsrpcancel\" -Xgroup R256"
    measure "REC swsrpstartsync -Xgroup" 256 1 "$REC_CHANGING" "$BIN/swsrpstartsync" -Xgroup R256
    unset BENCH_RESET
    measure "REC swsrpstat -L -Xgroup" 256 1 "" "$BIN/swsrpstat" -L -Xgroup R256
    export BENCH_RESET="\"$BIN/swsrpstartsync\" -Xgroup R256"
    measure "REC swsrpchsync -F Async -Xgroup" 256 1 "$REC_CHANGING" "$BIN/swsrpchsync" -F Async -Xgroup R256
    measure "REC swsrpmake -Xgroup (one suspend)" 256 1 "^suspend " "$BIN/swsrpmake" -Xgroup R256
    unset BENCH_RESET
    export BENCH_RESET="\"$BIN/swsrpmake\" -Xgroup R256"
    measure "REC swsrpstartsync -Xgroup (resume)" 256 1 "^resume " "$BIN/swsrpstartsync" -Xgroup R256
    unset BENCH_RESET
    export BENCH_RESET="\"$BIN/swsrpstartsync\" -Xgroup R256"
    measure "REC swsrpcancel -Xgroup" 256 1 "^stop " "$BIN/swsrpcancel" -Xgroup R256
    unset BENCH_RESET
}
