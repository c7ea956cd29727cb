# ETERNUS across Managed Servers (ETERNUS_CHANGING comes from 40-eternus.sh): a group of 256 pairs from SRC-SV (this root) to TARG-SV
# (an emulated server reached through `arraysim server exec`, in place of ssh, running
# swsrp-remote), and one pair with its pre/post scripts on both servers. Each row is
# followed by the sessions opened to other servers (target: one per server per command).
bench_servers() {
    # Also defined by 40-eternus.sh; set here too so `scripts/bench servers` runs alone.
    : "${ETERNUS_CHANGING:=^(start|stop|set|create|delete) }"
    local n=256
    export ARRAYSYNC_ACM_WAITLOCK=30
    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes $((2 * n)) --size-mb 1 --server SRC-SV >/dev/null
    "$ARRAYSIM" server add TARG-SV --root "$ARRAYSYNC_ROOT" --agent-bin "$BIN/swsrp-remote" >/dev/null
    local targ=$ARRAYSYNC_ROOT/var/lib/arraysim/servers/TARG-SV
    # SRC-SV maps volumes 0..n-1 (hdisk10..), TARG-SV its own rdisk0.. on volumes n..2n-1.
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswstf/devices.conf" "$targ/etc/opt/FJSVswstf/devices.conf" "$n" <<'PY'
import sys
near, far, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(near, "w") as f:
    f.writelines(f"/dev/hdisk{10 + i} DX1 {i}\n" for i in range(n))
with open(far, "w") as f:
    f.writelines(f"/dev/rdisk{i} DX1 {n + i}\n" for i in range(n))
PY
    for dir in "$ARRAYSYNC_ROOT" "$targ"; do
        for s in RepSrc.pre RepSrc.post RepDst.pre RepDst.post; do
            printf '#!/bin/sh\nexit 0\n' >"$dir/etc/opt/FJSVswsrp/sh/$s"
            chmod 755 "$dir/etc/opt/FJSVswsrp/sh/$s"
        done
    done
    "$BIN/swsrpsetvol" /dev/hdisk10 /dev/rdisk0@TARG-SV >/dev/null
    "$BIN/swsrpsetvol" -Xgroup G$n /dev/hdisk11 /dev/rdisk1@TARG-SV >/dev/null
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/data/DEFAULT/replication.db" "$n" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = int(sys.argv[2])
box, size = db.execute("SELECT orig_box, rep_size FROM pairs WHERE group_name IS NOT NULL").fetchone()
rows = [("SRC-SV", f"/dev/hdisk{10 + i}", "DX1", box, i, size,
         "TARG-SV", f"/dev/rdisk{i}", "DX1", box, n + i, size, "bi-direction", "both", f"G{n}")
        for i in range(2, n)]
db.executemany("""INSERT INTO pairs (orig_server, orig_device, orig_array, orig_box, orig_volume, orig_size,
  rep_server, rep_device, rep_array, rep_box, rep_volume, rep_size, copy, op_server, group_name)
  VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows)
db.commit()
PY
    export BENCH_RESET="\"$BIN/swsrpcancel\" /dev/hdisk10 /dev/rdisk0@TARG-SV"
    measure "swsrpmake (1 pair, SRC-SV→TARG-SV, 4 scripts on 2 servers)" 1 1 "$ETERNUS_CHANGING" \
        "$BIN/swsrpmake" /dev/hdisk10 /dev/rdisk0@TARG-SV
    server_sessions
    export BENCH_RESET="\"$BIN/swsrpcancel\" -Xgroup G$n"
    measure "swsrpstartsync -Xgroup (SRC-SV→TARG-SV)" $((n - 1)) 1 "$ETERNUS_CHANGING" \
        "$BIN/swsrpstartsync" -Xgroup G$n
    server_sessions
    export BENCH_RESET="\"$BIN/swsrpstartsync\" -Xgroup G$n; \"$ARRAYSIM\" clock advance 1h"
    measure "swsrpmake -Xgroup (suspend, SRC-SV→TARG-SV)" $((n - 1)) 1 "$ETERNUS_CHANGING" \
        "$BIN/swsrpmake" -Xgroup G$n
    server_sessions
    export BENCH_RESET="\"$BIN/swsrpstartsync\" -Xgroup G$n"
    measure "swsrpcancel -Xgroup (SRC-SV→TARG-SV)" $((n - 1)) 1 "$ETERNUS_CHANGING" \
        "$BIN/swsrpcancel" -Xgroup G$n
    server_sessions
    unset BENCH_RESET
    measure "swsrpstat -h TARG-SV (run there, empty list)" 1 1 "" "$BIN/swsrpstat" -h TARG-SV
    server_sessions
}

# A row under the last measurement: the sessions it opened to other Managed Servers.
server_sessions() {
    local count
    count=$("$ARRAYSIM" calls --json | python3 -c '
import json, sys
servers = {}
for line in sys.stdin:
    if line.strip():
        call = json.loads(line)
        if call.get("prog") == "server":
            servers[call["argv"][0]] = servers.get(call["argv"][0], 0) + 1
print(", ".join(f"{k}: {v}" for k, v in sorted(servers.items())) or "none")')
    echo "| ↳ sessions to other servers (the run at ${LATENCY} ms): $count | | | | | | | | | |"
}
