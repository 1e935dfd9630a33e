// SPDX-License-Identifier: Apache-2.0

// goclient: a ttRPC client not written in this project (containerd's ttrpc,
// as Debian packages it) making the integration calls through ccgate. It
// prints one line per check and exits 1 if any failed, 2 on usage errors.
//
// Messages are encoded by hand: the agent API's Go bindings are not packaged,
// and a few fields are all these calls need.
//
// Usage: goclient -addr unix:PATH|vsock:CID:PORT -record FILE
//
// Over vsock (the guest VM suite, tests/vm) the socket is made with
// golang.org/x/sys/unix, as Go's net package has no AF_VSOCK, and handed to
// ttrpc as a net.Conn around a non-blocking *os.File (Go's poller serves it).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/ttrpc"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const agentService = "grpc.AgentService"

// raw is a protobuf message carried as its encoded bytes; ttrpc's codec takes
// anything with gogo's Marshal/Unmarshal methods.
type raw struct{ b []byte }

func (m *raw) Reset()                   { m.b = nil }
func (m *raw) String() string           { return fmt.Sprintf("%x", m.b) }
func (*raw) ProtoMessage()              {}
func (m *raw) Marshal() ([]byte, error) { return m.b, nil }
func (m *raw) Unmarshal(b []byte) error { m.b = append([]byte(nil), b...); return nil }

func appendVarint(b []byte, v uint64) []byte {
	return binary.AppendUvarint(b, v)
}

func appendBytes(b []byte, field int, data []byte) []byte {
	b = appendVarint(b, uint64(field)<<3|2)
	b = appendVarint(b, uint64(len(data)))
	return append(b, data...)
}

func appendBool(b []byte, field int) []byte {
	return append(appendVarint(b, uint64(field)<<3), 1)
}

// fieldBytes returns the first length-delimited field number n of msg.
func fieldBytes(msg []byte, n int) ([]byte, bool) {
	for len(msg) > 0 {
		key, k := binary.Uvarint(msg)
		if k <= 0 {
			return nil, false
		}
		msg = msg[k:]
		switch key & 7 {
		case 0:
			_, k = binary.Uvarint(msg)
			if k <= 0 {
				return nil, false
			}
			msg = msg[k:]
		case 2:
			l, k := binary.Uvarint(msg)
			if k <= 0 || uint64(len(msg)-k) < l {
				return nil, false
			}
			if int(key>>3) == n {
				return msg[k : k+int(l)], true
			}
			msg = msg[k+int(l):]
		default:
			return nil, false
		}
	}
	return nil, false
}

var failures int

func check(ok bool, format string, args ...interface{}) {
	word := "ok  "
	if !ok {
		word = "FAIL"
		failures++
	}
	fmt.Printf("%s %s\n", word, fmt.Sprintf(format, args...))
}

func call(c *ttrpc.Client, ctx context.Context, method string, req []byte) ([]byte, codes.Code, string) {
	var resp raw
	err := c.Call(ctx, agentService, method, &raw{b: req}, &resp)
	if err == nil {
		return resp.b, codes.OK, ""
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil, codes.Unknown, "not a status: " + err.Error()
	}
	return nil, st.Code(), st.Message()
}

// seen counts the stub agent's record lines for service/method.
func seen(record, method string) int {
	f, err := os.Open(record)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) == 3 && fields[1] == agentService+"/"+method {
			n++
		}
	}
	return n
}

// vsockAddr is a net.Addr for AF_VSOCK.
type vsockAddr struct{ cid, port uint32 }

func (vsockAddr) Network() string  { return "vsock" }
func (a vsockAddr) String() string { return fmt.Sprintf("%d:%d", a.cid, a.port) }

// vsockConn is a connected AF_VSOCK stream socket as a net.Conn.
type vsockConn struct {
	*os.File
	local, remote vsockAddr
}

func (c *vsockConn) LocalAddr() net.Addr  { return c.local }
func (c *vsockConn) RemoteAddr() net.Addr { return c.remote }

func dialVsock(cid, port uint32) (net.Conn, error) {
	fd, err := unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket(AF_VSOCK): %w", err)
	}
	if err := unix.Connect(fd, &unix.SockaddrVM{CID: cid, Port: port}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("connect vsock %d:%d: %w", cid, port, err)
	}
	local := vsockAddr{}
	if sa, err := unix.Getsockname(fd); err == nil {
		if vm, ok := sa.(*unix.SockaddrVM); ok {
			local = vsockAddr{vm.CID, vm.Port}
		}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &vsockConn{os.NewFile(uintptr(fd), "vsock"), local, vsockAddr{cid, port}}, nil
}

// vsockAddress reads "vsock:CID:PORT"; ok is false for anything else.
func vsockAddress(addr string) (cid, port uint32, ok bool) {
	isVsock := strings.HasPrefix(addr, "vsock:")
	c, p, two := strings.Cut(strings.TrimPrefix(addr, "vsock:"), ":")
	cv, err1 := strconv.ParseUint(c, 10, 32)
	pv, err2 := strconv.ParseUint(p, 10, 32)
	return uint32(cv), uint32(pv), isVsock && two && err1 == nil && err2 == nil
}

