package app

import (
	"sync"

	"github.com/silenceper/wechat/v2/util"

	"github.com/scrmhq/scrm/internal/egress"
)

var weComEgress sync.Once

// useWeComEgress gives the WeCom library, which sends every request through
// one process-wide client (util.DefaultHTTPClient, http.DefaultClient
// without a timeout unless set), a client with timeouts that connects only
// where the policy allows. The first policy of the process is kept: a
// process builds its services once.
func useWeComEgress(p egress.Policy) {
	weComEgress.Do(func() { util.DefaultHTTPClient = p.Client() })
}
