# Issue 14 whole: a disaster-recovery group of 256 REC pairs from box DX1, seen by SRC-SV
# (this root), to box DX2, seen by the emulated Managed Server TARG-SV (reached through
# `arraysim server exec`, in place of ssh). Each row is followed by the sessions opened to
# other servers (target: one per server per command) and counts CLI calls of both boxes.
bench_dr() {
    declare -F server_sessions >/dev/null || source scripts/bench.d/50-servers.sh
    local n=256
    export ARRAYSYNC_ACM_WAITLOCK=30
    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --array DX1 --volumes $n --size-mb 1 --server SRC-SV >/dev/null
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --array DX2 --volumes $n --size-mb 1 --first-disk 1000 >/dev/null
    "$ARRAYSIM" eternus path DX1 DX2 up >/dev/null
    "$ARRAYSIM" server add TARG-SV --root "$ARRAYSYNC_ROOT" --agent-bin "$BIN/swsrp-remote" >/dev/null
    local targ=$ARRAYSYNC_ROOT/var/lib/arraysim/servers/TARG-SV
    # SRC-SV maps DX1 (hdisk10..), TARG-SV its own drdisk0.. on DX2.
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswstf/devices.conf" "$targ/etc/opt/FJSVswstf/devices.conf" "$n" <<'PY'
import sys
near, far, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(near, "w") as f:
    f.writelines(f"/dev/hdisk{10 + i} DX1 {i}\n" for i in range(n))
with open(far, "w") as f:
    f.writelines(f"/dev/drdisk{i} DX2 {i}\n" for i in range(n))
PY
    "$BIN/swsrpsetvol" -Xgroup DR$n /dev/hdisk10 /dev/drdisk0@TARG-SV >/dev/null
    # The other pairs straight into this server's repository (swsrpsetvol's own cost is
    # measured in 50-servers.sh); TARG-SV's list is not read by the group commands.
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/data/DEFAULT/replication.db" "$n" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
(obox, rbox, size) = db.execute("SELECT orig_box, rep_box, rep_size FROM pairs").fetchone()
rows = [("SRC-SV", f"/dev/hdisk{10 + i}", "DX1", obox, i, size,
         "TARG-SV", f"/dev/drdisk{i}", "DX2", rbox, i, size, "bi-direction", "both", f"DR{n}")
        for i in range(1, n)]
db.executemany("""INSERT INTO pairs (orig_server, orig_device, orig_array, orig_box, orig_volume, orig_size,
  rep_server, rep_device, rep_array, rep_box, rep_volume, rep_size, copy, op_server, group_name)
  VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows)
db.commit()
PY
    local changing='^(start|stop|set|suspend|resume|reverse) '
    export BENCH_RESET="\"$BIN/swsrpcancel\" -Xgroup DR$n"
    measure "DR: REC swsrpstartsync -Xgroup (SRC-SV/DX1→TARG-SV/DX2)" $n 1 "$changing" \
        "$BIN/swsrpstartsync" -Xgroup DR$n
    server_sessions
    unset BENCH_RESET
    measure "DR: REC swsrpstat -L -Xgroup" $n 1 "" "$BIN/swsrpstat" -L -Xgroup DR$n
    server_sessions
    export BENCH_RESET="\"$BIN/swsrpstartsync\" -Xgroup DR$n; \"$ARRAYSIM\" clock advance 1h"
    measure "DR: REC swsrpmake -Xgroup (one suspend)" $n 1 "$changing" "$BIN/swsrpmake" -Xgroup DR$n
    server_sessions
    export BENCH_RESET="\"$BIN/swsrpstartsync\" -Xgroup DR$n"
    measure "DR: REC swsrpcancel -Xgroup" $n 1 "$changing" "$BIN/swsrpcancel" -Xgroup DR$n
    server_sessions
    unset BENCH_RESET
}
