#!/bin/sh
# ccgate's units for real, under systemd, in the test guest (vm-test.service;
# tests/vm/systemd_image.py builds the guest). kata's agent is the stand-in in
# /usr/bin/kata-agent; everything else is what `meson install` installed, with
# one drop-in of the test's own: --tee none (the guest has no TEE) and
# ccgate's output to a file (the guest has no journal). The kernel command
# line carries what a hostile host would put there:
# systemd.setenv=KATA_AGENT_SERVER_ADDR=vsock://-1:1024 and agent.server_addr=...
# Output: "ok N - ..." per check, then PASS or FAIL, between the VM-BEGIN and
# VM-END lines that tests/vm/vm.py reads on the second serial port.
export PATH=/bin:/usr/bin:/ccgate/bin
uptime_s() { cut -d' ' -f1 /proc/uptime; }
echo "VM-BEGIN systemd_units $(uptime_s)"

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() {
        what=$1
        shift
        if "$@"; then ok "$what"; else bad "$what"; fi
}
# Up to 60 s, in tenths.
wait_for() {
        i=0
        while [ $i -lt 600 ]; do
                "$@" 2>/dev/null && return 0
                usleep 100000
                i=$((i + 1))
        done
        return 1
}
show() { systemctl show -p "$2" --value "$1"; }
is_active() { [ "$(show "$1" ActiveState)" = active ]; }
listening_count() {
        c=$(grep -c "listening on vsock:1024" /var/log/ccgate-vm.log 2>/dev/null)
        echo "${c:-0}"
}
listening() { [ "$(listening_count)" -ge "$1" ]; }
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
cgroup_inode() { stat -c %i "/sys/fs/cgroup/system.slice/ccgate.service"; }
hooks_allow_current_cgroup() {
        id=$(ccgate hooks status | sed -n 's/.*allowed cgroup id \([0-9]*\).*/\1/p')
        [ -n "$id" ] && [ "$id" = "$(cgroup_inode)" ]
}
# A new shell moves itself (its own $$) into ccgate's cgroup, then execs.
in_ccgate_cgroup() {
        sh -c 'echo $$ >/sys/fs/cgroup/system.slice/ccgate.service/cgroup.procs && exec "$@"' \
                sh "$@"
}
contains() { printf '%s\n' "$1" | grep -q -- "$2"; }
goclient_run() {
        out=$("$@" 2>&1)
        rc=$?
        echo "$out" | sed 's/^/#   /'
        return $rc
}

# --- started by the units alone -------------------------------------------
check "kata-agent.service active (the agent stand-in serves)" wait_for is_active kata-agent.service
check "ccgate.service active: ccgate.path started it once the agent's socket existed" \
        wait_for is_active ccgate.service
check "ccgate run listens on vsock:1024" wait_for listening 1
if ! listening 1 || ! is_active ccgate.service; then
        echo "# --- ccgate.service ---"
        systemctl status ccgate.service 2>&1 | sed 's/^/# /'
        sed 's/^/# /' /var/log/ccgate-vm.log 2>/dev/null
fi
pid=$(show ccgate.service MainPID)
check "ccgate.service's cgroup is /system.slice/ccgate.service" \
        [ "$(show ccgate.service ControlGroup)" = /system.slice/ccgate.service ]
check "ccgate stayed in it (ProtectControlGroups=yes, --cgroup names it)" \
        grep -qx "0::/system.slice/ccgate.service" "/proc/$pid/cgroup"
check "ccgate serves with no capability (CapEff, CapPrm 0)" \
        [ "$(status_field "$pid" CapEff)$(status_field "$pid" CapPrm)" = 00000000000000000000000000000000 ]
check "its bounding set is the unit's: CAP_SYS_ADMIN only" \
        [ "$(status_field "$pid" CapBnd)" = 0000000000200000 ]
check "no_new_privs and a seccomp filter (NoNewPrivs 1, Seccomp 2)" \
        [ "$(status_field "$pid" NoNewPrivs)$(status_field "$pid" Seccomp)" = 12 ]
check "ccgate hooks status --require all (ExecStartPre installed every hook)" \
        ccgate hooks status --require all
check "connect_unix lets exactly ccgate.service's cgroup through" hooks_allow_current_cgroup
check "the audit genesis names all six hooks" grep -q \
        '"hooks":"connect_unix,lsm_unix_inode,lsm_exec,lsm_ptrace,lsm_proc_mem,lsm_vsock"' \
        /run/ccgate/audit.log
