// cart: a small HTTP service a team might own, kept in the world's key-value store.
//
//	PUT /carts/{id}   store the body           201, 503 (store unreachable), 504 (may have stored)
//	GET /carts/{id}   the body                 200, 404, 503
//	GET /carts        {"ids": [...]}           every cart id
//	GET /health       200 while the process runs
//
// It reads chaoskit's service contract from the environment (docs/services.md):
// CHAOSKIT_REGION, CHAOSKIT_PORT, CHAOSKIT_ENDPOINT_KV (its region's store),
// CHAOSKIT_ENDPOINTS_KV (every region's, its own first) and CHAOSKIT_WRITE_ENDPOINT_KV
// (the store that accepts writes).
//
// CART_EXITS says which emergency exits it takes when its store's name stops resolving:
//
//	none        (naive) every request resolves the store's name; an empty record fails it
//	stale-dns   keep the last address a name resolved to, and use it while the name is empty
//	failover    a read the own region's store cannot serve goes to the next region's
//	pool        keep connections to the store open (fewer lookups and connects under load)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

const storeTimeout = 400 * time.Millisecond

type cart struct {
	region   string
	reads    []string // host:port of every region's store, the own region's first
	write    string   // host:port of the store that accepts writes
	staleDNS bool
	failover bool
	pool     *pool // with pooled connections; nil: a fresh connection (and name lookup) per call

	mu       sync.Mutex
	lastGood map[string][]string // host -> addresses it last resolved to
}

func main() {
	c := &cart{
		region:   os.Getenv("CHAOSKIT_REGION"),
		lastGood: map[string][]string{},
	}
	own := os.Getenv("CHAOSKIT_ENDPOINT_KV")
	c.reads = splitList(os.Getenv("CHAOSKIT_ENDPOINTS_KV"))
	if len(c.reads) == 0 && own != "" {
		c.reads = []string{own}
	}
	// The store that accepts writes is a global name that follows a promotion; the own
	// region's store is a read-only replica outside the primary region.
	c.write = firstOf(os.Getenv("CHAOSKIT_WRITE_ENDPOINT_KV"), own)
	for _, exit := range splitList(os.Getenv("CART_EXITS")) {
		switch exit {
		case "stale-dns":
			c.staleDNS = true
		case "failover":
			c.failover = true
		case "pool":
			c.pool = &pool{idle: map[string][]net.Conn{}}
		case "none":
		default:
			log.Fatalf("CART_EXITS: unknown exit %q (none, stale-dns, failover, pool)", exit)
		}
	}
	if len(c.reads) == 0 || c.write == "" {
		log.Fatal("no store: CHAOSKIT_ENDPOINTS_KV and CHAOSKIT_WRITE_ENDPOINT_KV are empty")
	}
	port := firstOf(os.Getenv("CHAOSKIT_PORT"), os.Getenv("PORT"), "9000")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(200) })
	mux.HandleFunc("PUT /carts/{id}", c.put)
	mux.HandleFunc("GET /carts/{id}", c.get)
	mux.HandleFunc("GET /carts", c.list)
	log.Printf("cart in %s on :%s, reads %v, writes %s, stale-dns %v, failover %v, pool %v",
		c.region, port, c.reads, c.write, c.staleDNS, c.failover, c.pool != nil)
	srv := &http.Server{Addr: ":" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// address resolves host:port anew (as a naive client does on every connection);
// with stale-dns, a name that resolves to nothing keeps its last good address.
func (c *cart) address(endpoint string) (string, error) {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err == nil && len(addrs) > 0 {
		c.mu.Lock()
		c.lastGood[host] = addrs
		c.mu.Unlock()
		return net.JoinHostPort(addrs[0], port), nil
	}
	if c.staleDNS {
		c.mu.Lock()
		stale := c.lastGood[host]
		c.mu.Unlock()
		if len(stale) > 0 {
			return net.JoinHostPort(stale[0], port), nil
		}
	}
	if err == nil {
		err = errors.New("no address")
	}
	return "", fmt.Errorf("%w: resolving %s: %v", errNotSent, host, err)
}

func (c *cart) run(endpoint string, cmds ...[]string) ([]any, error) {
	addr, err := c.address(endpoint)
	if err != nil {
		return nil, err
	}
	return c.pool.do(addr, storeTimeout, cmds...)
}

// read runs a read on the own region's store, then (with failover) on the others';
// it returns the replies and the region that served them.
func (c *cart) read(cmd []string) (any, string, error) {
	stores := c.reads
	if !c.failover {
		stores = stores[:1]
	}
	var firstErr error
	for _, endpoint := range stores {
		replies, err := c.run(endpoint, cmd)
		if err == nil {
			if e, ok := replies[0].(storeError); ok {
				err = e
			} else {
				return replies[0], regionOf(endpoint), nil
			}
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, "", firstErr
}

func (c *cart) put(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if err != nil {
		answer(w, 400, map[string]any{"error": err.Error()}, "")
		return
	}
	replies, err := c.run(c.write,
		[]string{"MULTI"}, []string{"SET", "cart:" + id, string(body)},
		[]string{"SADD", "carts", id}, []string{"EXEC"})
	if err != nil {
		status := 504 // sent: the store may have stored it
		if errors.Is(err, errNotSent) {
			status = 503
		}
		answer(w, status, map[string]any{"error": err.Error()}, "")
		return
	}
	for _, reply := range replies {
		if e, ok := reply.(storeError); ok {
			answer(w, 503, map[string]any{"error": e.Error()}, "")
			return
		}
	}
	answer(w, 201, map[string]any{"id": id}, regionOf(c.write))
}

func (c *cart) get(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	reply, served, err := c.read([]string{"GET", "cart:" + id})
	if err != nil {
		answer(w, 503, map[string]any{"error": err.Error()}, "")
		return
	}
	if reply == nil {
		answer(w, 404, map[string]any{"error": "no such cart"}, served)
		return
	}
	answer(w, 200, map[string]any{"id": id, "cart": reply}, served)
}

func (c *cart) list(w http.ResponseWriter, _ *http.Request) {
	reply, served, err := c.read([]string{"SMEMBERS", "carts"})
	if err != nil {
		answer(w, 503, map[string]any{"error": err.Error()}, "")
		return
	}
	ids := []string{}
	items, _ := reply.([]any)
	for _, item := range items {
		if s, ok := item.(string); ok {
			ids = append(ids, s)
		}
	}
	sort.Strings(ids)
	answer(w, 200, map[string]any{"ids": ids}, served)
}

func answer(w http.ResponseWriter, status int, body map[string]any, served string) {
	w.Header().Set("Content-Type", "application/json")
	if served != "" {
		w.Header().Set("X-Served-From", served)
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// regionOf reads the region from a store's name: kv.<region>.<domain>:<port> (none for
// the global name, whose region is whichever is primary now).
func regionOf(endpoint string) string {
	parts := strings.Split(endpoint, ".")
	if len(parts) > 2 && parts[1] != "global" {
		return parts[1]
	}
	return ""
}

func splitList(s string) []string {
	out := []string{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
