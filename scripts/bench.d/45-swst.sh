# ETERNUS backup management (swst*): the tool's own overhead of swstbackup (OPC and
# QuickOPC) and of the displays on a small list, then swsthistdisp over 1,000 transaction
# volumes x 31 generations (the most a policy keeps; target: under 200 ms of own time) and
# swstexecstat over 1,000 volumes. Latency is per CLI session (the ssh connection);
# ETERNUS_CHANGING comes from 40-eternus.sh.
bench_swst() {
    local bin=$BIN i
    export ARRAYSYNC_ACM_WAITLOCK=30
    new_root
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes 8 --size-mb 64 --server SV1 >/dev/null
    "$bin/swstsvrset" >/dev/null
    "$bin/swstdevinfoset" -t /dev/hdisk10 >/dev/null
    for i in 11 12 13 14 15 16 17; do "$bin/swstdevinfoset" -b "/dev/hdisk$i" >/dev/null; done
    "$bin/swstbkpolset" -s 3 /dev/hdisk10 >/dev/null
    measure "swstbackup (OPC)" 1 1 "$ETERNUS_CHANGING" "$bin/swstbackup" /dev/hdisk10
    measure "swstbackup -T (QuickOPC)" 1 1 "$ETERNUS_CHANGING" "$bin/swstbackup" -T /dev/hdisk10
    measure "swsthistdisp" 1 1 "" "$bin/swsthistdisp"
    measure "swstexecstat" 1 1 "" "$bin/swstexecstat"

    new_root
    # 1,000 transaction volumes (hdisk10..hdisk1009) and 31,000 backup volumes.
    "$ARRAYSIM" setup eternus --root "$ARRAYSYNC_ROOT" --volumes 32000 --size-mb 64 --server SV1 >/dev/null
    "$bin/swstsvrset" >/dev/null
    "$bin/swstdevinfoset" -t /dev/hdisk10 >/dev/null
    # Bulk registration and history straight into the list (the per-command costs are
    # measured above): 31 generations per volume, the most a policy keeps.
    python3 - "$ARRAYSYNC_ROOT/etc/opt/FJSVswsts/data/DEFAULT/backup.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
box = db.execute("SELECT box_id FROM volumes").fetchone()[0]
size = db.execute("SELECT size FROM volumes").fetchone()[0]
db.execute("DELETE FROM volumes")
now = int(time.time())
rows = []
for n in range(32000):
    rows.append((f"/dev/hdisk{10 + n}", "DX1", box, n, size, "transaction" if n < 1000 else "backup"))
db.executemany("INSERT INTO volumes(device, array, box_id, volume, size, mode) VALUES (?,?,?,?,?,?)", rows)
db.executemany("INSERT INTO policies(device, interval_days, save_number) VALUES (?, 1, 31)",
               [(f"/dev/hdisk{10 + t}",) for t in range(1000)])
hist = []
for t in range(1000):
    for g in range(31):
        hist.append((f"/dev/hdisk{10 + t}", g + 1, f"/dev/hdisk{10 + 1000 + t * 31 + g}", "opc", now - (31 - g) * 86400))
db.executemany("INSERT INTO history(tv, version, bv, kind, date) VALUES (?,?,?,?,?)", hist)
db.executemany("INSERT INTO tvs(device, next_version, last_backup, exec_date) VALUES (?, 32, ?, ?)",
               [(f"/dev/hdisk{10 + t}", now - 86400, now - 86400) for t in range(1000)])
db.commit()
PY
    measure "swsthistdisp, 1000 volumes x 31 generations" 1000 1 "" "$bin/swsthistdisp"
    measure "swstexecstat, 1000 volumes" 1000 1 "" "$bin/swstexecstat"
    measure "swstbackstat, 1000 volumes x 31 generations" 1000 1 "" "$bin/swstbackstat"
}
