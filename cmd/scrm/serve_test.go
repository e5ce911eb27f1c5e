package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/scrmhq/scrm/internal/demo"
	"github.com/scrmhq/scrm/internal/platform"
	"github.com/scrmhq/scrm/internal/testenv"
)

// TestServeEndToEnd builds the binary and runs `scrm serve --demo` the way
// `make run` does, on a database that does not exist yet: it must create and
// migrate it, create the demo workspace, answer Login and Me with the printed
// credentials, and stop cleanly on SIGTERM.
func TestServeEndToEnd(t *testing.T) {
	bin := buildBinary(t)
	dbName := fmt.Sprintf("scrm_e2e_%d", time.Now().UnixNano())
	dbURL := strings.Replace(testenv.ServerURL(), "/postgres?", "/"+dbName+"?", 1)
	t.Cleanup(func() {
		if admin, err := platform.OpenDB(context.Background(), testenv.ServerURL()); err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(dbName) + " WITH (FORCE)")
			admin.Close()
		}
	})
	rd := testenv.NewRedis(t)
	addr := freeAddr(t)

	var out bytes.Buffer
	cmd := exec.Command(bin, "serve", "--demo")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "REDIS_URL="+rd.URL, "SCRM_ADDR="+addr, "SCRM_SECRET=e2e-secret-0123456789")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	base := "http://" + addr
	deadline := time.Now().Add(90 * time.Second)
	for {
		res, err := http.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready in time\n%s", out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.Contains(out.String(), demo.AdminPassword) {
		t.Errorf("serve --demo did not print the demo login:\n%s", out.String())
	}
	gqlAt := func(server, token, q string, vars map[string]any) map[string]any {
		body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		req, _ := http.NewRequest(http.MethodPost, server+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r map[string]any
		if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
			t.Fatal(err)
		}
		if r["errors"] != nil {
			t.Fatalf("errors: %v", r["errors"])
		}
		return r["data"].(map[string]any)
	}
	gql := func(token, q string, vars map[string]any) map[string]any { return gqlAt(base, token, q, vars) }
	login := gql("", `mutation($w:String!,$e:String!,$p:String!){ login(input:{workspace:$w,email:$e,password:$p}){ token } }`,
		map[string]any{"w": demo.Slug, "e": demo.AdminEmail, "p": demo.AdminPassword})
	token := login["login"].(map[string]any)["token"].(string)
	me := gql(token, `{ me { email workspace { slug } } leads(first: 1) { totalCount } }`, nil)
	if me["me"].(map[string]any)["email"] != demo.AdminEmail || me["leads"].(map[string]any)["totalCount"].(float64) < 1000 {
		t.Errorf("me/leads = %v", me)
	}

	// A second api process over the same database, warmed before a field
	// exists, serves the field typed on its next request (issue #4).
	addr2 := freeAddr(t)
	var out2 bytes.Buffer
	api2 := exec.Command(bin, "serve", "--roles", "api")
	api2.Env = append(os.Environ(), "DATABASE_URL="+dbURL, "REDIS_URL="+rd.URL, "SCRM_ADDR="+addr2, "SCRM_SECRET=e2e-secret-0123456789")
	api2.Stdout, api2.Stderr = &out2, &out2
	if err := api2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = api2.Process.Kill(); _ = api2.Wait() })
	base2 := "http://" + addr2
	waitReady(t, base2, &out2)
	gqlAt(base2, token, `{ leads(first: 1) { edges { node { id } } } }`, nil)
	gql(token, `mutation { createFieldDefinition(input: {key: "typed_probe", label: "Probe", type: NUMBER}) { id } }`, nil)
	probe := gqlAt(base2, token, `{ leads(first: 1, where: {typed_probeIsNil: true}, orderBy: {field: TYPED_PROBE}) { edges { node { p: typed_probe } } } }`, nil)
	if edges := probe["leads"].(map[string]any)["edges"].([]any); len(edges) != 1 || edges[0].(map[string]any)["node"].(map[string]any)["p"] != nil {
		t.Errorf("typed field through the second process = %v", probe)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30s of SIGTERM\n%s", out.String())
	}
	for _, want := range []string{"api shutting down", "worker shutting down", "scheduler shutting down", "stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// waitReady waits for /readyz of a server started by the test.
func waitReady(t *testing.T, base string, out *bytes.Buffer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready in time\n%s", base, out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		":8080":            "http://localhost:8080",
		"0.0.0.0:8080":     "http://localhost:8080",
		"[::]:8080":        "http://localhost:8080",
		"127.0.0.1:9000":   "http://127.0.0.1:9000",
		"[::1]:9000":       "http://[::1]:9000",
		"scrm.internal:80": "http://scrm.internal:80",
	} {
		if got := baseURL(addr); got != want {
			t.Errorf("baseURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
