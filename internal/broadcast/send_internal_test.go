package broadcast

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/lib/pq"
)

// TestLostConnection: the errors that make the sending loop reconnect
// instead of failing its task (or the broadcast).
func TestLostConnection(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"bad connection", fmt.Errorf("claim: %w", driver.ErrBadConn), true},
		{"eof", io.EOF, true},
		{"unexpected eof", io.ErrUnexpectedEOF, true},
		{"dial refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true},
		{"admin shutdown", &pq.Error{Code: "57P01"}, true},
		{"starting up", &pq.Error{Code: "57P03"}, true},
		{"connection failure", &pq.Error{Code: "08006"}, true},
		{"unique violation", &pq.Error{Code: "23505"}, false},
		{"statement timeout", &pq.Error{Code: "57014"}, false},
		{"channel not configured", errors.New(`channel "webhook" is disabled`), false},
	} {
		if got := lostConnection(tc.err); got != tc.want {
			t.Errorf("%s: lostConnection(%v) = %v; want %v", tc.name, tc.err, got, tc.want)
		}
	}
}
