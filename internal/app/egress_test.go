package app

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/silenceper/wechat/v2/util"

	"github.com/scrmhq/scrm/internal/egress"
)

// The WeCom library's process-wide client gets timeouts and the egress
// policy: the cloud metadata address, refused by every policy, is not
// dialled (http.DefaultClient would try, and wait without a timeout).
func TestWeComLibraryClientIsGuarded(t *testing.T) {
	none, _ := egress.Parse("none")
	useWeComEgress(none)
	if util.DefaultHTTPClient == http.DefaultClient || util.DefaultHTTPClient.Timeout == 0 {
		t.Fatalf("the WeCom library's client = %+v", util.DefaultHTTPClient)
	}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://169.254.169.254/cgi-bin/gettoken", nil)
	if _, err := util.DefaultHTTPClient.Do(req); !errors.Is(err, egress.ErrRefused) {
		t.Errorf("GET the metadata address: %v, want ErrRefused", err)
	}
}
