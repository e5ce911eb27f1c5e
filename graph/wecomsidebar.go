package graph

import (
	"github.com/scrmhq/scrm/graph/model"
	"github.com/scrmhq/scrm/internal/wecom"
)

// weComCustomer is the sidebar's customer in the API's shape.
func weComCustomer(c *wecom.Customer) *model.WeComCustomer {
	return &model.WeComCustomer{ExternalUserID: c.ExternalUserID, Lead: c.Lead,
		Reason: model.WeComCustomerReason(c.Reason), Mine: c.Mine}
}