// dial retries while ccgate is still coming up, within a bound; a refusal by
// permission (an eBPF hook) is final.
func dial(addr string) (net.Conn, error) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var conn net.Conn
		var err error
		if cid, port, ok := vsockAddress(addr); ok {
			conn, err = dialVsock(cid, port)
		} else {
			conn, err = net.Dial("unix", strings.TrimPrefix(addr, "unix:"))
		}
		if err == nil || time.Now().After(deadline) || errors.Is(err, syscall.EPERM) {
			return conn, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func main() {
	addr := flag.String("addr", "", "ccgate's listen address, unix:PATH or vsock:CID:PORT")
	record := flag.String("record", "", "the stub agent's record file")
	flag.Parse()
	_, _, isVsock := vsockAddress(*addr)
	if !(strings.HasPrefix(*addr, "unix:") || isVsock) || *record == "" {
		fmt.Fprintln(os.Stderr, "usage: goclient -addr unix:PATH|vsock:CID:PORT -record FILE")
		os.Exit(2)
	}
	conn, err := dial(*addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		os.Exit(1)
	}
	c := ttrpc.NewClient(conn)
	defer c.Close()

	// containerd sends a deadline (timeout_nano) and may send metadata.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ctx = ttrpc.WithMetadata(ctx, ttrpc.MD{"client": []string{"containerd-ttrpc"}})

	// Allowed: GetGuestDetails{mem_block_size: true}.
	resp, code, msg := call(c, ctx, "GetGuestDetails", appendBool(nil, 1))
	details, _ := fieldBytes(resp, 2)
	version, _ := fieldBytes(details, 1)
	check(code == codes.OK, "GetGuestDetails allowed: code %d %q", code, msg)
	check(string(version) == "stub-agent 0.1", "GetGuestDetails answer from the agent: version %q", version)
	check(seen(*record, "GetGuestDetails") == 1, "GetGuestDetails reached the agent once")

	// Allowed, with an answer that depends on the request.
	req := appendBytes(appendBytes(nil, 1, []byte("c1")), 2, []byte("go-exec"))
	resp, code, msg = call(c, ctx, "ReadStdout", req)
	data, _ := fieldBytes(resp, 1)
	check(code == codes.OK && string(data) == "stdout-of-go-exec",
		"ReadStdout allowed: code %d %q data %q", code, msg, data)

	// Denied by the policy.
	req = appendBytes(appendBytes(nil, 1, []byte("c1")), 2, []byte("e1"))
	_, code, msg = call(c, ctx, "ExecProcess", req)
	check(code == codes.PermissionDenied, "ExecProcess denied: code %d", code)
	check(msg == "ExecProcessRequest is blocked by policy: no-exec: the host may not run commands in the pod",
		"ExecProcess denial message: %q", msg)

	// Not part of the agent API.
	_, code, msg = call(c, ctx, "NoSuchMethod", nil)
	check(code == codes.PermissionDenied &&
		msg == "Request is blocked by policy: unknown-method: the service or method is not part of the agent API",
		"unknown method denied: code %d %q", code, msg)

	// A field the schema does not know (GuestDetailsRequest field 99).
	_, code, msg = call(c, ctx, "GetGuestDetails", append(appendBool(nil, 1), 0x98, 0x06, 0x01))
	check(code == codes.PermissionDenied && strings.Contains(msg, ": unknown-field: "),
		"unknown field denied: code %d %q", code, msg)

	// Many calls in flight on this one connection, as containerd's shim makes them.
	const parallel = 64
	var wg sync.WaitGroup
	bad := make(chan string, parallel)
	for i := 0; i < parallel; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			id := fmt.Sprintf("par-%d", i)
			r := appendBytes(appendBytes(nil, 1, []byte("c1")), 2, []byte(id))
			resp, code, msg := call(c, ctx, "ReadStdout", r)
			data, _ := fieldBytes(resp, 1)
			if code != codes.OK || !bytes.Equal(data, []byte("stdout-of-"+id)) {
				bad <- fmt.Sprintf("%s: code %d %q data %q", id, code, msg, data)
			}
			if i%2 == 0 {
				_, code, _ = call(c, ctx, "ExecProcess", nil)
				if code != codes.PermissionDenied {
					bad <- fmt.Sprintf("ExecProcess in parallel: code %d", code)
				}
			}
		}(i)
	}
	wg.Wait()
	close(bad)
	nbad := 0
	for b := range bad {
		fmt.Println("     ", b)
		nbad++
	}
	check(nbad == 0, "%d concurrent calls on one connection answered on their own streams", parallel+parallel/2)

	// ccgate relays this connection over one agent connection, in order: once
	// this is answered, the agent has recorded everything forwarded before it.
	_, code, msg = call(c, ctx, "GetGuestDetails", nil)
	check(code == codes.OK, "GetGuestDetails allowed again: code %d %q", code, msg)
	check(seen(*record, "ExecProcess") == 0, "no ExecProcess ever reached the agent")
	check(seen(*record, "NoSuchMethod") == 0, "the unknown method never reached the agent")
	check(seen(*record, "GetGuestDetails") == 2, "the GetGuestDetails with an unknown field never reached the agent")
	check(seen(*record, "ReadStdout") == 1+parallel, "every allowed ReadStdout reached the agent")

	fmt.Printf("%d failed\n", failures)
	if failures > 0 {
		os.Exit(1)
	}
}
