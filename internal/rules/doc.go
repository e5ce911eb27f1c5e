// Package rules is the condition language of scoring and assignment rules:
// CEL (https://cel.dev) expressions over one lead, type-checked against the
// workspace's custom fields when a rule is saved, and evaluated in Go over
// facts loaded set-based for a batch of leads.
//
// # Variables
//
// lead, the lead's built-in fields:
//
//	lead.name            string
//	lead.company         string
//	lead.source          string     channel the lead came from
//	lead.sourceDetail    string
//	lead.status          string     "ACTIVE", "MERGED" or "ARCHIVED"
//	lead.score           int        not in scoring conditions
//	lead.tier            string     "A".."D", "" before the first scoring; not in scoring conditions
//	lead.stage           string     the stage's key ("new", "won", ...), "" without a stage
//	lead.stageKind       string     "OPEN", "WON", "LOST", "" without a stage
//	lead.territory       string     the territory's name, ""  when none
//	lead.pool            string     the pool's name, "" when none
//	lead.owned           bool       a rep owns it (private pool)
//	lead.referred        bool       it has a referrer (转介绍)
//	lead.hasPhone        bool
//	lead.hasEmail        bool
//	lead.reachable       list(string)  channels: "PHONE", "SMS", "WECOM", "OFFICIAL_ACCOUNT", "EMAIL"
//	lead.createdAt       timestamp
//	lead.claimedAt       timestamp  optional: test with has(lead.claimedAt)
//	lead.lastFollowUpAt  timestamp  optional: test with has(lead.lastFollowUpAt)
//
// attributes, the workspace's custom fields (archived ones are not
// available), each typed by its field type:
//
//	NUMBER, MONEY                                  double
//	TEXT, LONG_TEXT, EMAIL, PHONE, URL, SELECT     string (a SELECT holds the option's value)
//	BOOLEAN                                        bool
//	DATE, DATETIME                                 timestamp (a DATE is midnight UTC)
//	MULTI_SELECT                                   list(string) of option values
//
// tags, list(string): the names of the lead's tags ("vip" in tags).
//
// now, timestamp: the time of the evaluation (now - lead.createdAt <
// duration("72h")).
//
// eventCount(name, days), int: how many events called name the lead had in
// the last days days (occurred_at after now − days×24h). name must be a
// string literal and days an integer literal from 1 to 365, so that a
// batch's counts are read in one query before evaluation.
//
// Everything else is standard CEL: && || ! ?:, comparisons, arithmetic, in,
// size, contains, startsWith, endsWith, matches (RE2), exists/all/filter/map
// over lists, timestamp("2025-01-01T00:00:00Z"), duration("24h"), has(), and
// timestamp accessors (getHours(), getDayOfWeek()...; UTC unless given a
// zone: getHours("Asia/Shanghai")). Numbers of different types order
// (attributes.budget > 1000), and integer literals compared with == != or in
// with a NUMBER or MONEY field are read as doubles (attributes.budget ==
// 1000); other equality needs one type (lead.score == 10, not 10.0). For
// example:
//
//	attributes.budget >= 10000.0 && "vip" in tags
//	lead.source == "wechat" && eventCount("page_view", 7) >= 3
//	has(attributes.signup_date) && now - attributes.signup_date < duration("720h")
//	!lead.owned && lead.stageKind == "OPEN"
//
// # Absent values
//
// A custom field without a value (never set, emptied, or holding a value of
// an older definition of another type), lead.claimedAt and
// lead.lastFollowUpAt can be absent. has(attributes.x) tells; reading an
// absent value makes the evaluation fail, and a failed evaluation (also:
// overflow, division by zero, the cost limit) means "does not match". So
// attributes.budget < 100.0 does not match a lead without a budget, and
// neither does !(attributes.budget >= 100.0); write
// !has(attributes.budget) || attributes.budget < 100.0 to include them.
//
// # Checks
//
// A condition is refused when saved if it does not parse, names an unknown
// variable, lead field or custom field ("attributes.budgt: no custom field
// "budgt""), misuses a type (attributes.budget > "x"), is not of type bool,
// calls eventCount with non-literal arguments, is longer than MaxLength
// bytes, or, for scoring, reads lead.score or lead.tier. Each message starts
// with the line:column of the problem. At run time an evaluation is limited
// to MaxCost units of work.
package rules
