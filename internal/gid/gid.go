// Package gid makes the IDs of every entity: UUIDv7 values that also carry
// their entity type, and the opaque GraphQL IDs derived from them.
//
// The type lives in the 12 "rand_a" bits of the UUIDv7, so the database keeps
// plain time-ordered uuid columns while any ID, on its own, says which table it
// belongs to. That is what lets node(id:) resolve every type with one lookup and
// lets the API refuse an ID of the wrong type before touching the database.
package gid

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// ErrInvalid is returned for IDs that are malformed or of the wrong type.
var ErrInvalid = errors.New("invalid id")

// Type is the GraphQL type name of an entity, e.g. "Lead".
type Type string

// Entity types and their codes. Codes are stored inside every ID ever issued:
// never change or reuse one.
const (
	Workspace        Type = "Workspace"
	User             Type = "User"
	Team             Type = "Team"
	Territory        Type = "Territory"
	Partner          Type = "Partner"
	Lead             Type = "Lead"
	APIKey           Type = "APIKey"
	Pool             Type = "Pool"
	Pipeline         Type = "Pipeline"
	Stage            Type = "Stage"
	TagGroup         Type = "TagGroup"
	Tag              Type = "Tag"
	FieldDefinition  Type = "FieldDefinition"
	StageChange      Type = "StageChange"
	LostReason       Type = "LostReason"
	FollowUp         Type = "FollowUp"
	Deal             Type = "Deal"
	OwnerChange      Type = "OwnerChange"
	AssignmentRule   Type = "AssignmentRule"
	ScoringRule      Type = "ScoringRule"
	Segment          Type = "Segment"
	Broadcast        Type = "Broadcast"
	Delivery         Type = "Delivery"
	Event            Type = "Event"
	Suppression      Type = "Suppression"
	Channel          Type = "Channel"
	Notification     Type = "Notification"
	PolicyRule       Type = "PolicyRule"
	AuditLog         Type = "AuditLog"
	IngestBatch      Type = "IngestBatch"
	LeadTag          Type = "LeadTag"
	SourceTouch      Type = "SourceTouch"
	AssignmentTarget Type = "AssignmentTarget"
	ScoreHit         Type = "ScoreHit"
	SegmentVersion   Type = "SegmentVersion"
	OutboxTask       Type = "OutboxTask"
	WeComContact     Type = "WeComContact"
	WeComCallback    Type = "WeComCallback"
	Job              Type = "Job"
	JobFile          Type = "JobFile"
	Journey          Type = "Journey"
	JourneyVersion   Type = "JourneyVersion"
	Enrollment       Type = "Enrollment"
	StepRun          Type = "StepRun"
	Task             Type = "Task"
	ContactWay       Type = "ContactWay"
	ContactWayAdd    Type = "ContactWayAdd"
	WeComGroupMsg    Type = "WeComGroupMsg"
	SavedView        Type = "SavedView"
	// DuplicateDismissal is a duplicate group marked 不是重复.
	DuplicateDismissal Type = "DuplicateDismissal"
	// WeComUploadDay counts a workspace's WeCom image uploads of one day.
	WeComUploadDay Type = "WeComUploadDay"
	// WeComMedia is a file kept for WeCom attachments (uploadWeComMedia).
	WeComMedia Type = "WeComMedia"
)

var codes = map[Type]uint16{
	Workspace: 1, User: 2, Team: 3, Territory: 4, Partner: 5, Lead: 6, APIKey: 7,
	Pool: 8, Pipeline: 9, Stage: 10, TagGroup: 11, Tag: 12, FieldDefinition: 13,
	StageChange: 14, LostReason: 15, FollowUp: 16, Deal: 17, OwnerChange: 18,
	AssignmentRule: 19, ScoringRule: 20, Segment: 21, Broadcast: 22, Delivery: 23,
	Event: 24, Suppression: 25, Channel: 26, Notification: 27, PolicyRule: 28,
	AuditLog: 29, IngestBatch: 30, LeadTag: 31, SourceTouch: 32,
	AssignmentTarget: 33, ScoreHit: 34, SegmentVersion: 35, OutboxTask: 36,
	WeComContact: 37, WeComCallback: 38,
	// Jobs take codes from 60 so that the WeCom layer's next types keep theirs.
	Job: 60, JobFile: 61, ContactWay: 62, ContactWayAdd: 63, WeComGroupMsg: 64,
	// Journeys (#23) take codes from 70, clear of the types other work adds meanwhile.
	Journey: 70, JourneyVersion: 71, Enrollment: 72, StepRun: 73,
	// The WeCom upload counter follows the WeCom layer's types.
	WeComUploadDay: 65,
	// WeCom's stored media (#22).
	WeComMedia: 66,
	// Tasks (#23) take 45; the WeCom layer's contact-way types take 62-64.
	Task: 45,
	// Saved views (#24).
	SavedView: 46,
	// Duplicate review (#24) takes 80, clear of the types other work adds meanwhile.
	DuplicateDismissal: 80,
}

var types = func() map[uint16]Type {
	m := make(map[uint16]Type, len(codes))
	for t, c := range codes {
		m[c] = t
	}
	return m
}()

// New returns a fresh UUIDv7 of type t. It panics for an unknown type, which is
// a programming error caught by the first test that creates such an entity.
func New(t Type) uuid.UUID {
	code, ok := codes[t]
	if !ok {
		panic(fmt.Sprintf("gid: unknown type %q", t))
	}
	id := uuid.Must(uuid.NewV7())
	// Bytes 6-7: 4 version bits then 12 bits of rand_a, which we replace.
	id[6] = 0x70 | byte(code>>8)&0x0f
	id[7] = byte(code)
	return id
}

// TypeOf returns the entity type carried by id.
func TypeOf(id uuid.UUID) (Type, bool) {
	if id.Version() != 7 {
		return "", false
	}
	t, ok := types[uint16(id[6]&0x0f)<<8|uint16(id[7])]
	return t, ok
}

// Encode returns the opaque GraphQL ID of id: base64url("<Type>:<uuid>").
func Encode(id uuid.UUID) string {
	t, ok := TypeOf(id)
	if !ok {
		t = "Unknown"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(string(t) + ":" + id.String()))
}

// Decode parses an opaque GraphQL ID and checks that the type in its text is the
// type carried by the uuid.
func Decode(s string) (uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: not an opaque id", ErrInvalid)
	}
	name, raw, ok := strings.Cut(string(b), ":")
	if !ok {
		return uuid.Nil, fmt.Errorf("%w: not an opaque id", ErrInvalid)
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%w: not an opaque id", ErrInvalid)
	}
	if t, ok := TypeOf(id); !ok || string(t) != name {
		return uuid.Nil, fmt.Errorf("%w: type does not match", ErrInvalid)
	}
	return id, nil
}

// DecodeAs decodes s and requires it to be an ID of type t.
func DecodeAs(s string, t Type) (uuid.UUID, error) {
	id, err := Decode(s)
	if err != nil {
		return uuid.Nil, err
	}
	if got, _ := TypeOf(id); got != t {
		return uuid.Nil, fmt.Errorf("%w: expected a %s id, got a %s id", ErrInvalid, t, got)
	}
	return id, nil
}
