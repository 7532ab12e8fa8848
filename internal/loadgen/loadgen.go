// Package loadgen drives an HTTP server for benchmarks: a fixed number of keep-alive connections,
// each writing pre-encoded requests and reading the answer before sending the next.
//
// It exists because net/http's client costs about as much CPU per request as a small handler:
// on two cores, measuring a server with it measures the client as much as the server. Here a
// request is a byte slice encoded once, written with one system call, and its answer is parsed
// by http.ReadResponse, so nearly all the CPU goes to the server under test.
package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Request encodes one HTTP/1.1 request with a body (nil for none) and the given header lines.
func Request(method, rawURL string, header http.Header, body []byte) []byte {
	u, err := url.Parse(rawURL)
	if err != nil {
		panic(err)
	}
	req := &http.Request{Method: method, URL: u, Host: u.Host, Header: header.Clone(), ProtoMajor: 1, ProtoMinor: 1,
		ContentLength: int64(len(body)), Body: io.NopCloser(bytes.NewReader(body))}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Run sends b.N requests to the server at rawURL's host over conns connections, taking requests
// in turn from reqs (the first conns warm up), and fails b on any answer whose status is not want. It reports req/s and the
// p50 and p99 latency of one request, and the process's CPU time per request (server and load
// generator together): on a machine shared with other work, throughput follows the share of the
// processors it is given, CPU time per request much less so.
func Run(b *testing.B, rawURL string, conns int, reqs [][]byte, want int) {
	u, err := url.Parse(rawURL)
	if err != nil {
		b.Fatal(err)
	}
	clients := make([]*conn, conns)
	for i := range clients {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = &conn{c: c, r: bufio.NewReaderSize(c, 8192)}
	}
	// Steady state: one request per connection first (caches fill, the server's per-connection
	// goroutines start), then a collection so the set-up's garbage is not charged to the run.
	for i, c := range clients {
		if err := c.do(reqs[i%len(reqs)], want); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()

	var next atomic.Int64
	lat := make([][]time.Duration, conns)
	errs := make(chan error, conns)
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/conns+1)
			for {
				n := next.Add(1) - 1
				if n >= int64(b.N) {
					break
				}
				t0 := time.Now()
				// After the warm-up's requests, so single-use requests may each be given once.
				if err := c.do(reqs[int(n+int64(conns))%len(reqs)], want); err != nil {
					errs <- err
					break
				}
				mine = append(mine, time.Since(t0))
			}
			lat[i] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu-µs/req")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type conn struct {
	c    net.Conn
	r    *bufio.Reader
	body bytes.Buffer // reused for every answer's body
}

// do writes one request and reads its whole answer.
func (c *conn) do(req []byte, want int) error {
	if _, err := c.c.Write(req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.r, nil)
	if err != nil {
		return err
	}
	c.body.Reset()
	_, err = c.body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d, want %d: %s", resp.StatusCode, want, c.body.Bytes())
	}
	if resp.Close {
		return fmt.Errorf("the server closed the connection")
	}
	return nil
}
