package graph

import (
	"entgo.io/contrib/entgql"

	"github.com/scrmhq/scrm/ent"
	"github.com/scrmhq/scrm/internal/gid"
)

// A Job is a node: node(id:) reads it from jobs, where internal/scope keeps
// it to its creator and the viewers with job manage.
func init() { nodeTables[gid.Job] = "jobs" }

// The jobs list's page: 20 jobs when the client asks for none, at most 50.
const (
	jobsPageSize = 20
	jobsMaxPage  = 50
)

// jobsNewestFirst is the order of the jobs list (ties by id).
var jobsNewestFirst = &ent.JobOrder{Direction: entgql.OrderDirectionDesc, Field: ent.JobOrderFieldCreatedAt}
