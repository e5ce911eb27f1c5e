// Every GraphQL operation the app sends. Types come from GraphQL Code
// Generator (npm run codegen) against graph/schema, so a query that does not
// match the served schema fails the build.
import { graphql } from '../gql';

// ---------------------------------------------------------------- session

export const LoginDoc = graphql(`
  mutation Login($workspace: String!, $email: String!, $password: String!) {
    login(input: { workspace: $workspace, email: $email, password: $password }) {
      token
      expiresAt
      user { id name email roles }
    }
  }
`);

export const MeDoc = graphql(`
  query Me {
    me {
      id name email roles
      workspace { id slug name }
      team { id name }
      territories { id name }
      partner { id name }
    }
  }
`);

export const PermissionsDoc = graphql(`
  query Permissions($role: String) {
    permissions(role: $role) { role resource action }
  }
`);

export const NotificationsDoc = graphql(`
  query Notifications($unreadOnly: Boolean, $first: Int) {
    notifications(unreadOnly: $unreadOnly, first: $first) {
      id kind message createdAt readAt lead { id name } task { id }
    }
  }
`);

export const MarkNotificationsReadDoc = graphql(`
  mutation MarkNotificationsRead($ids: [ID!]) {
    markNotificationsRead(ids: $ids)
  }
`);

// ---------------------------------------------------------------- workspace metadata

export const FieldDefinitionsDoc = graphql(`
  query FieldDefinitions($includeArchived: Boolean) {
    fieldDefinitions(entity: LEAD, includeArchived: $includeArchived) {
      id key label helpText type required unique pattern min max position
      indexed indexStatus indexError archived defaultValue
      options { value label graphqlName }
    }
    fieldTypes { type operators masked widget sortable settings { options pattern bounds maxLength } }
  }
`);

export const PipelinesDoc = graphql(`
  query Pipelines {
    pipelines {
      id name isDefault position
      stages(includeArchived: false) { id key name position kind probability rotDays funnelStep color archived }
    }
    lostReasons { id name archived position }
  }
`);

export const TagsDoc = graphql(`
  query Tags {
    tagGroups { id name exclusive position wecomCorpTag tags { id name color wecomCorpTag } }
    tags { id name color wecomCorpTag group { id name } }
  }
`);

export const UsersDoc = graphql(`
  query Users {
    users(first: 1000, orderBy: { field: NAME, direction: ASC }) {
      totalCount
      edges {
        node {
          id name email roles capacity dailyClaimLimit active lastLoginAt wecomUserID
          team { id name }
          partner { id name }
          territories { id name }
        }
      }
    }
  }
`);

export const OrgDoc = graphql(`
  query Org {
    teams { id name manager { id name } members { id name } }
    partners { id name territories { id name } }
    territories { id name parent { id } }
  }
`);

export const TerritoriesDoc = graphql(`
  query Territories {
    territories { id name parent { id } }
  }
`);

export const PoolsDoc = graphql(`
  query Pools {
    pools {
      id name isDefault recycleNoFollowUpDays recycleNoDealDays remindBeforeDays
      cooldownDays protectionDays dailyClaimLimit
      territories { id name }
      teams { id name }
      admins { id name }
    }
  }
`);

// ---------------------------------------------------------------- leads

// Custom fields are not in the row: a list adds the columns it shows as the
// workspace's typed fields at run time (lib/typedFields withTypedFields).
export const LeadRowFragment = graphql(`
  fragment LeadRow on Lead {
    id seq name phone email company source sourceDetail status score tier locked
    owner { id name }
    pool { id name }
    stage { id key name kind color }
    tags { id name color }
    territory { id name }
    claimedAt protectedUntil lastFollowUpAt createdAt updatedAt
  }
`);

// The leads list's page: its count is asked apart (LeadsTotalDoc), so the
// rows of a large workspace are drawn without waiting for it.
export const LeadsDoc = graphql(`
  query Leads($first: Int, $after: Cursor, $where: LeadWhereInput, $orderBy: LeadOrder) {
    leads(first: $first, after: $after, where: $where, orderBy: $orderBy) {
      pageInfo { hasNextPage endCursor }
      edges { node { ...LeadRow } }
    }
  }
`);

