# ETERNUS AdvancedCopy (seed 004 chapter 6): register pairs, snapshot (OPC), QuickOPC
# differential, EC start, suspend, resume, status, restore; then the eternus resource type.
demo_eternus() {
    local bin=${ETERNUS_BIN:-$PWD/target/debug}
    step "ETERNUS: an emulated DX1 (volumes are files), this server named SV1"
    run arraysim setup eternus --root "$ARRAYSYNC_ROOT" --volumes 6 --size-mb 64 --server SV1
    run cat "$ARRAYSYNC_ROOT/etc/opt/FJSVswstf/devices.conf"

    step "Register replication pairs (swsrpsetvol) and show them (swsrpvolinfo)"
    run "$bin/swsrpsetvol" /dev/hdisk10 /dev/hdisk11
    run "$bin/swsrpsetvol" /dev/hdisk12 /dev/hdisk13
    run "$bin/swsrpsetvol" -Xgroup GRP1 /dev/hdisk14 /dev/hdisk15
    run "$bin/swsrpvolinfo" -L
    run_fails "$bin/swsrpsetvol" /dev/hdisk11 /dev/hdisk10

    step "Snapshot (OPC): the replica is usable at once, the physical copy runs in the background"
    run arraysim eternus write DX1 0 0 --random 1048576 --seed 1
    run arraysim rate DX1 256
    run "$bin/swsrpmake" /dev/hdisk10 /dev/hdisk11
    run "$bin/swsrpstat" -L /dev/hdisk10
    run arraysim clock advance 10s
    run "$bin/swsrpstat" -L /dev/hdisk10

    step "QuickOPC: a full copy first, then only the changed tracks"
    run arraysim rate DX1 16384
    run "$bin/swsrpmake" -T /dev/hdisk10 /dev/hdisk11
    run arraysim clock advance 10s
    run arraysim eternus stats DX1
    run arraysim eternus write DX1 0 65536 --random 131072 --seed 2
    run "$bin/swsrpstat" -L /dev/hdisk10
    run "$bin/swsrpmake" -T /dev/hdisk10 /dev/hdisk11
    run arraysim clock advance 10s
    run arraysim eternus stats DX1

    step "EC: start, equivalent, suspend (swsrpmake), resume (swsrpstartsync), status"
    run arraysim rate DX1 64
    run "$bin/swsrpstartsync" /dev/hdisk12 /dev/hdisk13
    run "$bin/swsrpstat" /dev/hdisk12
    run_fails "$bin/swsrpmake" /dev/hdisk12 /dev/hdisk13
    run arraysim clock advance 30s
    run "$bin/swsrpstat" -Xall /dev/hdisk12
    run "$bin/swsrpmake" /dev/hdisk12 /dev/hdisk13
    run arraysim eternus write DX1 2 0 --random 65536 --seed 3
    run "$bin/swsrpstartsync" /dev/hdisk12 /dev/hdisk13
    run arraysim clock advance 10s
    run "$bin/swsrpmake" /dev/hdisk12 /dev/hdisk13
    run "$bin/swsrpstat" -Xall

    step "Group operations: Concurrent OPC of GRP1"
    run "$bin/swsrpmake" -T -Xgroup GRP1 -Xconcur-opc
    run "$bin/swsrpstat" -L -Xgroup GRP1

    step "Restore: swsrpmake from the replica to the original (reverse OPC)"
    run arraysim rate DX1 16384
    run arraysim eternus write DX1 0 0 --random 4096 --seed 99
    run "$bin/swsrpmake" /dev/hdisk11 /dev/hdisk10
    run "$bin/swsrpstat" -E /dev/hdisk10
    run arraysim clock advance 10s
    run "$bin/swsrpstat" -L /dev/hdisk10

    step "A failing pre-processing script stops the copy (swsrp2613)"
    cp "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/sh/RepSrc.pre" "$ARRAYSYNC_ROOT/RepSrc.pre.saved"
    printf '#!/bin/sh\nexit 2\n' > "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/sh/RepSrc.pre"
    run_fails "$bin/swsrpmake" /dev/hdisk10 /dev/hdisk11
    cp "$ARRAYSYNC_ROOT/RepSrc.pre.saved" "$ARRAYSYNC_ROOT/etc/opt/FJSVswsrp/sh/RepSrc.pre"

    step "The eternus resource type: an OpenSVC-style service drives the same engine"
    printf '[sync#1]\ntype = eternus\narray = DX1\npairs = /dev/hdisk10:/dev/hdisk11\nmode = quickopc\n' > "$ARRAYSYNC_ROOT/etc/arraysync/dxsvc.conf"
    run syncresync -s dxsvc
    run arraysync -s dxsvc print status
    run tail -4 "$ARRAYSYNC_ROOT/var/lib/arraysync/log/dxsvc.log"

    step "A hung CLI session is killed at the timeout"
    printf 'timeout = 3\n' >> "$ARRAYSYNC_ROOT/etc/arraysync/dxsvc.conf"
    run arraysim fault add --prog eternus-cli --command start --hang
    run_fails syncresync -s dxsvc --force
    run arraysim fault clear

    step "Cleanup: cancel and delete the pairs"
    run "$bin/swsrpcancel" /dev/hdisk12 /dev/hdisk13
    run "$bin/swsrpcancel" -Xgroup GRP1
    run "$bin/swsrpdelvol" /dev/hdisk12 /dev/hdisk13
    run "$bin/swsrpvolinfo"
}
