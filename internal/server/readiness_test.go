package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// fakeRedis answers PING, SELECT and CONFIG GET from conf over RESP2; with
// conf nil, CONFIG is an unknown command (renamed away, as managed Redis
// services do). Every other command is unknown.
func fakeRedis(t *testing.T, conf map[string]string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveRESP(c, conf)
		}
	}()
	return l.Addr().String()
}

func serveRESP(c net.Conn, conf map[string]string) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		var reply string
		switch cmd := strings.ToUpper(args[0]); {
		case cmd == "PING":
			reply = "+PONG\r\n"
		case cmd == "SELECT":
			reply = "+OK\r\n"
		case cmd == "CONFIG" && conf != nil && len(args) == 3 && strings.EqualFold(args[1], "GET"):
			v, ok := conf[args[2]]
			if !ok {
				reply = "*0\r\n"
				break
			}
			reply = fmt.Sprintf("*2\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(args[2]), args[2], len(v), v)
		default:
			reply = fmt.Sprintf("-ERR unknown command '%s'\r\n", args[0])
		}
		if _, err := c.Write([]byte(reply)); err != nil {
			return
		}
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad command %q", line)
	}
	args := make([]string, n)
	for i := range args {
		if _, err := r.ReadString('\n'); err != nil { // $len
			return nil, err
		}
		v, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		args[i] = strings.TrimSuffix(v, "\r\n")
	}
	return args, nil
}

// TestRedisPersistence: /readyz says how Redis keeps its data, from CONFIG
// GET, and "unknown" when it cannot tell.
func TestRedisPersistence(t *testing.T) {
	cases := []struct {
		name string
		conf map[string]string // nil: CONFIG disabled
		up   bool
		want map[string]string
	}{
		{"aof", map[string]string{"appendonly": "yes", "appendfsync": "everysec", "save": ""}, true,
			map[string]string{"redis_persistence": "aof", "redis_appendfsync": "everysec"}},
		{"rdb", map[string]string{"appendonly": "no", "appendfsync": "everysec", "save": "3600 1 300 100"}, true,
			map[string]string{"redis_persistence": "rdb", "redis_save": "3600 1 300 100"}},
		{"both", map[string]string{"appendonly": "yes", "appendfsync": "always", "save": "900 1"}, true,
			map[string]string{"redis_persistence": "aof+rdb", "redis_appendfsync": "always", "redis_save": "900 1"}},
		{"none", map[string]string{"appendonly": "no", "appendfsync": "everysec", "save": ""}, true,
			map[string]string{"redis_persistence": "none"}},
		{"config disabled", nil, true, map[string]string{"redis_persistence": "unknown"}},
		{"a parameter missing", map[string]string{"appendonly": "yes"}, true, map[string]string{"redis_persistence": "unknown"}},
		{"redis down", map[string]string{"appendonly": "yes", "appendfsync": "always", "save": ""}, false,
			map[string]string{"redis_persistence": "unknown"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rdb := redis.NewClient(&redis.Options{Addr: fakeRedis(t, tc.conf), DB: 1})
			defer rdb.Close()
			got := redisPersistence(context.Background(), rdb, tc.up)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v; want %v", got, tc.want)
			}
		})
	}
}