// A page of leads with their count in one answer (the pool and the kanban).
export const LeadsCountedDoc = graphql(`
  query LeadsCounted($first: Int, $after: Cursor, $where: LeadWhereInput, $orderBy: LeadOrder) {
    leads(first: $first, after: $after, where: $where, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...LeadRow } }
    }
  }
`);

export const LeadDoc = graphql(`
  query Lead($id: ID!) {
    node(id: $id) {
      __typename
      ... on Lead {
        # Custom fields are not here: the lead page adds them as typed fields
        # at run time (lib/typedFields withTypedFields), not as attributes.
        id seq name phone email company source sourceDetail status score tier locked
        owner { id name }
        pool { id name }
        tags { id name color }
        territory { id name }
        claimedAt protectedUntil lastFollowUpAt createdAt updatedAt
        externalID unionID openID reachableChannels
        partner { id name }
        referrer { id name }
        stage { id key name kind color pipeline { id } }
        followUps { id kind content outcome nextFollowUpAt createdAt author { id name } }
        stageChanges { id reason at from { id name } to { id name kind } by { id name } lostReason { id name } }
        ownerChanges { id kind by reason at fromUser { id name } toUser { id name } actor { id name } pool { id name } rule { id name } }
        deals { id amount currency closedAt repurchase owner { id name } }
        wecomContacts { id externalUserID addedAt lostAt state contactWay { id name deleted } user { id name } }
      }
    }
  }
`);

export const IngestLeadsDoc = graphql(`
  mutation IngestLeads($input: IngestLeadsInput!) {
    ingestLeads(input: $input) {
      created merged rejected
      results { index status lead { id name owner { id name } pool { id name } } errors { field code message } }
    }
  }
`);

export const UpdateLeadDoc = graphql(`
  mutation UpdateLead($id: ID!, $input: UpdateLeadInput!) {
    updateLead(id: $id, input: $input) { ...LeadRow }
  }
`);

export const TagLeadsDoc = graphql(`
  mutation TagLeads($leadIDs: [ID!]!, $tagIDs: [ID!]!) {
    tagLeads(leadIDs: $leadIDs, tagIDs: $tagIDs) { affected }
  }
`);

export const UntagLeadsDoc = graphql(`
  mutation UntagLeads($leadIDs: [ID!]!, $tagIDs: [ID!]!) {
    untagLeads(leadIDs: $leadIDs, tagIDs: $tagIDs) { affected }
  }
`);

export const MoveLeadStageDoc = graphql(`
  mutation MoveLeadStage($id: ID!, $stageID: ID!, $reason: String, $lostReasonID: ID) {
    moveLeadStage(id: $id, stageID: $stageID, reason: $reason, lostReasonID: $lostReasonID) { id stage { id key name kind } }
  }
`);

export const ClaimLeadsDoc = graphql(`
  mutation ClaimLeads($ids: [ID!]!) {
    claimLeads(ids: $ids) {
      claimed { id name owner { id name } claimedAt protectedUntil }
      failures { leadID code message until limit pool }
    }
  }
`);

export const ReleaseLeadsDoc = graphql(`
  mutation ReleaseLeads($ids: [ID!]!, $reason: String) {
    releaseLeads(ids: $ids, reason: $reason) { released }
  }
`);

export const AssignLeadsDoc = graphql(`
  mutation AssignLeads($ids: [ID!]!, $ownerID: ID, $reason: String) {
    assignLeads(ids: $ids, ownerID: $ownerID, reason: $reason) {
      assigned
      failures { leadID code message until limit pool }
    }
  }
`);

export const CreateFollowUpDoc = graphql(`
  mutation CreateFollowUp($input: CreateFollowUpInput!) {
    createFollowUp(input: $input) { id kind lead { id lastFollowUpAt } }
  }
`);

export const CreateDealDoc = graphql(`
  mutation CreateDeal($input: CreateDealInput!) {
    createDeal(input: $input) { id amount currency lead { id } }
  }
`);

// ---------------------------------------------------------------- custom fields

export const CreateFieldDefinitionDoc = graphql(`
  mutation CreateFieldDefinition($input: CreateFieldDefinitionInput!) {
    createFieldDefinition(input: $input) { id key label type position }
  }
`);

