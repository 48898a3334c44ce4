package main

// A tiny client for the Redis protocol (RESP2): enough for SET, GET, SADD, SMEMBERS
// and MULTI/EXEC, one connection per call. The error it returns says whether the
// command may have run: errNotSent (nothing reached the store) or an error after sending.

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

var errNotSent = errors.New("not sent")

// storeError is an error reply of the store (e.g. READONLY): the command did not run.
type storeError struct{ msg string }

func (e storeError) Error() string { return e.msg }

// do sends the commands in one round trip over a fresh connection to addr (ip:port)
// and returns the reply of each.
func do(addr string, timeout time.Duration, cmds ...[]string) ([]any, error) {
	conn, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotSent, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	var b strings.Builder
	for _, cmd := range cmds {
		fmt.Fprintf(&b, "*%d\r\n", len(cmd))
		for _, arg := range cmd {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(arg), arg)
		}
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return nil, fmt.Errorf("sent, no answer: %v", err)
	}
	r := bufio.NewReader(conn)
	replies := make([]any, 0, len(cmds))
	for range cmds {
		v, err := readReply(r)
		if err != nil {
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
