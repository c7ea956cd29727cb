# IBM DS FlashCopy: resync and status at 1, 64 and 1024 pairs (dscli batches every pair of
# a step into one call: the floor is the changing calls one after another).
IBM_CHANGING='^(mkflash|resyncflash|rmflash|reverseflash|commitflash|revertflash|setflashrevertible|unfreezeflash|mkremoteflash|resyncremoteflash|rmremoteflash) '
bench_ibmds() {
    local n pairs vols
    for n in 1 64 1024; do
        new_root
        pairs=$(seq 0 $((n - 1)) | awk '{ printf "%04X:%04X ", $1 * 2, $1 * 2 + 1 }')
        vols=$(seq 0 $((2 * n - 1)) | awk '{ printf "%s%04X", (NR > 1 ? "," : ""), $1 }')
        "$ARRAYSIM" setup ibmds --root "$ARRAYSYNC_ROOT" --volumes "$vols" >/dev/null
        sed -i "s/^pairs = .*/pairs = $pairs/; s/^sync_min_delay.*//" "$ARRAYSYNC_ROOT/etc/arraysync/iiststibmds.conf"
        # shellcheck disable=SC2086
        "$ARRAYSYNC_ROOT/opt/ibm/dscli/dscli" -hmc1 10.10.10.10 -user opensvc \
            -pwfile "$ARRAYSYNC_ROOT/var/lib/arraysync/IBM.XXXX-XXXXXXX.pwfile" \
            mkflash -dev IBM.XXXX-XXXXXXX -record -persist -cp $pairs >/dev/null
        measure "ibmdssnap resync" "$n" 1 "$IBM_CHANGING" "$SYNCRESYNC" -s iiststibmds --force
        measure "ibmdssnap status" "$n" 1 "" "$ARRAYSYNC" -s iiststibmds print status
    done
}