export const UpdateFieldDefinitionDoc = graphql(`
  mutation UpdateFieldDefinition($id: ID!, $input: UpdateFieldDefinitionInput!) {
    updateFieldDefinition(id: $id, input: $input) { id label position }
  }
`);

export const ArchiveFieldDefinitionDoc = graphql(`
  mutation ArchiveFieldDefinition($id: ID!) {
    archiveFieldDefinition(id: $id) { id archived }
  }
`);

export const UnarchiveFieldDefinitionDoc = graphql(`
  mutation UnarchiveFieldDefinition($id: ID!) {
    unarchiveFieldDefinition(id: $id) { id archived }
  }
`);

// ---------------------------------------------------------------- pipelines

export const CreatePipelineDoc = graphql(`
  mutation CreatePipeline($input: CreatePipelineInput!) {
    createPipeline(input: $input) { id name }
  }
`);

export const UpdatePipelineDoc = graphql(`
  mutation UpdatePipeline($id: ID!, $input: UpdatePipelineInput!) {
    updatePipeline(id: $id, input: $input) { id name isDefault }
  }
`);

export const AddStageDoc = graphql(`
  mutation AddStage($pipelineID: ID!, $input: StageInput!) {
    addStage(pipelineID: $pipelineID, input: $input) { id }
  }
`);

export const UpdateStageDoc = graphql(`
  mutation UpdateStage($id: ID!, $input: UpdateStageInput!) {
    updateStage(id: $id, input: $input) { id name }
  }
`);

export const ReorderStagesDoc = graphql(`
  mutation ReorderStages($pipelineID: ID!, $stageIDs: [ID!]!) {
    reorderStages(pipelineID: $pipelineID, stageIDs: $stageIDs) { id }
  }
`);

export const ArchiveStageDoc = graphql(`
  mutation ArchiveStage($id: ID!) {
    archiveStage(id: $id) { id archived }
  }
`);

export const MergeStageDoc = graphql(`
  mutation MergeStage($id: ID!, $intoID: ID!) {
    mergeStage(id: $id, intoID: $intoID) { id archived }
  }
`);

export const DeleteStageDoc = graphql(`
  mutation DeleteStage($id: ID!) {
    deleteStage(id: $id)
  }
`);

export const CreateLostReasonDoc = graphql(`
  mutation CreateLostReason($name: String!) {
    createLostReason(name: $name) { id name }
  }
`);

export const ArchiveLostReasonDoc = graphql(`
  mutation ArchiveLostReason($id: ID!) {
    archiveLostReason(id: $id) { id archived }
  }
`);

// ---------------------------------------------------------------- tags

export const CreateTagGroupDoc = graphql(`
  mutation CreateTagGroup($input: CreateTagGroupInput!) {
    createTagGroup(input: $input) { id name exclusive tags { id name } }
  }
`);

export const CreateTagDoc = graphql(`
  mutation CreateTag($input: CreateTagInput!) {
    createTag(input: $input) { id name color group { id } }
  }
`);

// ---------------------------------------------------------------- pools and rules

export const CreatePoolDoc = graphql(`
  mutation CreatePool($input: CreatePoolInput!) {
    createPool(input: $input) { id name }
  }
`);

export const UpdatePoolDoc = graphql(`
  mutation UpdatePool($id: ID!, $input: UpdatePoolInput!) {
    updatePool(id: $id, input: $input) { id name }
  }
`);

export const RecyclePoolsDoc = graphql(`
  mutation RecyclePools($dryRun: Boolean) {
    recyclePools(dryRun: $dryRun) { recycled reminded leadIDs }
  }
`);

export const RulesDoc = graphql(`
  query Rules {
    assignmentRules {
      id name priority condition strategy dailyCap enabled
      fallbackPool { id name }
      targets { id weight user { id name } }
    }
    scoringRules { id name condition points decayDays enabled }
    tierThresholds { a b c }
  }
`);

export const CreateAssignmentRuleDoc = graphql(`
  mutation CreateAssignmentRule($input: CreateAssignmentRuleInput!) {
    createAssignmentRule(input: $input) { id }
  }
`);

export const UpdateAssignmentRuleDoc = graphql(`
  mutation UpdateAssignmentRule($id: ID!, $input: UpdateAssignmentRuleInput!) {
    updateAssignmentRule(id: $id, input: $input) { id }
  }
`);

