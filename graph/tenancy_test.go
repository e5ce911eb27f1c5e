package graph_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/ent/lead"
	"github.com/scrmhq/scrm/graph/generated"
	"github.com/scrmhq/scrm/internal/apitest"
	"github.com/scrmhq/scrm/internal/auth"
	"github.com/scrmhq/scrm/internal/demo"
	"github.com/scrmhq/scrm/internal/gid"
	"github.com/scrmhq/scrm/internal/tenant"
)

// crossCase is one root field called with workspace B's token and workspace
// A's ids. Calls that name an A id must fail with NOT_FOUND or FORBIDDEN; list
// calls must succeed and show nothing of A.
type crossCase struct {
	query   string
	vars    func(a map[string]string) map[string]any
	mustErr bool
	// csv, when set, is sent as the operation's Upload variable of that name.
	csv map[string]apitest.File
	// codes are error codes allowed besides NOT_FOUND and FORBIDDEN: those
	// that say B's own workspace lacks what A has.
	codes []string
}

// call sends the case with token; ids names the ids its vars may refer to.
func (c crossCase) call(api *apitest.API, token string, ids map[string]string) apitest.Response {
	var vars map[string]any
	if c.vars != nil {
		vars = c.vars(ids)
	}
	if strings.HasPrefix(c.query, "subscription") {
		return firstOverSSE(api, token, c.query, vars)
	}
	if c.csv == nil {
		return api.Do(token, c.query, vars)
	}
	if vars == nil {
		vars = map[string]any{}
	}
	for name := range c.csv {
		vars[name] = nil
	}
	return api.Upload(token, c.query, vars, c.csv)
}

