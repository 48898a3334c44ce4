// Go's resolver as the net package uses it by default: built with CGO_ENABLED=0, so the
// pure-Go resolver, asked on every request (it keeps no cache of answers).
// Prints one JSON line about itself, then one per request: start time (Unix seconds), how
// long it took, and the IPv4 address it got or the error. Stops after CLIENT_SECONDS.
package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"runtime"
	"strconv"
	"time"
)

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func main() {
	name := os.Getenv("CLIENT_NAME")
	if name == "" {
		os.Stderr.WriteString("CLIENT_NAME is not set\n")
		os.Exit(2)
	}
	intervalMs, _ := strconv.Atoi(envOr("CLIENT_INTERVAL_MS", "100"))
	seconds, _ := strconv.ParseFloat(envOr("CLIENT_SECONDS", "90"), 64)
	out := json.NewEncoder(os.Stdout)
	out.Encode(map[string]string{"runtime": "go", "version": runtime.Version(),
		"notes": "net.DefaultResolver.LookupIPAddr, pure Go (CGO_ENABLED=0)"})
	end := time.Now().Add(time.Duration(seconds * float64(time.Second)))
	for time.Now().Before(end) {
		start := time.Now()
		addrs, err := net.DefaultResolver.LookupIPAddr(context.Background(), name)
		record := map[string]any{"t": float64(start.UnixNano()) / 1e9,
			"ms": float64(time.Since(start).Microseconds()) / 1000}
		if err != nil {
			record["error"] = err.Error()
		} else {
			record["error"] = "no IPv4 address"
			for _, a := range addrs {
				if v4 := a.IP.To4(); v4 != nil {
					record["addr"] = v4.String()
					delete(record, "error")
					break
				}
			}
		}
		out.Encode(record)
		time.Sleep(time.Duration(intervalMs) * time.Millisecond)
	}
}