# The guest has a TPM (swtpm) when the host has swtpm: --measure auto finds it
# through the unit's sandbox (the device, this boot's id).
if [ -c /dev/tpmrm0 ]; then
        check "ccgate.service measures its start into the TPM (--measure auto: tpm:pcr13)" \
                grep -q "measured the start into tpm:pcr13" /var/log/ccgate-vm.log
        check "the audit genesis names the extender" grep -q '"measure":"tpm:pcr13"' /run/ccgate/audit.log
        check "the event log is beside the audit log" test -s /run/ccgate/events.audit.log
fi

# --- the agent's drop-in ----------------------------------------------------
conf=$(sed -n 3p /run/vm-agent/argv)
check "the agent runs as /usr/bin/kata-agent --config $conf (the drop-in's ExecStart)" \
        [ "$(sed -n '1p;2p' /run/vm-agent/argv | tr '\n' ' ')" = "/usr/bin/kata-agent --config " ]
check "the host's systemd.setenv=KATA_AGENT_SERVER_ADDR reaches services here (control)" \
        [ "$KATA_AGENT_SERVER_ADDR" = "vsock://-1:1024" ]
check "...but not the agent (UnsetEnvironment=)" \
        sh -c '! grep -q "^KATA_AGENT_SERVER_ADDR=" /run/vm-agent/env'
check "the agent listens on the unix socket its config file names" [ -S /run/kata-agent.sock ]

# --- the host's view: containerd's ttrpc client over AF_VSOCK ---------------
check "containerd's ttrpc client over vsock -> ccgate -> the agent (from ccgate's cgroup)" \
        goclient_run in_ccgate_cgroup goclient -addr vsock:1:1024 -record /run/vm-agent/record
out=$(goclient -addr unix:/run/kata-agent.sock -record /run/vm-agent/record 2>&1)
check "from this service's cgroup the agent socket is refused (connect_unix)" \
        contains "$out" "connect: operation not permitted"
out=$(goclient -addr vsock:1:1024 -record /run/vm-agent/record 2>&1)
check "from this service's cgroup no vsock socket at all (lsm_vsock)" \
        contains "$out" "socket(AF_VSOCK): operation not permitted"

# --- a restart: new cgroup, the hooks follow ---------------------------------
before=$(cgroup_inode)
systemctl restart ccgate.service
check "ccgate.service restarted and listens again" wait_for listening 2
check "ExecStartPre reinstalled the hooks for the unit's cgroup (id $before -> $(cgroup_inode))" \
        hooks_allow_current_cgroup
out=$(in_ccgate_cgroup goclient -addr vsock:1:1024 -record /run/vm-agent/record 2>&1)
check "the host is served again after the restart" \
        contains "$out" "^ok   GetGuestDetails allowed: code 0"

# --- a stop: while the agent's socket exists ccgate.path starts it again -----
systemctl stop ccgate.service 2>/dev/null
check "ccgate.service stopped cleanly" [ "$(show ccgate.service Result)" = success ]
check "...and ccgate.path started it again (the agent's socket is still there)" \
        wait_for listening 3
# --- stopped for good: the audit log stays and verifies ----------------------
systemctl stop ccgate.path ccgate.service
states="$(show ccgate.service ActiveState)/$(show ccgate.service Result) $(show ccgate.path ActiveState)"
check "ccgate.path and ccgate.service stopped ($states)" [ "$states" = "inactive/success inactive" ]
[ "$states" = "inactive/success inactive" ] || tail -20 /var/log/ccgate-vm.log | sed 's/^/# /'
check "ccgate audit verify --closed /run/ccgate/audit.log (RuntimeDirectoryPreserve=yes)" \
        ccgate audit verify --closed /run/ccgate/audit.log
[ -c /dev/tpmrm0 ] && check "verify --events: the restarts' events replay, the log reaches their head" \
        ccgate audit verify --events /run/ccgate/events.audit.log /run/ccgate/audit.log

if [ "$failed" -eq 0 ]; then
        echo "PASS: $n checks"
        rc=0
else
        echo "FAIL: $failed of $((n + failed)) checks failed"
        rc=1
fi
echo "VM-END systemd_units $rc $(uptime_s)"
echo "VM-DONE"
sync
poweroff -f