export const DeleteAssignmentRuleDoc = graphql(`
  mutation DeleteAssignmentRule($id: ID!) {
    deleteAssignmentRule(id: $id)
  }
`);

export const CreateScoringRuleDoc = graphql(`
  mutation CreateScoringRule($input: CreateScoringRuleInput!) {
    createScoringRule(input: $input) { id }
  }
`);

export const UpdateScoringRuleDoc = graphql(`
  mutation UpdateScoringRule($id: ID!, $input: UpdateScoringRuleInput!) {
    updateScoringRule(id: $id, input: $input) { id }
  }
`);

export const DeleteScoringRuleDoc = graphql(`
  mutation DeleteScoringRule($id: ID!) {
    deleteScoringRule(id: $id)
  }
`);

export const SetTierThresholdsDoc = graphql(`
  mutation SetTierThresholds($input: TierThresholdsInput!) {
    setTierThresholds(input: $input) { a b c }
  }
`);

// ---------------------------------------------------------------- roles, territories, users

export const GrantPermissionDoc = graphql(`
  mutation GrantPermission($role: String!, $resource: String!, $action: String!) {
    grantPermission(role: $role, resource: $resource, action: $action)
  }
`);

export const RevokePermissionDoc = graphql(`
  mutation RevokePermission($role: String!, $resource: String!, $action: String!) {
    revokePermission(role: $role, resource: $resource, action: $action)
  }
`);

export const CreateTerritoryDoc = graphql(`
  mutation CreateTerritory($input: CreateTerritoryInput!) {
    createTerritory(input: $input) { id name parent { id } }
  }
`);

export const CreateUserDoc = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) { id name }
  }
`);

export const UpdateUserDoc = graphql(`
  mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
    updateUser(id: $id, input: $input) { id name active wecomUserID }
  }
`);

export const CreateTeamDoc = graphql(`
  mutation CreateTeam($input: CreateTeamInput!) {
    createTeam(input: $input) { id name }
  }
`);

export const CreatePartnerDoc = graphql(`
  mutation CreatePartner($input: CreatePartnerInput!) {
    createPartner(input: $input) { id name }
  }
`);

// ---------------------------------------------------------------- segments

export const SegmentsDoc = graphql(`
  query Segments($first: Int, $after: Cursor) {
    segments(first: $first, after: $after, orderBy: { field: UPDATED_AT, direction: DESC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node { id name description kind status error memberCount computedAt refreshEveryMinutes updatedAt }
      }
    }
  }
`);

// The segments a leads list can be narrowed to (its filter panel): names only.
export const SegmentNamesDoc = graphql(`
  query SegmentNames {
    segments(first: 200, orderBy: { field: UPDATED_AT, direction: DESC }) {
      edges { node { id name } }
    }
  }
`);

export const SegmentDoc = graphql(`
  query Segment($id: ID!, $first: Int, $after: Cursor) {
    node(id: $id) {
      __typename
      ... on Segment {
        id name description kind status error memberCount computedAt nextRefreshAt refreshEveryMinutes rule
        members(first: $first, after: $after) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges { node { id name phone source score tier owner { id name } } }
        }
      }
    }
  }
`);

export const PreviewSegmentDoc = graphql(`
  query PreviewSegment($rule: SegmentRuleInput!, $sampleSize: Int) {
    previewSegment(rule: $rule, sampleSize: $sampleSize) { count sample { id name } }
  }
`);

export const CreateSegmentDoc = graphql(`
  mutation CreateSegment($input: CreateSegmentInput!) {
    createSegment(input: $input) { id name kind status memberCount }
  }
`);

export const UpdateSegmentDoc = graphql(`
  mutation UpdateSegment($id: ID!, $input: UpdateSegmentInput!) {
    updateSegment(id: $id, input: $input) { id name status }
  }
`);

export const RefreshSegmentDoc = graphql(`
  mutation RefreshSegment($id: ID!) {
    refreshSegment(id: $id) { id status }
  }
`);

export const DeleteSegmentDoc = graphql(`
  mutation DeleteSegment($id: ID!) {
    deleteSegment(id: $id)
  }