var crossTenantCases = map[string]crossCase{
	"Query.fieldDefinitions":            {query: `{ fieldDefinitions(entity: LEAD, includeArchived: true) { id key } }`},
	"Query.fieldTypes":                  {query: `{ fieldTypes { type operators masked } }`},
	"Mutation.createFieldDefinition":    {query: `mutation { createFieldDefinition(input:{key:"budget", label:"B", type: NUMBER}) { id } }`},
	"Mutation.updateFieldDefinition":    {query: `mutation($id:ID!){ updateFieldDefinition(id:$id, input:{label:"x"}) { id } }`, vars: aID("field"), mustErr: true},
	"Mutation.archiveFieldDefinition":   {query: `mutation($id:ID!){ archiveFieldDefinition(id:$id) { id } }`, vars: aID("field"), mustErr: true},
	"Mutation.unarchiveFieldDefinition": {query: `mutation($id:ID!){ unarchiveFieldDefinition(id:$id) { id } }`, vars: aID("field"), mustErr: true},
	"Mutation.createPipeline":           {query: `mutation { createPipeline(input:{name:"p", stages:[{key:"a", name:"A"}]}) { id } }`},
	"Mutation.addStage":                 {query: `mutation($id:ID!){ addStage(pipelineID:$id, input:{key:"x", name:"X"}) { id } }`, vars: aID("pipeline"), mustErr: true},
	"Mutation.updateStage":              {query: `mutation($id:ID!){ updateStage(id:$id, input:{name:"x"}) { id } }`, vars: aID("stage"), mustErr: true},
	"Mutation.reorderStages": {query: `mutation($p:ID!, $s:ID!){ reorderStages(pipelineID:$p, stageIDs:[$s]) { id } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"p": a["pipeline"], "s": a["stage"]} }, mustErr: true},
	"Mutation.archiveStage": {query: `mutation($id:ID!){ archiveStage(id:$id) { id } }`, vars: aID("stage"), mustErr: true},
	"Mutation.mergeStage": {query: `mutation($a:ID!, $b:ID!){ mergeStage(id:$a, intoID:$b) { id } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"a": a["stage"], "b": a["stage2"]} }, mustErr: true},
	"Mutation.deleteStage":       {query: `mutation($id:ID!){ deleteStage(id:$id) }`, vars: aID("stage"), mustErr: true},
	"Mutation.updatePipeline":    {query: `mutation($id:ID!){ updatePipeline(id:$id, input:{name:"x"}) { id } }`, vars: aID("pipeline"), mustErr: true},
	"Mutation.createLostReason":  {query: `mutation { createLostReason(name:"太贵") { id } }`},
	"Mutation.archiveLostReason": {query: `mutation($id:ID!){ archiveLostReason(id:$id) { id } }`, vars: aID("lostReason"), mustErr: true},
	"Mutation.suppress":          {query: `mutation($id:ID!){ suppress(input:{kind: DND, leadID:$id}) { id } }`, vars: aID("lead"), mustErr: true},
	"Mutation.createTagGroup":    {query: `mutation { createTagGroup(input:{name:"g", tags:["t"]}) { id } }`},
	"Mutation.createTag":         {query: `mutation($id:ID!){ createTag(input:{name:"x", groupID:$id}) { id } }`, vars: aID("tagGroup"), mustErr: true},
	"Mutation.updateTagGroup":    {query: `mutation($id:ID!){ updateTagGroup(id:$id, input:{name:"x", exclusive:true}) { id } }`, vars: aID("tagGroup"), mustErr: true},
	"Mutation.deleteTagGroup":    {query: `mutation($id:ID!){ deleteTagGroup(id:$id) }`, vars: aID("tagGroup"), mustErr: true},
	"Mutation.updateTag":         {query: `mutation($id:ID!){ updateTag(id:$id, input:{name:"x", clearGroup:true}) { id } }`, vars: aID("tag"), mustErr: true},
	"Mutation.deleteTag":         {query: `mutation($id:ID!){ deleteTag(id:$id) }`, vars: aID("tag"), mustErr: true},
	"Mutation.tagLeads": {query: `mutation($l:ID!, $t:ID!){ tagLeads(leadIDs:[$l], tagIDs:[$t]) { affected } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"l": a["lead"], "t": a["tag"]} }, mustErr: true},
	"Mutation.untagLeads": {query: `mutation($l:ID!, $t:ID!){ untagLeads(leadIDs:[$l], tagIDs:[$t]) { affected } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"l": a["lead"], "t": a["tag"]} }, mustErr: true},
	"Mutation.updateLead": {query: `mutation($id:ID!){ updateLead(id:$id, input:{name:"x"}) { id } }`, vars: aID("lead"), mustErr: true},
	"Mutation.moveLeadStage": {query: `mutation($l:ID!, $s:ID!){ moveLeadStage(id:$l, stageID:$s) { id } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"l": a["lead"], "s": a["stage"]} }, mustErr: true},

	"Mutation.ingestLeads": {query: `mutation($p:String!, $r:ID!){ ingestLeads(input:{leads:[{phone:$p}, {phone:"13912345678", referrerID:$r}]}){ created merged results { status lead { id } errors { code } } } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"p": a["phone"], "r": a["lead"]} }},
	"Mutation.mergeLeads": {query: `mutation($a:ID!, $b:ID!){ mergeLeads(primaryID:$a, duplicateIDs:[$b]) { id } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"a": a["lead"], "b": a["lead2"]} }, mustErr: true},
	"Mutation.createFollowUp": {query: `mutation($id:ID!){ createFollowUp(input:{leadID:$id, kind: CALL}) { id } }`, vars: aID("lead"), mustErr: true},
	"Mutation.createDeal":     {query: `mutation($id:ID!){ createDeal(input:{leadID:$id, amount: 1}) { id } }`, vars: aID("lead"), mustErr: true},
	"Mutation.trackEvents": {query: `mutation($id:ID!, $p:String!){ trackEvents(events:[{leadID:$id, name:"x"}, {phone:$p, name:"y"}]) { accepted rejected } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"id": a["lead"], "p": a["phone"]} }},
	"Query.notifications":           {query: `{ notifications { id message lead { id } } }`},
	"Query.notificationPage":        {query: `{ notificationPage { totalCount edges { node { id message lead { id } } } } }`},
	"Query.unreadNotificationCount": {query: `{ unreadNotificationCount }`},
	// Over SSE (call) a subscription's first event is the resync; the
	// websocket's cross-user case is TestNotificationsPushedAcrossProcesses.
	"Subscription.notificationAdded": {query: `subscription { notificationAdded { unreadCount notification { id message lead { id } } } }`},
	"Mutation.markNotificationsRead": {query: `mutation { markNotificationsRead }`},

	"Query.assignmentRules":    {query: `{ assignmentRules { id targets { user { id } } fallbackPool { id } } }`},
	"Query.scoringRules":       {query: `{ scoringRules { id } }`},
	"Query.tierThresholds":     {query: `{ tierThresholds { a b c } }`},
	"Query.overdueFollowUps":   {query: `query($id:ID!){ overdueFollowUps(ownerID:$id) { id lead { id } } }`, vars: aID("user")},
	"Mutation.createPool":      {query: `mutation($id:ID!){ createPool(input:{name:"x", territoryIDs:[$id]}){ id } }`, vars: aID("territory"), mustErr: true},
	"Mutation.updatePool":      {query: `mutation($id:ID!){ updatePool(id:$id, input:{name:"hijacked"}){ id } }`, vars: aID("pool"), mustErr: true},
	"Mutation.claimLeads":      {query: `mutation($id:ID!){ claimLeads(ids:[$id]){ claimed { id } failures { code } } }`, vars: aID("lead")},
	"Mutation.releaseLeads":    {query: `mutation($id:ID!){ releaseLeads(ids:[$id]){ released } }`, vars: aID("lead")},
	"Mutation.assignLeads":     {query: `mutation($id:ID!){ assignLeads(ids:[$id]){ assigned failures { code } } }`, vars: aID("lead")},
	"Mutation.distributeLeads": {query: `mutation($id:ID!){ distributeLeads(ids:[$id]){ assigned } }`, vars: aID("lead"), mustErr: true},
	"Mutation.recyclePools":    {query: `mutation { recyclePools { recycled leadIDs } }`},
	"Mutation.createAssignmentRule": {query: `mutation($id:ID!){ createAssignmentRule(input:{name:"x", strategy: ROUND_ROBIN, targets:[{userID:$id}]}){ id } }`,
		vars: aID("user"), mustErr: true},
	"Mutation.updateAssignmentRule": {query: `mutation($id:ID!){ updateAssignmentRule(id:$id, input:{enabled:false}){ id } }`, vars: aID("assignmentRule"), mustErr: true},
	"Mutation.deleteAssignmentRule": {query: `mutation($id:ID!){ deleteAssignmentRule(id:$id) }`, vars: aID("assignmentRule"), mustErr: true},
	"Mutation.createScoringRule":    {query: `mutation { createScoringRule(input:{name:"x", condition:"lead.hasPhone", points: 5}){ id } }`},
	"Mutation.updateScoringRule":    {query: `mutation($id:ID!){ updateScoringRule(id:$id, input:{points: 1}){ id } }`, vars: aID("scoringRule"), mustErr: true},
	"Mutation.deleteScoringRule":    {query: `mutation($id:ID!){ deleteScoringRule(id:$id) }`, vars: aID("scoringRule"), mustErr: true},
	"Mutation.setTierThresholds":    {query: `mutation { setTierThresholds(input:{a: 90, b: 60, c: 30}){ a } }`},

	"Query.broadcasts":          {query: `{ broadcasts { totalCount edges { node { id stats { targeted } } } } }`},
	"Mutation.configureChannel": {query: `mutation { configureChannel(key:"webhook", config:{url:"https://hooks.example.com/b", secret:"b-webhook-secret-0123"}) { id key config } }`},
	"Mutation.createBroadcast": {query: `mutation($id:ID!){ createBroadcast(input:{name:"x", segmentID:$id, channel:"webhook", template:"x"}) { id } }`,
		vars: aID("segment"), mustErr: true},
	"Mutation.cancelBroadcast":     {query: `mutation($id:ID!){ cancelBroadcast(id:$id) { id status } }`, vars: aID("broadcast"), mustErr: true},
	"Query.weComMassSend":          {query: `query($id:ID!){ weComMassSend(broadcastID:$id) { members { userID } } }`, vars: aID("broadcast"), mustErr: true},
	"Mutation.remindWeComMassSend": {query: `mutation($id:ID!){ remindWeComMassSend(broadcastID:$id) { reminded } }`, vars: aID("broadcast"), mustErr: true},
	// A's lead is WeCom customer wmTenancyA: B finds no lead, and B has no WeCom application or member.
	"Query.weComCustomer": {query: `{ weComCustomer(externalUserID:"wmTenancyA") { reason mine lead { id } } }`},
	"Query.weComJsSdkConfig": {query: `{ weComJsSdkConfig(url:"http://127.0.0.1/wecom/sidebar") { corpID signature } }`,
		mustErr: true, codes: []string{"CONFLICT"}},
	"Mutation.addWeComCustomerLead": {query: `mutation { addWeComCustomerLead(externalUserID:"wmTenancyA") { reason lead { id } } }`,
		mustErr: true, codes: []string{"CONFLICT"}},
	"Query.channels":    {query: `{ channels { id key } }`},
	"Query.funnel":      {query: `{ funnel(from:"2026-01-01T00:00:00Z", to:"2028-01-01T00:00:00Z", groupBy: OWNER) { group label steps { step count } } }`},
	"Query.leaderboard": {query: `{ leaderboard(from:"2026-01-01T00:00:00Z", to:"2028-01-01T00:00:00Z") { user { id } deals amount } }`},
	"Query.segments":    {query: `{ segments { totalCount edges { node { id memberCount members { totalCount edges { node { id } } } } } } }`},
	"Query.previewSegment": {query: `query($t:ID!, $s:ID!){ previewSegment(rule:{or:[{tag:{any:[$t]}}, {segment:$s}]}){ count sample { id } } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"t": a["tag"], "s": a["segment"]} }, mustErr: true},
	"Mutation.createSegment":  {query: `mutation($id:ID!){ createSegment(input:{name:"x", rule:{segment:$id}}){ id } }`, vars: aID("segment"), mustErr: true},
	"Mutation.updateSegment":  {query: `mutation($id:ID!){ updateSegment(id:$id, input:{name:"hijacked"}){ id } }`, vars: aID("segment"), mustErr: true},
	"Mutation.refreshSegment": {query: `mutation($id:ID!){ refreshSegment(id:$id){ id } }`, vars: aID("segment"), mustErr: true},
	"Mutation.deleteSegment":  {query: `mutation($id:ID!){ deleteSegment(id:$id) }`, vars: aID("segment"), mustErr: true},

	"Query.me":   {query: `{ me { id workspace { id } } }`},
	"Query.node": {query: `query($id:ID!){ node(id:$id){ id } }`, vars: aID("lead"), mustErr: true},
	"Query.nodes": {query: `query($ids:[ID!]!){ nodes(ids:$ids){ id } }`, vars: func(a map[string]string) map[string]any {
		return map[string]any{"ids": []string{a["lead"], a["user"], a["territory"]}}
	}, mustErr: true},
	"Query.apiKeys":     {query: `{ apiKeys { id name } }`},
	"Query.leads":       {query: `query($id:ID!){ leads(where:{id:$id}){ totalCount edges { node { id } } } }`, vars: aID("lead")},
	"Query.lostReasons": {query: `{ lostReasons { id } }`},
	"Query.partners":    {query: `{ partners { id } }`},
	"Query.pipelines":   {query: `{ pipelines { id stages { id } } }`},
	"Query.pools":       {query: `{ pools { id } }`},
	"Query.myWorkload":  {query: `{ myWorkload { openLeads capacity claimsToday overdueFollowUps month { leads } } }`},
	"Query.claimBlocks": {query: `query($id:ID!){ claimBlocks(ids:[$id]) { leadID code until } }`, vars: aID("lead")},
	// Tasks: B's list holds none of A's, and A's task cannot be completed by B.
	"Query.myTasks":         {query: `{ myTasks(status: OPEN) { totalCount edges { node { id lead { id } } } } }`},
	"Mutation.completeTask": {query: `mutation($id:ID!){ completeTask(id:$id, note:"x"){ id status } }`, vars: aID("task"), mustErr: true},
	// B's admin sees every task of B's (task manage) and none of A's; B cannot
	// give A's user a task about A's lead, nor change or cancel A's task.
	"Query.tasks": {query: `{ tasks(where:{anyStatus: true}) { totalCount edges { node { id assignee { id } lead { id } } } } }`},
	"Mutation.createTask": {query: `mutation($u:ID!, $l:ID!, $d:Time!){ createTask(input:{title:"x", dueAt:$d, assigneeID:$u, leadID:$l}){ id } }`,
		vars: func(a map[string]string) map[string]any {
			return map[string]any{"u": a["user"], "l": a["lead"], "d": a["tomorrow"]}
		}, mustErr: true},
	"Mutation.updateTask": {query: `mutation($id:ID!){ updateTask(id:$id, input:{title:"hijacked"}){ id } }`, vars: aID("task"), mustErr: true},
	"Mutation.cancelTask": {query: `mutation($id:ID!){ cancelTask(id:$id){ id status } }`, vars: aID("task"), mustErr: true},
	// Contact-way codes: B's list holds none of A's, and B cannot put A's users or tags on a code.
	"Query.contactWays": {query: `{ contactWays { id name users { id } tags { id } } }`},
	"Mutation.createContactWay": {query: `mutation($u:ID!, $t:ID!){ createContactWay(input:{name:"x", userIDs:[$u], tagIDs:[$t]}){ id } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"u": a["user"], "t": a["tag"]} }, mustErr: true},
	"Mutation.updateContactWay":  {query: `mutation($id:ID!){ updateContactWay(id:$id, input:{name:"hijacked"}){ id } }`, vars: aID("contactWay"), mustErr: true},
	"Mutation.deleteContactWay":  {query: `mutation($id:ID!){ deleteContactWay(id:$id) }`, vars: aID("contactWay"), mustErr: true},
	"Mutation.restoreContactWay": {query: `mutation($id:ID!){ restoreContactWay(id:$id) { id } }`, vars: aID("contactWay"), mustErr: true},
	// Saved views: B's list holds none of A's, shared or not; B reaches none by id.
	"Query.savedViews":         {query: `{ savedViews(list: LEADS) { id owner { id } } }`},
	"Mutation.saveView":        {query: `mutation { saveView(input:{list: LEADS, name:"a's view", state:{}, shared: true}) { id owner { id } } }`},
	"Mutation.updateSavedView": {query: `mutation($id:ID!){ updateSavedView(id:$id, input:{name:"hijacked"}){ id } }`, vars: aID("savedView"), mustErr: true},
	"Mutation.deleteSavedView": {query: `mutation($id:ID!){ deleteSavedView(id:$id) }`, vars: aID("savedView"), mustErr: true},
	"Query.tags":               {query: `{ tags { id } }`},
	"Query.tagGroups":          {query: `{ tagGroups { id tags { id } } }`},
	"Query.teams":              {query: `{ teams { id members { id } } }`},
	"Query.territories":        {query: `{ territories { id children { id } } }`},
	"Query.users":              {query: `query($id:ID!){ users(where:{id:$id}){ totalCount edges { node { id } } } }`, vars: aID("user")},

	"Mutation.login":            {query: `mutation { login(input:{workspace:"wb", email:"admin@demo.scrm.dev", password:"demo-admin-2026"}){ token } }`, mustErr: true},
	"Mutation.createAPIKey":     {query: `mutation { createAPIKey(input:{name:"k"}){ apiKey { id } } }`},
	"Query.permissions":         {query: `{ permissions { role resource action } }`},
	"Mutation.grantPermission":  {query: `mutation { grantPermission(role:"rep", resource:"lead.contact", action:"read") }`},
	"Mutation.revokePermission": {query: `mutation { revokePermission(role:"manager", resource:"lead", action:"assign") }`},
	"Mutation.revokeAPIKey":     {query: `mutation($id:ID!){ revokeAPIKey(id:$id){ id } }`, vars: aID("apiKey"), mustErr: true},
	"Mutation.createTerritory":  {query: `mutation($id:ID!){ createTerritory(input:{name:"x", parentID:$id}){ id } }`, vars: aID("territory"), mustErr: true},
	"Mutation.updateTerritory":  {query: `mutation($id:ID!){ updateTerritory(id:$id, input:{name:"x", clearParent:true}){ id } }`, vars: aID("territory"), mustErr: true},
	"Mutation.deleteTerritory":  {query: `mutation($id:ID!){ deleteTerritory(id:$id) }`, vars: aID("territory"), mustErr: true},
	"Mutation.createUser": {query: `mutation($t:ID!){ createUser(input:{name:"x", email:"x@wb.test", password:"password-x", roles:["rep"], teamID:$t}){ id } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"t": a["team"]} }, mustErr: true},
	"Mutation.updateUser": {query: `mutation($id:ID!){ updateUser(id:$id, input:{name:"hijacked"}){ id } }`, vars: aID("user"), mustErr: true},
	"Mutation.createTeam": {query: `mutation($id:ID!){ createTeam(input:{name:"x", managerID:$id}){ id } }`, vars: aID("user"), mustErr: true},
	// Jobs: B's import and export reach only B's leads (A's lead id matches
	// none of them); A's job is invisible to B.
	"Mutation.importLeads": {query: `mutation($csv: Upload!){ importLeads(csv:$csv, mapping:{columns:{phone:"phone"}}) { id status } }`,
		csv: map[string]apitest.File{"csv": {Name: "b.csv", Data: []byte("phone\n13912345670\n")}}},
	"Mutation.exportLeads":       {query: `mutation($id:ID!){ exportLeads(where:{id:$id}) { id status } }`, vars: aID("lead")},
	"Mutation.cancelJob":         {query: `mutation($id:ID!){ cancelJob(id:$id) { id status } }`, vars: aID("job"), mustErr: true},
	"Query.jobs":                 {query: `{ jobs { totalCount edges { node { id kind createdBy { id } } } } }`},
	"Mutation.syncWeComContacts": {query: `mutation { syncWeComContacts { id status } }`},
	// B has no WeCom corp: its upload is a CONFLICT, never sent to A's corp.
	"Mutation.uploadWeComImage": {query: `mutation($file: Upload!){ uploadWeComImage(file:$file) }`,
		csv:     map[string]apitest.File{"file": {Name: "b.png", Data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU")}},
		mustErr: true, codes: []string{"CONFLICT"}},
	// B lists only its own media and cannot delete A's.
	"Query.weComMedia":          {query: `{ weComMedia { totalCount edges { node { id uploadedBy { id } } usedBy { id } } } }`},
	"Mutation.deleteWeComMedia": {query: `mutation($id:ID!){ deleteWeComMedia(id:$id) }`, vars: aID("media"), mustErr: true},
	// B's file is kept in B (no WeCom call until a send).
	"Mutation.uploadWeComMedia": {query: `mutation($file: Upload!){ uploadWeComMedia(type: FILE, file:$file) { id filename } }`,
		csv: map[string]apitest.File{"file": {Name: "b.pdf", Data: []byte("%PDF-1.4 B's file")}}},

	// Bulk updates: A's lead matches nothing of B's, and A's stage does not exist for B.
	"Mutation.bulkUpdateLeads": {query: `mutation($id:ID!, $stage:ID!){ bulkUpdateLeads(where:{id:$id}, action:{moveStage:{stageID:$stage}}) { matched job { id } } }`,
		vars: func(ids map[string]string) map[string]any {
			return map[string]any{"id": ids["lead"], "stage": ids["stage"]}
		}, mustErr: true},
	// Duplicate review: B's groups hold none of A's leads.
	"Query.duplicateGroups": {query: `{ duplicateGroups(kind: PHONE) { totalCount edges { node { key leads { id } } } } }`},
	// B cannot dismiss or restore a group of A's leads: they are NOT_FOUND for B.
	"Mutation.dismissDuplicateGroup": {query: `mutation($a:ID!, $b:ID!){ dismissDuplicateGroup(kind: PHONE, leadIDs:[$a, $b]) }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"a": a["lead"], "b": a["lead2"]} }, mustErr: true},
	"Mutation.restoreDuplicateGroup": {query: `mutation($a:ID!, $b:ID!){ restoreDuplicateGroup(kind: PHONE, leadIDs:[$a, $b]) }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"a": a["lead"], "b": a["lead2"]} }, mustErr: true},

	// Journeys: B cannot build on A's tags, stages or segments, nor touch A's journey.
	"Mutation.createJourney": {query: `mutation($t:ID!){ createJourney(input:{name:"x", trigger:{tagAdded:{tagID:$t}}, steps:[{wait:{hours:1}}]}) { id } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"t": a["tag"]} }, mustErr: true},
	"Query.journeys":            {query: `{ journeys { totalCount edges { node { id } } } }`},
	"Mutation.updateJourney":    {query: `mutation($id:ID!){ updateJourney(id:$id, input:{name:"hijacked"}) { id } }`, vars: aID("journey"), mustErr: true},
	"Mutation.setJourneyStatus": {query: `mutation($id:ID!){ setJourneyStatus(id:$id, status: PAUSED) { id status } }`, vars: aID("journey"), mustErr: true},
	"Mutation.enrollLeads": {query: `mutation($j:ID!, $l:ID!){ enrollLeads(journeyID:$j, leadIDs:[$l]) { enrolled skipped } }`,
		vars: func(a map[string]string) map[string]any { return map[string]any{"j": a["journey"], "l": a["lead"]} }, mustErr: true},
	"Mutation.createPartner": {query: `mutation($id:ID!){ createPartner(input:{name:"x", territoryIDs:[$id]}){ id } }`, vars: aID("territory"), mustErr: true},
}

