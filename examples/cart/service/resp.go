package main

// A tiny client for the Redis protocol (RESP2): enough for SET, GET, SADD, SMEMBERS
// and MULTI/EXEC. The error it returns says whether the command may have run:
// errNotSent (nothing reached the store) or an error after sending.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var errNotSent = errors.New("not sent")

// storeError is an error reply of the store (e.g. READONLY): the command did not run.
type storeError struct{ msg string }

func (e storeError) Error() string { return e.msg }

// pool keeps idle connections per address (ip:port), so a busy service neither
// connects nor resolves a name for every request; nil means a fresh connection each time.
type pool struct {
	mu   sync.Mutex
	idle map[string][]net.Conn
}

const maxIdle = 16

func (p *pool) get(addr string, timeout time.Duration) (net.Conn, bool, error) {
	if p != nil {
		p.mu.Lock()
		conns := p.idle[addr]
		if n := len(conns); n > 0 {
			conn := conns[n-1]
			p.idle[addr] = conns[:n-1]
			p.mu.Unlock()
			return conn, true, nil
		}
		p.mu.Unlock()
	}
	conn, err := net.DialTimeout("tcp", addr, timeout)
	return conn, false, err
}

func (p *pool) put(addr string, conn net.Conn) {
	if p == nil {
		conn.Close()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle[addr]) >= maxIdle {
		conn.Close()
		return
	}
	p.idle[addr] = append(p.idle[addr], conn)
}

// do sends the commands in one round trip to addr (ip:port) and returns the reply of
// each. A reused connection the store closed while idle is replaced once, by a fresh one.
func (p *pool) do(addr string, timeout time.Duration, cmds ...[]string) ([]any, error) {
	conn, reused, err := p.get(addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotSent, err)
	}
	replies, err := roundTrip(conn, timeout, cmds)
	if err != nil && reused && errors.Is(err, errStale) {
		conn.Close()
		if conn, err = net.DialTimeout("tcp", addr, timeout); err != nil {
			return nil, fmt.Errorf("%w: %v", errNotSent, err)
		}
		replies, err = roundTrip(conn, timeout, cmds)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	p.put(addr, conn)
	return replies, nil
}

// errStale: a reused connection failed before any reply byte came back; with a fresh
// one the commands are sent again (they are idempotent: SET, SADD, reads).
var errStale = errors.New("idle connection closed")

func roundTrip(conn net.Conn, timeout time.Duration, cmds [][]string) ([]any, error) {
	_ = conn.SetDeadline(time.Now().Add(timeout))
	var b strings.Builder
	for _, cmd := range cmds {
		fmt.Fprintf(&b, "*%d\r\n", len(cmd))
		for _, arg := range cmd {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(arg), arg)
		}
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return nil, fmt.Errorf("%w: sent, no answer: %v", errStale, err)
	}
	r := bufio.NewReader(conn)
	replies := make([]any, 0, len(cmds))
	for i := range cmds {
		v, err := readReply(r)
		if err != nil {
			if i == 0 && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)) {
				return nil, fmt.Errorf("%w: %v", errStale, err)
			}
			return nil, fmt.Errorf("sent, no answer: %v", err)
		}
		replies = append(replies, v)
	}
	return replies, nil
}

func readReply(r *bufio.Reader) (any, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return storeError{line[1:]}, nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		items := make([]any, 0, n)
		for i := 0; i < n; i++ {
			v, err := readReply(r)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return items, nil
	}
	return nil, fmt.Errorf("unknown reply %q", line)
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	read := 0
	for read < len(buf) {
		n, err := r.Read(buf[read:])
		read += n
		if err != nil {
			return read, err
		}
	}
	return read, nil
}