`);

// ---------------------------------------------------------------- broadcasts

export const BroadcastsDoc = graphql(`
  query Broadcasts($first: Int, $after: Cursor) {
    broadcasts(first: $first, after: $after, orderBy: { field: CREATED_AT, direction: DESC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id name channel subject template status scheduledAt startedAt finishedAt ratePerSecond cron error createdAt
          segment { id name }
          frequencyCap { max days }
          quietHours { start end timezone }
          stats { targeted suppressedDnd suppressedBlacklist suppressedCap unreachable pending sent delivered failed replied }
          attachments { type title url picURL desc appID page picMediaID mediaID media { filename } }
        }
      }
    }
  }
`);

export const ChannelsDoc = graphql(`
  query Channels {
    channels { id key enabled config updatedAt }
  }
`);

export const ConfigureChannelDoc = graphql(`
  mutation ConfigureChannel($key: String!, $config: JSON!, $enabled: Boolean) {
    configureChannel(key: $key, config: $config, enabled: $enabled) { id key enabled config }
  }
`);

export const CreateBroadcastDoc = graphql(`
  mutation CreateBroadcast($input: CreateBroadcastInput!) {
    createBroadcast(input: $input) { id status scheduledAt }
  }
`);

export const CancelBroadcastDoc = graphql(`
  mutation CancelBroadcast($id: ID!) {
    cancelBroadcast(id: $id) { id status }
  }
`);

// ---------------------------------------------------------------- measurement

export const FunnelDoc = graphql(`
  query Funnel($from: Time!, $to: Time!, $groupBy: FunnelGroupBy) {
    funnel(from: $from, to: $to, groupBy: $groupBy) {
      group label
      steps { step count rate }
    }
  }
`);

export const LeaderboardDoc = graphql(`
  query Leaderboard($from: Time!, $to: Time!, $limit: Int) {
    leaderboard(from: $from, to: $to, limit: $limit) {
      user { id name }
      leads deals amount conversion
    }
  }
`);

// ---------------------------------------------------------------- home

export const MyWorkloadDoc = graphql(`
  query MyWorkload {
    myWorkload {
      openLeads capacity claimsToday dailyClaimLimit overdueFollowUps
      month { leads deals amount conversion }
    }
  }
`);

// The leads list's count, asked beside its page and not in it: in a large
// workspace the count of every matching lead takes longer than the page, and
// the rows are drawn without waiting for it.
export const LeadsTotalDoc = graphql(`
  query LeadsTotal($where: LeadWhereInput) {
    leads(first: 0, where: $where) { totalCount }
  }
`);

export const LeadCountDoc = graphql(`
  query LeadCount($where: LeadWhereInput) {
    leads(first: 1, where: $where) { totalCount }
  }
`);

export const OverdueFollowUpsDoc = graphql(`
  query OverdueFollowUps($first: Int) {
    overdueFollowUps(first: $first) {
      id kind content nextFollowUpAt
      lead { id name company }
    }
  }
`);

export const ClaimBlocksDoc = graphql(`
  query ClaimBlocks($ids: [ID!]!) {
    claimBlocks(ids: $ids) { leadID code until }
  }
`);

// ---------------------------------------------------------------- tasks (待办)

export const TaskRowFragment = graphql(`
  fragment TaskRow on Task {
    id kind title description status dueAt overdue completedAt note
    lead { id name company }
    assignee { id name }
    createdBy { id name }
    completedBy { id name }
    journey { id name }
  }
`);

export const MyTasksDoc = graphql(`
  query MyTasks($status: TaskStatus, $dueBefore: Time, $kind: TaskKind, $first: Int, $after: Cursor) {
    myTasks(status: $status, dueBefore: $dueBefore, kind: $kind, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...TaskRow } }
    }
  }
`);

export const TaskCountsDoc = graphql(`
  query TaskCounts($endOfDay: Time!, $now: Time!) {
    due: myTasks(status: OPEN, dueBefore: $endOfDay, first: 1) { totalCount }
    overdue: myTasks(status: OPEN, dueBefore: $now, first: 1) { totalCount }
  }
`);

export const CompleteTaskDoc = graphql(`
  mutation CompleteTask($id: ID!, $note: String) {
    completeTask(id: $id, note: $note) { ...TaskRow }
  }
