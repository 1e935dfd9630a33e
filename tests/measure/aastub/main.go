// SPDX-License-Identifier: Apache-2.0

// aastub: a recording stand-in for CoCo's attestation agent, served by a
// ttRPC server ccgate did not write (containerd's ttrpc, as Debian packages
// it; messages read with gogo/protobuf's decoder). It registers
// attestation_agent.AttestationAgentService/ExtendRuntimeMeasurement, appends
// each request as one JSON line {"domain","operation","content",
// "register_index"} to -record, and answers Result OK, or -result's value
// (1 NOT_SUPPORTED, 2 NOT_ENABLED), or a ttRPC error from call -fail-after N on.
//
// Usage: aastub -socket PATH -record FILE [-result N] [-fail-after N]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/containerd/ttrpc"
	"github.com/gogo/protobuf/proto"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// raw is a message carried as its encoded bytes (ttrpc's codec takes anything
// with gogo's Marshal/Unmarshal methods).
type raw struct{ b []byte }

func (m *raw) Reset()                   { m.b = nil }
func (m *raw) String() string           { return fmt.Sprintf("%x", m.b) }
func (*raw) ProtoMessage()              {}
func (m *raw) Marshal() ([]byte, error) { return m.b, nil }
func (m *raw) Unmarshal(b []byte) error { m.b = append([]byte(nil), b...); return nil }

type event struct {
	Domain        string  `json:"domain"`
	Operation     string  `json:"operation"`
	Content       string  `json:"content"`
	RegisterIndex *uint64 `json:"register_index"`
}

// decode reads ExtendRuntimeMeasurementRequest {1 Domain, 2 Operation,
// 3 Content, 4 optional RegisterIndex} with gogo/protobuf's varint decoder;
// anything else, or a field twice, is refused.
func decode(b []byte) (event, error) {
	var ev event
	seen := map[uint64]bool{}
	for len(b) > 0 {
		key, n := proto.DecodeVarint(b)
		if n == 0 {
			return ev, fmt.Errorf("bad key")
		}
		b = b[n:]
		field, wire := key>>3, key&7
		if seen[field] {
			return ev, fmt.Errorf("field %d repeated", field)
		}
		seen[field] = true
		switch {
		case field >= 1 && field <= 3 && wire == 2:
			l, n := proto.DecodeVarint(b)
			if n == 0 || uint64(len(b)-n) < l {
				return ev, fmt.Errorf("field %d cut", field)
			}
			s := string(b[n : n+int(l)])
			b = b[n+int(l):]
			switch field {
			case 1:
				ev.Domain = s
			case 2:
				ev.Operation = s
			case 3:
				ev.Content = s
			}
		case field == 4 && wire == 0:
			v, n := proto.DecodeVarint(b)
			if n == 0 {
				return ev, fmt.Errorf("field 4 cut")
			}
			b = b[n:]
			ev.RegisterIndex = &v
		default:
			return ev, fmt.Errorf("unexpected field %d wire type %d", field, wire)
		}
	}
	return ev, nil
}

func main() {
	sock := flag.String("socket", "", "unix socket to serve")
	record := flag.String("record", "", "file to append the requests to")
	result := flag.Uint64("result", 0, "RuntimeMeasurementResult to answer")
	failAfter := flag.Int("fail-after", -1, "answer a ttRPC error from this call (0-based) on")
	flag.Parse()
	if *sock == "" || *record == "" {
		fmt.Fprintln(os.Stderr, "usage: aastub -socket PATH -record FILE [-result N] [-fail-after N]")
		os.Exit(2)
	}
	out, err := os.OpenFile(*record, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var mu sync.Mutex
	calls := 0
	server, err := ttrpc.NewServer()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	server.Register("attestation_agent.AttestationAgentService", map[string]ttrpc.Method{
		"ExtendRuntimeMeasurement": func(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
			var req raw
			if err := unmarshal(&req); err != nil {
				return nil, err
			}
			ev, err := decode(req.b)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "bad request: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			n := calls
			calls++
			if *failAfter >= 0 && n >= *failAfter {
				return nil, status.Errorf(codes.Internal, "AA extend runtime measurement failed")
			}
			line, _ := json.Marshal(ev)
			out.Write(append(line, '\n'))
			out.Sync()
			resp := []byte{}
			if *result != 0 {
				resp = append(resp, 0x08, byte(*result))
			}
			return &raw{b: resp}, nil
		},
	})
	os.Remove(*sock)
	l, err := net.Listen("unix", *sock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		server.Close()
		os.Exit(0)
	}()
	server.Serve(context.Background(), l)
}
