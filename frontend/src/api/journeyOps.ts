// The SOP journeys' (客户SOP) operations: the list, one journey with its
// counts and enrolments, create / update (a new version when the steps or
// the exit rule change), status changes and manual enrolment.
import { graphql } from '../gql';

export const JourneysDoc = graphql(`
  query Journeys($first: Int, $after: Cursor) {
    journeys(first: $first, after: $after, orderBy: { field: UPDATED_AT, direction: DESC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id name status version reentry trigger createdAt updatedAt
          stats { enrolled active completed exited failed }
        }
      }
    }
  }
`);

export const JourneyDoc = graphql(`
  query Journey($id: ID!, $first: Int, $after: Cursor, $status: EnrollmentStatus) {
    node(id: $id) {
      __typename
      ... on Journey {
        id name status version reentry trigger definition exitRule createdAt updatedAt
        stats { enrolled active completed exited failed }
        steps { index kind reached completed exited failed }
        enrollments(first: $first, after: $after, status: $status) {
          totalCount
          pageInfo { hasNextPage endCursor }
          edges {
            node {
              id status stepIndex nextRunAt enteredAt leftAt error
              lead { id name company owner { id name } }
            }
          }
        }
      }
    }
  }
`);

export const JourneyDefinitionDoc = graphql(`
  query JourneyDefinition($id: ID!) {
    node(id: $id) {
      __typename
      ... on Journey { id name status version reentry trigger definition exitRule }
    }
  }
`);

export const CreateJourneyDoc = graphql(`
  mutation CreateJourney($input: CreateJourneyInput!) {
    createJourney(input: $input) { id name status version }
  }
`);

export const UpdateJourneyDoc = graphql(`
  mutation UpdateJourney($id: ID!, $input: UpdateJourneyInput!) {
    updateJourney(id: $id, input: $input) { id name status version reentry }
  }
`);

export const SetJourneyStatusDoc = graphql(`
  mutation SetJourneyStatus($id: ID!, $status: JourneyStatus!) {
    setJourneyStatus(id: $id, status: $status) { id status version }
  }
`);

export const EnrollLeadsDoc = graphql(`
  mutation EnrollLeads($journeyID: ID!, $leadIDs: [ID!]!) {
    enrollLeads(journeyID: $journeyID, leadIDs: $leadIDs) { enrolled skipped }
  }
`);

export const JourneyLeadSearchDoc = graphql(`
  query JourneyLeadSearch($where: LeadWhereInput) {
    leads(first: 20, where: $where, orderBy: { field: CREATED_AT, direction: DESC }) {
      edges { node { id name company phone owner { id name } } }
    }
  }
`);
