package org

import (
	"context"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/txn"
)

// Service creates and changes users, territories, teams and partners, in the
// transaction the context carries or in its own.
type Service struct{ client *ent.Client }

// New returns the service over the root client c (app.New builds the one
// the processes use).
func New(c *ent.Client) *Service { return &Service{client: c} }

// db is the client of the transaction ctx carries, else the root client.
func (s *Service) db(ctx context.Context) *ent.Client { return txn.Client(ctx, s.client) }