func aID(key string) func(map[string]string) map[string]any {
	return func(a map[string]string) map[string]any { return map[string]any{"id": a[key]} }
}

// TestCrossTenant calls every root field with workspace B's token and
// workspace A's ids: each fails with NOT_FOUND or FORBIDDEN or shows none of
// A's data, and the database is byte-for-byte unchanged afterwards.
func TestCrossTenant(t *testing.T) {
	api := apitest.New(t)
	ctx := context.Background()
	res, err := demo.Ensure(ctx, api.DB.Client, 60, 7) // workspace A: the demo data set
	if err != nil {
		t.Fatal(err)
	}
	aCtx := tenant.NewContext(ctx, res.Workspace.ID)
	aToken := api.Login(demo.Slug, demo.AdminEmail, demo.AdminPassword)
	api.MustDo(aToken, `mutation { createAPIKey(input:{name:"a-key"}){ key } }`, nil, nil)
	_, bToken := api.Workspace("wb")

	c := api.DB.Client
	a := map[string]string{}
	first := func(ids []uuid.UUID, err error) string {
		if err != nil || len(ids) == 0 {
			t.Fatalf("workspace A fixture: %v (%d ids)", err, len(ids))
		}
		return gid.Encode(ids[0])
	}
	a["lead"] = first(c.Lead.Query().IDs(aCtx))
	aLeads, err := c.Lead.Query().Where(lead.PhoneNotNil()).Limit(2).All(aCtx)
	if err != nil || len(aLeads) < 2 {
		t.Fatalf("A's leads with phones: %v", err)
	}
	a["lead"], a["lead2"], a["phone"] = gid.Encode(aLeads[0].ID), gid.Encode(aLeads[1].ID), *aLeads[0].Phone
	a["user"] = first(c.User.Query().IDs(aCtx))
	a["territory"] = first(c.Territory.Query().IDs(aCtx))
	a["team"] = first(c.Team.Query().IDs(aCtx))
	a["apiKey"] = first(c.APIKey.Query().IDs(aCtx))
	a["field"] = first(c.FieldDefinition.Query().IDs(aCtx))
	a["pipeline"] = first(c.Pipeline.Query().IDs(aCtx))
	stages, err := c.Stage.Query().IDs(aCtx)
	if err != nil || len(stages) < 2 {
		t.Fatalf("A's stages: %v", err)
	}
	a["stage"], a["stage2"] = gid.Encode(stages[0]), gid.Encode(stages[1])
	a["tagGroup"] = first(c.TagGroup.Query().IDs(aCtx))
	a["tag"] = first(c.Tag.Query().IDs(aCtx))
	a["lostReason"] = first(c.LostReason.Query().IDs(aCtx))
	a["pool"] = first(c.Pool.Query().IDs(aCtx))
	a["assignmentRule"] = first(c.AssignmentRule.Query().IDs(aCtx))
	a["scoringRule"] = first(c.ScoringRule.Query().IDs(aCtx))
	a["segment"] = first(c.Segment.Query().IDs(aCtx))
	// A scheduled broadcast of A's, to a configured channel.
	api.MustDo(aToken, `mutation { configureChannel(key:"webhook", config:{url:"https://hooks.example.com/a", secret:"a-webhook-secret-0123"}) { id } }`, nil, nil)
	// A's WeCom corp, which B's calls must never reach.
	api.MustDo(aToken, `mutation { configureChannel(key:"wecom", config:{corpId:"wwa0000000000001", contactSecret:"a-contact-secret", agentId:1000002}) { id } }`, nil, nil)
	var bc struct{ CreateBroadcast struct{ ID string } }
	api.MustDo(aToken, `mutation($s:ID!){ createBroadcast(input:{name:"a", segmentID:$s, channel:"webhook", template:"hi", scheduledAt:"2099-01-01T00:00:00Z"}) { id } }`,
		map[string]any{"s": a["segment"]}, &bc)
	a["broadcast"] = bc.CreateBroadcast.ID
	// A queued export job and an active manual journey of A's.
	var ex struct{ ExportLeads struct{ ID string } }
	api.MustDo(aToken, `mutation { exportLeads { id } }`, nil, &ex)
	a["job"] = ex.ExportLeads.ID
	api.MustDo(aToken, `mutation($id:ID!){ cancelJob(id:$id) { id } }`, map[string]any{"id": a["job"]}, nil)
	var jr struct{ CreateJourney struct{ ID string } }
	api.MustDo(aToken, `mutation { createJourney(input:{name:"a", trigger:{manual:{}}, steps:[{wait:{days:1}}]}) { id } }`, nil, &jr)
	a["journey"] = jr.CreateJourney.ID
	// An open task of A's admin on A's lead, due now.
	aLead, _ := gid.Decode(a["lead"])
	aUser, _ := gid.Decode(a["user"])
	tk, err := c.Task.Create().SetTitle("a's call").SetDueAt(api.Clock.Now().Add(-time.Hour)).SetAssigneeID(aUser).SetLeadID(aLead).Save(aCtx)
	if err != nil {
		t.Fatal(err)
	}
	a["task"] = gid.Encode(tk.ID)
	// A's lead is a WeCom customer (weComCustomer).
	if err := c.Lead.UpdateOneID(aLead).SetWecomExternalUserID("wmTenancyA").Exec(aCtx); err != nil {
		t.Fatal(err)
	}
	a["tomorrow"] = api.Clock.Now().Add(24 * time.Hour).Format(time.RFC3339)
	// A contact-way code of A's (as add_contact_way would have made it).
	cw, err := c.ContactWay.Create().SetName("a's code").SetState("cwaaaaaaaaaaaaaa").SetConfigID("cfg-a").
		SetQrCodeURL("https://wework.qpic.cn/a.png").SetUserIds([]uuid.UUID{aUser}).SetTagIds([]uuid.UUID{}).Save(aCtx)
	if err != nil {
		t.Fatal(err)
	}
	a["contactWay"] = gid.Encode(cw.ID)
	// A stored medium of A's.
	md, err := c.WeComMedia.Create().SetType("FILE").SetFilename("a.pdf").SetSize(9).SetData([]byte("%PDF-1.4 ")).
		SetUploadedByID(aUser).Save(aCtx)
	if err != nil {
		t.Fatal(err)
	}
	a["media"] = gid.Encode(md.ID)
	// A shared saved view of A's admin.
	var sv struct{ SaveView struct{ ID string } }
	api.MustDo(aToken, `mutation { saveView(input:{list: LEADS, name:"a's view", state:{}, shared: true}) { id } }`, nil, &sv)
	a["savedView"] = sv.SaveView.ID

	// Every id A owns, to make sure none shows up in any of B's responses.
	var aIDs []string
	for _, table := range []string{"users", "teams", "territories", "partners", "leads", "api_keys", "pools", "pipelines", "stages", "tag_groups", "tags", "lost_reasons", "field_definitions", "assignment_rules", "assignment_targets", "scoring_rules", "owner_changes", "jobs", "journeys", "tasks", "contact_ways", "saved_views", "wecom_media"} {
		rows, err := api.DB.DB.QueryContext(ctx, fmt.Sprintf(`SELECT id FROM %s WHERE tenant_id = $1`, table), res.Workspace.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			aIDs = append(aIDs, gid.Encode(id))
		}
		rows.Close()
	}
	aIDs = append(aIDs, gid.Encode(res.Workspace.ID))

	before := snapshotOf(t, api, res.Workspace.ID)
	for field := range rootFields(t) {
		tc, ok := crossTenantCases[field]
		if !ok {
			t.Errorf("root field %s has no cross-tenant case: add one to crossTenantCases", field)
			continue
		}
		t.Run(field, func(t *testing.T) {
			token := bToken
			if field == "Mutation.login" {
				token = ""
			}
			r := tc.call(api, token, a)
			body := string(r.Data)
			for _, id := range aIDs {
				if strings.Contains(body, id) {
					t.Fatalf("response shows workspace A's id %s: %s", id, body)
				}
			}
			if !tc.mustErr {
				if len(r.Errors) > 0 {
					t.Fatalf("unexpected errors: %+v", r.Errors)
				}
				return
			}
			if len(r.Errors) == 0 {
				t.Fatalf("no error; data %s", body)
			}
			for _, e := range r.Errors {
				switch {
				case e.Code() == "NOT_FOUND", e.Code() == "FORBIDDEN", slices.Contains(tc.codes, e.Code()):
				case e.Code() == "UNAUTHENTICATED":
					if field != "Mutation.login" {
						t.Errorf("code %s: %s", e.Code(), e.Message)
					}
				default:
					t.Errorf("code %s (want NOT_FOUND or FORBIDDEN): %s", e.Code(), e.Message)
				}
			}
		})
	}
	after := snapshotOf(t, api, res.Workspace.ID)
	for table, sum := range before {
		if after[table] != sum {
			t.Errorf("workspace A's rows in %s changed during B's calls", table)
		}
	}
	// A's policy is untouched by B's grant and revoke.
	aAllowed, err := api.Authz().Allowed(aCtx, &auth.Viewer{TenantID: res.Workspace.ID, Roles: []string{"manager"}}, "lead", "assign")
	if err != nil || !aAllowed {
		t.Errorf("A's manager lost lead assign after B's revoke: %v %v", aAllowed, err)
	}
	var aKeys int
	if err := api.DB.DB.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE tenant_id = $1 AND revoked_at IS NULL`, res.Workspace.ID).Scan(&aKeys); err != nil || aKeys != 1 {
		t.Errorf("A's live api keys = %d, %v; want 1", aKeys, err)
	}
}

// rootFields lists every root field the served schema has.
func rootFields(t *testing.T) map[string]bool {
	t.Helper()
	s := generated.NewExecutableSchema(generated.Config{}).Schema()
	out := map[string]bool{}
	for _, typ := range []string{"Query", "Mutation", "Subscription"} {
		def := s.Types[typ]
		if def == nil {
			continue
		}
		for _, f := range def.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				out[typ+"."+f.Name] = true
			}
		}
	}
	return out
}

// snapshot returns a checksum of every table's full contents.
func snapshot(t *testing.T, api *apitest.API) map[string]string {
	t.Helper()
	rows, err := api.DB.DB.Query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	sort.Strings(tables)
	out := map[string]string{}
	for _, tb := range tables {
		var sum *string
		// Table names come from the catalogue, not from input.
		if err := api.DB.DB.QueryRow(fmt.Sprintf(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM %q t`, tb)).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if sum != nil {
			out[tb] = *sum
		} else {
			out[tb] = ""
		}
	}
	return out
}

