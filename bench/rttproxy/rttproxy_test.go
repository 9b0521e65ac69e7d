package rttproxy

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// echoServer answers every connection with what it receives and closes its
// write side when the client closes its own.
func echoServer(t *testing.T) (addr string, closed <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { done <- struct{}{} }()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), done
}

func startProxy(t *testing.T, target string, rtt time.Duration) *Proxy {
	t.Helper()
	p, err := Start("127.0.0.1:0", target, rtt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func roundTrip(t *testing.T, c net.Conn, msg []byte) time.Duration {
	t.Helper()
	start := time.Now()
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo %q, want %q", got, msg)
	}
	return time.Since(start)
}

func TestDelaysEachRoundTripByRTT(t *testing.T) {
	const rtt = 80 * time.Millisecond
	target, _ := echoServer(t)
	p := startProxy(t, target, rtt)
	start := time.Now()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The first exchange also pays for the TCP handshake: 2 RTT. The lower
	// bounds are exact; the upper ones only catch a proxy that holds data
	// far too long, as timers fire late on a busy machine (we have seen an
	// 80 ms round trip take 480 ms at a load of 40 on 2 cores).
	roundTrip(t, c, []byte("hello"))
	if first := time.Since(start); first < 2*rtt || first > 2*rtt+3*time.Second {
		t.Errorf("first round trip (with the connection's set-up) took %s, want about %s", first, 2*rtt)
	}
	for i := range 3 {
		if d := roundTrip(t, c, []byte("again")); d < rtt || d > rtt+3*time.Second {
			t.Errorf("round trip %d took %s, want about %s", i, d, rtt)
		}
	}
}

// Chunks in flight do not wait for each other: ten messages written back to
// back come back after about one RTT, not ten (the upper bound is half of
// ten, for a busy machine).
func TestPipelinesInFlightData(t *testing.T) {
	// Long enough that a serialising proxy (10 RTTs) cannot pass as a busy
	// machine's noise on one RTT.
	const rtt = 500 * time.Millisecond
	target, _ := echoServer(t)
	p := startProxy(t, target, rtt)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	roundTrip(t, c, []byte("warm up"))
	start := time.Now()
	for range 10 {
		if _, err := c.Write([]byte("0123456789")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	got := make([]byte, 100)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < rtt || d > 5*rtt {
		t.Errorf("ten pipelined messages took %s, want about %s + 45ms of writing (10 RTTs if serialised)", d, rtt)
	}
}

func TestPassesBytesIntact(t *testing.T) {
	target, _ := echoServer(t)
	p := startProxy(t, target, 2*time.Millisecond)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, 4<<20)
	if _, err := rand.Read(payload); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite()
		}
		errs <- err
	}()
	got, err := io.ReadAll(c) // the echo server closes after our close
	if err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("got %d bytes back, want the %d sent, unchanged", len(got), len(payload))
	}
}

// HTTP/2 over TLS through the proxy: the client verifies the server's own
// certificate, and concurrent requests multiplexed on one connection each
// cost one RTT, not one after the other.
func TestHTTP2StreamsEachDelayed(t *testing.T) {
	const rtt = 300 * time.Millisecond
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "proto="+r.Proto+" path="+r.URL.Path)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	p := startProxy(t, strings.TrimPrefix(srv.URL, "https://"), rtt)
	client := srv.Client()
	defer client.CloseIdleConnections()
	url := "https://" + p.Addr()
	get := func(path string) string {
		resp, err := client.Get(url + path)
		if err != nil {
			t.Error(err)
			return ""
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	if body := get("/warm"); body != "proto=HTTP/2.0 path=/warm" {
		t.Fatalf("body %q, want an HTTP/2 answer", body)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if body := get("/x"); body != "proto=HTTP/2.0 path=/x" {
				t.Errorf("body %q", body)
			}
		}()
	}
	wg.Wait()
	if d := time.Since(start); d < rtt || d > 10*rtt {
		t.Errorf("20 concurrent requests took %s, want about one RTT (%s; 20 RTTs if serialised)", d, rtt)
	}
	if n := p.Connections(); n != 1 {
		t.Errorf("%d connections through the proxy, want 1 (streams multiplexed)", n)
	}
}

// A close on either side reaches the other, and Close ends the open
// connections and every goroutine of the proxy.
func TestClosesCleanly(t *testing.T) {
	const rtt = 20 * time.Millisecond
	target, serverDone := echoServer(t)
	p, err := Start("127.0.0.1:0", target, rtt)
	if err != nil {
		t.Fatal(err)
	}

	// The client closes: the server sees it and closes too; the client
	// reads EOF.
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, c, []byte("x"))
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-serverDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the server did not see the client's close")
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("read after the server closed: %d, %v; want EOF", n, err)
	}
	c.Close()

	// Close with a connection open: the client sees its connection end and
	// Close returns once everything has stopped.
	open, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	roundTrip(t, open, []byte("y"))
	closed := make(chan error, 1)
	go func() { closed <- p.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := open.Read(make([]byte, 1)); err == nil {
		t.Fatal("the open connection still reads after Close")
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("the proxy still accepts after Close")
	}
}
