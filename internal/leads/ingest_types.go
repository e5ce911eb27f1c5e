package leads

import (
	"time"

	"github.com/google/uuid"
)

// Row is one lead as a client, a form or an import file sends it. Strings are
// raw: Ingest cleans them. Empty means "not given".
type Row struct {
	ExternalID string `json:"externalID,omitempty"`
	// WeComExternalUserID is the customer's external_userid in the
	// workspace's WeCom corp (set by internal/wecom).
	WeComExternalUserID string         `json:"wecomExternalUserID,omitempty"`
	Name                string         `json:"name,omitempty"`
	Phone               string         `json:"phone,omitempty"`
	Email               string         `json:"email,omitempty"`
	UnionID             string         `json:"unionID,omitempty"`
	OpenID              string         `json:"openID,omitempty"`
	Company             string         `json:"company,omitempty"`
	Source              string         `json:"source,omitempty"`
	SourceDetail        string         `json:"sourceDetail,omitempty"`
	TerritoryID         *uuid.UUID     `json:"territoryID,omitempty"`
	ReferrerID          *uuid.UUID     `json:"referrerID,omitempty"`
	Attributes          map[string]any `json:"attributes,omitempty"`
	// Tags are tag names; missing tags are created (without a group).
	Tags []string `json:"tags,omitempty"`
}

// Status is what became of a row.
type Status string

// Row statuses.
const (
	StatusCreated  Status = "CREATED"
	StatusMerged   Status = "MERGED"
	StatusRejected Status = "REJECTED"
)

// RowError is one problem with a row, at a field path of the row
// ("phone", "attributes.budget", "tags[2]").
type RowError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Row error codes beyond the field validator's (INVALID_VALUE, REQUIRED,
// UNKNOWN_FIELD, ARCHIVED_FIELD, DUPLICATE).
const (
	CodeNoIdentity  = "NO_IDENTITY"
	CodeBlacklisted = "BLACKLISTED"
	CodeNotFound    = "NOT_FOUND"
	CodeInvalid     = "INVALID_VALUE"
	CodeDuplicate   = "DUPLICATE"
)

// RowResult is the answer for the row at Index of the batch.
type RowResult struct {
	Index   int        `json:"index"`
	Status  Status     `json:"status"`
	LeadID  uuid.UUID  `json:"leadID,omitzero"`
	OwnerID *uuid.UUID `json:"ownerID,omitempty"`
	Errors  []RowError `json:"errors,omitempty"`
}

// Result is the answer for a batch: counts and one RowResult per row, in order.
type Result struct {
	Created  int         `json:"created"`
	Merged   int         `json:"merged"`
	Rejected int         `json:"rejected"`
	Rows     []RowResult `json:"rows"`
	// Replayed is true when the answer was stored by an earlier request with
	// the same idempotency key and nothing was written now.
	Replayed bool `json:"-"`
}

// Batch is one ingest request.
type Batch struct {
	// IdempotencyKey (optional) makes a retry of the same request return the
	// first answer without writing anything.
	IdempotencyKey string
	// Source is used for rows that name none ("api", "import", ...).
	Source string
	Rows   []Row
	// Actor is the user (or nil for API keys and the system) who sent it.
	Actor *uuid.UUID
	// PartnerID marks new leads as the partner's (a partner upload), so the
	// partner's scope can see them.
	PartnerID *uuid.UUID
	// Now overrides the clock (tests).
	Now time.Time
}

// MaxRows is the most rows one Batch of Ingest may carry; the REST endpoint
// splits bigger inputs.
const MaxRows = 5000

// MaxFileRows is the most rows one Batch of IngestFile may carry.
const MaxFileRows = 50000