`);

// ---------------------------------------------------------------- WeCom contact-way codes (渠道活码)

export const ContactWaysDoc = graphql(`
  query ContactWays($deleted: Boolean) {
    contactWays(deleted: $deleted) {
      id name state qrCodeURL source strategy welcomeMessage skipVerify createdAt deletedAt
      welcomeAttachments { type title url picURL desc appID page picMediaID mediaID media { filename } }
      attachmentErrors { index type mediaID filename reason errcode }
      users { id name }
      tags { id name color }
      pool { id }
      stats { added lost leadsCreated leadsMerged deals welcomesSent }
    }
  }
`);

export const ContactWayUsersDoc = graphql(`
  query ContactWayUsers {
    users(first: 1000, orderBy: { field: NAME, direction: ASC }) {
      edges { node { id name email active wecomUserID } }
    }
  }
`);

export const CreateContactWayDoc = graphql(`
  mutation CreateContactWay($input: CreateContactWayInput!) {
    createContactWay(input: $input) { id name state qrCodeURL }
  }
`);

export const UpdateContactWayDoc = graphql(`
  mutation UpdateContactWay($id: ID!, $input: UpdateContactWayInput!) {
    updateContactWay(id: $id, input: $input) {
      id name state qrCodeURL source strategy welcomeMessage skipVerify createdAt
      welcomeAttachments { type title url picURL desc appID page picMediaID mediaID media { filename } }
      users { id name }
      tags { id name color }
    }
  }
`);

export const DeleteContactWayDoc = graphql(`
  mutation DeleteContactWay($id: ID!) {
    deleteContactWay(id: $id)
  }
`);

export const RestoreContactWayDoc = graphql(`
  mutation RestoreContactWay($id: ID!) {
    restoreContactWay(id: $id) { id name qrCodeURL deletedAt }
  }
`);

export const UploadWeComImageDoc = graphql(`
  mutation UploadWeComImage($file: Upload!) {
    uploadWeComImage(file: $file)
  }
`);

export const UploadWeComMediaDoc = graphql(`
  mutation UploadWeComMedia($type: WeComMediaType!, $file: Upload!) {
    uploadWeComMedia(type: $type, file: $file) { id type filename size createdAt }
  }
`);

// ---------------------------------------------------------------- WeCom staff mass send (客户群发)

export const WeComMassSendDoc = graphql(`
  query WeComMassSend($broadcastID: ID!) {
    weComMassSend(broadcastID: $broadcastID) {
      staffMassSend remindable autoRemindAfterMinutes
      members {
        userID name wecomUserID templates planned waiting done expired failed cancelled
        customers sent failedDeliveries pending reminders lastRemindedAt atLimit nextReminderAt autoRemindAt
      }
    }
  }
`);

export const RemindWeComMassSendDoc = graphql(`
  mutation RemindWeComMassSend($broadcastID: ID!) {
    remindWeComMassSend(broadcastID: $broadcastID) { reminded alreadySent atLimit refused errors }
  }
`);

export const SyncWeComContactsDoc = graphql(`
  mutation SyncWeComContacts {
    syncWeComContacts { id kind status }
  }
`);

export const JobDoc = graphql(`
  query Job($id: ID!) {
    node(id: $id) {
      __typename
      ... on Job { id kind status total done failed error resultURL }
    }
  }
`);

export const ImportLeadsDoc = graphql(`
  mutation ImportLeads($csv: Upload!, $mapping: JSON!, $idempotencyKey: String) {
    importLeads(csv: $csv, mapping: $mapping, idempotencyKey: $idempotencyKey) { id kind status total done failed error resultURL }
  }
`);

export const ExportLeadsDoc = graphql(`
  mutation ExportLeads($where: LeadWhereInput, $columns: [String!]) {
    exportLeads(where: $where, columns: $columns) { id kind status total done failed error resultURL }
  }
`);

export const CancelJobDoc = graphql(`
  mutation CancelJob($id: ID!) {
    cancelJob(id: $id) { id kind status total done failed error resultURL }
  }
`);

// ---------------------------------------------------------------- bulk on all matching (#24)

export const BulkUpdateLeadsDoc = graphql(`
  mutation BulkUpdateLeads($where: LeadWhereInput!, $action: BulkLeadActionInput!) {
    bulkUpdateLeads(where: $where, action: $action) {
      matched
      changed
      failures { leadID name code reason message until limit pool }
      job { id kind status total done failed error resultURL }
    }
  }
`);
