#!/bin/sh
# Runtime measurement into a real TPM (swtpm, attached by vm.py as a TIS
# device): ccgate run --measure tpm in front of the stub agent, with
# containerd's Go ttrpc client making its calls and a policy that requires
# measurement; after the stop, tpm2-tools' pcrread of the PCR must equal
# ccgate's replay of its event log (verify --pcr), and a copy of the audit log
# cut after the last measured head must be refused. The event lines and the PCR
# value are printed (EVENT, PCR) so that vm.py replays them once more on the
# host, in Python. PCR 14, not the default 13: guest_e2e's ccgate ran before
# in this boot with --measure auto, found the TPM and extended PCR 13 with
# events of its own event log.
PCR=14
B=/ccgate/bin
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok $*"; }

[ -c /dev/tpmrm0 ] || { echo "SKIPPED: no TPM in this guest (/dev/tpmrm0): swtpm is not installed on the host"; exit 77; }
[ -x $B/tpm2 ] && [ -x $B/goclient ] || { echo "SKIPPED: tpm2-tools or the Go ttrpc client was missing when the guest was built"; exit 77; }
d=$(mktemp -d)
$B/stub_agent --listen unix:$d/agent.sock --record $d/rec >$d/stub.log 2>&1 &
stub=$!
i=0; while [ ! -S $d/agent.sock ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
$B/ccgate run --listen unix:$d/host.sock --agent unix:$d/agent.sock \
        --policy /ccgate/measure-policy.yaml --audit-log $d/audit.log --tee none \
        --measure tpm --measure-pcr $PCR --measure-audit records=1 >$d/ccgate.log 2>&1 &
gate=$!
i=0; while ! grep -q "listening on" $d/ccgate.log && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "listening on" $d/ccgate.log || { cat $d/ccgate.log; fail "ccgate run did not come up"; }
grep -q "measured the start into tpm:pcr$PCR" $d/ccgate.log || { cat $d/ccgate.log; fail "the start was not measured"; }
ok "ccgate run --measure tpm: the start is measured into tpm:pcr$PCR (/dev/tpmrm0, sandboxed)"
$B/goclient -addr unix:$d/host.sock -record $d/rec >$d/goclient.log 2>&1 || { cat $d/goclient.log; fail "the Go ttrpc client's checks"; }
ok "containerd's ttrpc client through ccgate: served under require_measurement"
# The head is measured by the next tick once a record was written.
i=0; while [ "$(grep -c AuditHead $d/events.audit.log)" -lt 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM $gate; wait $gate; s=$?
cat $d/ccgate.log
[ $s -eq 0 ] || fail "ccgate run exit status $s"
kill -TERM $stub; wait $stub
grep -q '"operation":"Stop"' $d/events.audit.log || fail "no Stop event"
ok "ccgate stopped: $(grep -c . $d/events.audit.log) events (Start, AuditHead, Stop)"

pcr=$($B/tpm2 pcrread -T device:/dev/tpmrm0 sha256:$PCR 2>$d/pcrread.err | sed -n "s/^ *$PCR *: *0x//p" | tr 'A-F' 'a-f')
[ ${#pcr} -eq 64 ] || { cat $d/pcrread.err; fail "tpm2 pcrread sha256:$PCR gave '$pcr'"; }
echo "PCR $PCR $pcr"
while read -r line; do echo "EVENT $line"; done <$d/events.audit.log
$B/ccgate audit verify --events $d/events.audit.log --pcr "$pcr" $d/audit.log || fail "verify --pcr $pcr"
ok "tpm2 pcrread's PCR $PCR equals ccgate's replay of its event log; the audit log reaches the measured head"
sed '$d' $d/audit.log >$d/cut.log
$B/ccgate audit verify --events $d/events.audit.log --pcr "$pcr" $d/cut.log >$d/cut.out 2>&1
s=$?
cat $d/cut.out
[ $s -eq 1 ] && grep -q "records were removed from the end" $d/cut.out || fail "the cut log was not refused (status $s)"
ok "the audit log cut after the last measured head is detected"
echo "PASS measure_tpm"
