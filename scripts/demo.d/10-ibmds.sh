# IBM DS FlashCopy (seed 000), against the dscli emulator.
demo_ibmds() {
    local dscli="$ARRAYSYNC_ROOT/opt/ibm/dscli/dscli"
    local login=(-hmc1 10.10.10.10 -user opensvc -pwfile "$ARRAYSYNC_ROOT/var/lib/arraysync/IBM.XXXX-XXXXXXX.pwfile")

    step "IBM DS FlashCopy: an emulated DS8000, its auth.conf and pwfile, and the seed 000 service"
    run arraysim setup ibmds --root "$ARRAYSYNC_ROOT"
    run cat "$ARRAYSYNC_ROOT/etc/arraysync/auth.conf"
    run grep -v '^#' "$ARRAYSYNC_ROOT/etc/arraysync/iiststibmds.conf"

    step "The administrator's one-time step: create the persistent, recording FlashCopy relationships"
    run "$dscli" "${login[@]}" mkflash -dev IBM.XXXX-XXXXXXX -record -persist -cp 0001:0002 0101:0102 0003:0004

    step "Status, computed from lsflash"
    run arraysync -s iiststibmds print status

    step "While the service runs (its filesystem is mounted), a resync is refused, even with --force"
    printf '\n[fs#1]\nmnt = /srv/iiststibmds\n' >>"$ARRAYSYNC_ROOT/etc/arraysync/iiststibmds.conf"
    # The sandbox's mount table ($ARRAYSYNC_ROOT/proc/self/mounts) says it is mounted.
    mkdir -p "$ARRAYSYNC_ROOT/proc/self"
    echo "/dev/mapper/vgibm-lv /srv/iiststibmds ext4 rw 0 0" >"$ARRAYSYNC_ROOT/proc/self/mounts"
    run_fails syncresync -s iiststibmds --force
    run truncate -s 0 "$ARRAYSYNC_ROOT/proc/self/mounts"

    step "Resync with the service down: one lsflash, one batched resyncflash"
    run arraysim calls --clear
    run syncresync -s iiststibmds
    run arraysim calls

    step "The service log, in the seed 000 format"
    run tail -n 8 "$ARRAYSYNC_ROOT/var/lib/arraysync/log/iiststibmds.log"

    step "Status up; the monitoring check agrees"
    run arraysync -s iiststibmds print status --format json
    run arraysync -s iiststibmds check

    step "A second resync within sync_min_delay is refused, then accepted with --force"
    run_fails syncresync -s iiststibmds
    run syncresync -s iiststibmds --force

    step "Two days pass on the array clock with sync_max_delay = 1d: status turns warn"
    run sed -i 's/^sync_max_delay = .*/sync_max_delay = 1d/' "$ARRAYSYNC_ROOT/etc/arraysync/iiststibmds.conf"
    run arraysim clock advance 2d
    run_fails arraysync -s iiststibmds check
    run arraysync -s iiststibmds print status
}
