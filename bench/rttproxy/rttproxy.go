// Package rttproxy is a TCP proxy that behaves like a network link with a
// fixed round-trip time: every byte takes RTT/2 to cross it in either
// direction, so an HTTP request and its response cost one RTT on top of
// the server's own time, whatever protocol runs on top.
//
// It is a delay line, not a request-level proxy: it does not terminate TLS,
// so the client sees the API server's own certificate and speaks HTTP/2 (or
// HTTP/1.1) to the API server itself. Each chunk read on one side is stamped
// with the time it was read and written to the other side RTT/2 later; later
// chunks do not wait for earlier ones to be answered, so HTTP/2 streams
// multiplexed on one connection are each delayed by the RTT (not one after
// the other), and concurrent connections are independent. Bandwidth is not
// limited. Connection set-up costs what it costs on a real network: the
// TCP handshake (one RTT before the client's first bytes can leave; the
// proxy delivers them RTT + RTT/2 after the connection was accepted) and the
// TLS handshake (its own round trips, through the delay line).
//
// Only the benchmark harness uses it; the provider never imports it.
package rttproxy

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards every connection accepted on its listener to one target
// address through a delay line in each direction.
type Proxy struct {
	ln     net.Listener
	target string
	rtt    time.Duration

	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool

	accepted atomic.Int64
}

// Start listens on listenAddr (e.g. "127.0.0.1:0") and forwards to target
// (host:port), adding rtt to every round trip.
func Start(listenAddr, target string, rtt time.Duration) (*Proxy, error) {
	if rtt < 0 {
		return nil, errors.New("rttproxy: negative round-trip time")
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, target: target, rtt: rtt, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr is the address the proxy listens on.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// RTT is the round-trip time the proxy adds.
func (p *Proxy) RTT() time.Duration { return p.rtt }

// Connections is how many client connections the proxy has accepted.
func (p *Proxy) Connections() int64 { return p.accepted.Load() }

// Close stops accepting, closes every open connection at once (without
// delivering what is still in flight) and returns when every goroutine of
// the proxy has ended.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	err := p.ln.Close()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// track registers c, or closes it when the proxy is closing.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
	_ = c.Close()
}

func (p *Proxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.accepted.Add(1)
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go p.handle(c)
	}
}

func (p *Proxy) handle(client net.Conn) {
	defer p.wg.Done()
	defer p.untrack(client)
	accepted := time.Now()
	upstream, err := net.Dial("tcp", p.target)
	if err != nil {
		return // the client sees its connection closed, as if refused
	}
	if !p.track(upstream) {
		return
	}
	defer p.untrack(upstream)
	oneWay := p.rtt / 2
	var wg sync.WaitGroup
	wg.Add(2)
	// Client to server: nothing can leave before the TCP handshake's round
	// trip is over.
	go func() {
		defer wg.Done()
		delayLine(upstream, client, oneWay, accepted.Add(p.rtt))
	}()
	go func() {
		defer wg.Done()
		delayLine(client, upstream, oneWay, time.Time{})
	}()
	wg.Wait()
}

// chunk is what one read returned, due for delivery at due; end marks the
// end of the stream (err nil: an orderly close, to be passed on as one).
type chunk struct {
	data []byte
	due  time.Time
	end  bool
	err  error
}

// delayLine copies src to dst, delivering each chunk delay after it was
// read (and not before notBefore+delay). A reader goroutine stamps the
// chunks, so a chunk waiting for its due time does not hold back the
// reading of later ones. An orderly close of src is passed on as a close
// of dst's write side, delay later; an error closes both connections.
func delayLine(dst, src net.Conn, delay time.Duration, notBefore time.Time) {
	queue := make(chan chunk, 256)
	go func() {
		defer close(queue)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			now := time.Now()
			if now.Before(notBefore) {
				now = notBefore
			}
			if n > 0 {
				queue <- chunk{data: buf[:n], due: now.Add(delay)}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				queue <- chunk{due: now.Add(delay), end: true, err: err}
				return
			}
		}
	}()
	for c := range queue {
		if wait := time.Until(c.due); wait > 0 {
			time.Sleep(wait)
		}
		if c.end {
			if c.err == nil {
				if cw, ok := dst.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
					break
				}
			}
			_ = dst.Close()
			_ = src.Close()
			break
		}
		if _, err := dst.Write(c.data); err != nil {
			_ = dst.Close()
			_ = src.Close()
			break
		}
	}
	for range queue {
		// Drain, so that a reader blocked on a full queue can end.
	}
}