// snapshotOf returns a checksum per table of workspace ws's rows (its own
// row for workspaces; whole tables for the join tables without tenant_id).
func snapshotOf(t *testing.T, api *apitest.API, ws uuid.UUID) map[string]string {
	t.Helper()
	rows, err := api.DB.DB.Query(`SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public' WHERE c.relkind IN ('r', 'p')`)
	if err != nil {
		t.Fatal(err)
	}
	type tbl struct {
		name   string
		tenant bool
	}
	var tables []tbl
	for rows.Next() {
		var x tbl
		if err := rows.Scan(&x.name, &x.tenant); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, x)
	}
	rows.Close()
	out := map[string]string{}
	for _, tb := range tables {
		where, args := "", []any{}
		switch {
		case tb.name == "workspaces":
			where, args = " WHERE t.id = $1", []any{ws}
		case tb.tenant:
			where, args = " WHERE t.tenant_id = $1", []any{ws}
		}
		var sum *string
		// Table names come from the catalogue, not from input. The outbox
		// relay (running beside the api) marks A's tasks sent whenever it
		// gets to them: what the tasks say is compared, not their delivery.
		row := "t::text"
		if tb.name == "outbox_tasks" {
			row = "(t.id, t.task_type, t.payload, t.queue)::text"
		}
		if err := api.DB.DB.QueryRow(fmt.Sprintf(`SELECT md5(string_agg(%[1]s, '|' ORDER BY %[1]s)) FROM %[2]q t%[3]s`, row, tb.name, where), args...).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		out[tb.name] = ""
		if sum != nil {
			out[tb.name] = *sum
		}
	}
	if len(out) < 15 {
		t.Fatalf("snapshot saw only %d tables", len(out))
	}
	return out
}

// firstOverSSE runs a subscription over Server-Sent Events and returns its
// first event as a response, or the answer when the server refused the
// stream (401 UNAUTHENTICATED). A transport failure is an error of code
// TRANSPORT, which no case allows.
func firstOverSSE(api *apitest.API, token, query string, vars map[string]any) apitest.Response {
	fail := func(err error) apitest.Response {
		return apitest.Response{Errors: []apitest.Error{{Message: err.Error(), Extensions: map[string]any{"code": "TRANSPORT"}}}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wsDeadline)
	defer cancel()
	resp, err := requestSSE(ctx, api, token, query, vars)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	var out apitest.Response
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		err = json.NewDecoder(resp.Body).Decode(&out)
		out.Status = resp.StatusCode
		if err != nil {
			return fail(err)
		}
		return out
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			if err := json.Unmarshal([]byte(data), &out); err != nil {
				return fail(err)
			}
			out.Status = resp.StatusCode
			return out
		}
	}
	return fail(fmt.Errorf("the stream ended without an event: %v", sc.Err()))
}
