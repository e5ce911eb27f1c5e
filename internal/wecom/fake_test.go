package wecom_test

import "github.com/scrmhq/scrm/internal/wecom/wecomfake"

// The fake WeCom lives in wecomfake so that the API's tests (graph) use the
// same one.
type (
	fakeWeCom = wecomfake.Server
	customer  = wecomfake.Customer
	callback  = wecomfake.Callback
)

var newFakeWeCom = wecomfake.New
