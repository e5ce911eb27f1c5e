// Saved views of a list, kept on the server per user (#24): see
// lib/savedViews.ts for how the leads list uses them.
import { graphql } from '../gql';

export const SavedViewFields = graphql(`
  fragment SavedViewFields on SavedView {
    id name state shared mine updatedAt
    owner { id name }
  }
`);

export const SavedViewsDoc = graphql(`
  query SavedViews($list: SavedViewList!) {
    savedViews(list: $list) {
      ...SavedViewFields
    }
  }
`);

export const SaveViewDoc = graphql(`
  mutation SaveView($input: SaveViewInput!) {
    saveView(input: $input) {
      ...SavedViewFields
    }
  }
`);

export const UpdateSavedViewDoc = graphql(`
  mutation UpdateSavedView($id: ID!, $input: UpdateSavedViewInput!) {
    updateSavedView(id: $id, input: $input) {
      ...SavedViewFields
    }
  }
`);

export const DeleteSavedViewDoc = graphql(`
  mutation DeleteSavedView($id: ID!) {
    deleteSavedView(id: $id)
  }
`);
