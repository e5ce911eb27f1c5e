// The task centre's operations beyond the contract's myTasks/completeTask:
// tasks made by hand, the managers' team view, changing and cancelling,
// and the lead page's tasks.
import { graphql } from '../gql';

export const TeamTaskRowFragment = graphql(`
  fragment TeamTaskRow on Task {
    ...TaskRow
    assignee { id name }
  }
`);

export const TeamTasksDoc = graphql(`
  query TeamTasks($where: TaskFilter, $first: Int, $after: Cursor) {
    tasks(where: $where, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...TeamTaskRow } }
    }
  }
`);

export const TaskAssigneesDoc = graphql(`
  query TaskAssignees {
    users(first: 1000, orderBy: { field: NAME, direction: ASC }) {
      edges { node { id name active team { id name manager { id } } } }
    }
  }
`);

export const CreateTaskDoc = graphql(`
  mutation CreateTask($input: CreateTaskInput!) {
    createTask(input: $input) { ...TeamTaskRow }
  }
`);

export const CancelTaskDoc = graphql(`
  mutation CancelTask($id: ID!, $note: String) {
    cancelTask(id: $id, note: $note) { ...TaskRow }
  }
`);

export const UpdateTaskDoc = graphql(`
  mutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {
    updateTask(id: $id, input: $input) { ...TeamTaskRow }
  }
`);

// The lead page's 任务 tab: its open tasks the viewer sees — with task
// manage those of the viewer and the members of its teams (tasks(where:)),
// else the viewer's own (myTasks, promises once due).
export const LeadTeamTasksDoc = graphql(`
  query LeadTeamTasks($leadID: ID!) {
    tasks(where: { leadID: $leadID }, first: 100) {
      totalCount
      edges { node { ...TeamTaskRow } }
    }
  }
`);

export const LeadMyTasksDoc = graphql(`
  query LeadMyTasks($leadID: ID!) {
    myTasks(leadID: $leadID, first: 100) {
      totalCount
      edges { node { ...TeamTaskRow } }
    }
  }
`);
